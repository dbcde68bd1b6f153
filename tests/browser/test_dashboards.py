"""Each role's home page: its own cards, none of the others', numbers that open the list behind them,
and Finance's chart drawn."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import follow, log_in

SECTIONS = {"counter": "At the counter", "finance": "Finance", "admin": "Network and sales"}
CARDS = {
    "counter": ["Departures today", "Load factor today", "My holds expiring today", "My sales today"],
    "finance": ["Refunds to approve", "Approved, not paid", "Cash-up today: net"],
    "admin": ["Over 90 % full, next 7 days", "Departures today", "Sales today", "Last schedule import"],
}


def section(page: Page, role):
    return page.get_by_role("region", name=SECTIONS[role], exact=True)


def sees_only_own_section(page: Page, role):
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    mine = section(page, role)
    expect(mine).to_be_visible()
    for label in CARDS[role]:
        expect(mine.get_by_text(label, exact=True).first).to_be_visible()
    for other in SECTIONS:
        if other != role:
            expect(section(page, other)).to_have_count(0)
    return mine


def test_counter_sees_their_station_departures_and_opens_their_sales(page: Page):
    log_in(page, "counter")
    counter = sees_only_own_section(page, "counter")
    expect(counter.get_by_text(re.compile(r"^\s*Departures today from CDG "))).to_be_visible()
    # The departures are the table with a check-in column (the counter's holds may come first).
    departures = counter.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Check-in"))
    expect(departures).to_have_count(1)
    expect(departures.get_by_role("row").nth(1)).to_contain_text(re.compile(r"\d\d:\d\d CET"))

    sales = counter.locator('[data-figure="counter-sales"]').get_by_role("link")
    follow(page, sales)
    expect(page).to_have_url(re.compile(r"/admin/sales/ticket/\?.*mine=1"))


def test_finance_sees_the_refund_queue_and_the_chart(page: Page):
    log_in(page, "finance")
    finance = sees_only_own_section(page, "finance")
    canvas = finance.locator("canvas")
    expect(canvas).to_be_visible()
    # Chart.js has drawn it: the canvas took the size of its card.
    assert canvas.evaluate("c => c.width > 300 && c.height > 100")
    # Both series are drawn in a colour (a CSS variable the chart cannot resolve draws nothing).
    colours = canvas.evaluate("c => Chart.getChart(c).data.datasets.map(d => [d.label, d.backgroundColor])")
    assert [label for label, _colour in colours] == ["Sales", "Refunds"]
    assert all(colour for _label, colour in colours), colours
    expect(finance.get_by_role("link", name="Sales report")).to_be_visible()

    follow(page, finance.locator('[data-figure="finance-waiting"]').get_by_role("link"))
    expect(page).to_have_url(re.compile(r"/admin/refunds/refund/\?status__exact=requested"))


def test_admin_sees_the_network_and_opens_today_s_departures(page: Page):
    log_in(page, "admin")
    network = sees_only_own_section(page, "admin")
    expect(network.get_by_text("Next departures today, every station", exact=True)).to_be_visible()
    count = network.locator('[data-figure="admin-departures"]').get_by_role("link")
    shown = count.inner_text().strip()
    follow(page, count)
    expect(page).to_have_url(re.compile(r"/admin/fleet/flight/\?scheduled_departure__range__gte="))
    expect(page.get_by_text(re.compile(rf"\b{shown} (flights|results)\b")).first).to_be_visible()
