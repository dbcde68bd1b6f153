"""Finance: the refunds waiting for approval; approve one, reject one with a reason, pay one."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import TICKET_NUMBER, button, confirm, expect_message, follow, link, log_in, open_menu


def waiting_refunds(page: Page):
    open_menu(page, "Refunds to approve")
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_be_visible()
    return rows


def ticket_of(row):
    return TICKET_NUMBER.search(row.inner_text()).group()


def test_finance_approves_rejects_with_a_reason_and_pays_refunds(page: Page):
    log_in(page, "finance")
    rows = waiting_refunds(page)
    assert rows.count() >= 2
    for text in rows.all_inner_texts():
        assert re.search(r"\brequested\b", text, re.I), text

    # Approve the first one through the list's bulk action, after its confirmation page.
    approved = ticket_of(rows.first)
    rows.first.get_by_role("checkbox").check()
    page.get_by_label("Select action to run").select_option(label="Approve selected refunds")
    follow(page, button(page, "Run"))
    expect(page.get_by_text(approved)).to_be_visible()
    confirm(page, "Approve them")
    expect_message(page, r"1 refund\(s\) approved")
    rows = waiting_refunds(page)
    expect(rows.filter(has_text=approved)).to_have_count(0)

    # Reject the next one from its own page, saying why.
    rejected = ticket_of(rows.first)
    follow(page, rows.first.get_by_role("link").first)
    expect(page.get_by_text(rejected).first).to_be_visible()
    follow(page, link(page, "Reject"))
    page.get_by_label("Reason for the rejection").fill("Ticket was used: the passenger flew on 12 Nov.")
    confirm(page, "Reject")
    expect_message(page, r"Refund rejected")
    expect(page.get_by_text("Rejected", exact=True).first).to_be_visible()
    expect(page.get_by_text(re.compile("the passenger flew on 12 Nov"))).to_be_visible()
    expect(link(page, "Approve")).to_have_count(0)
    rows = waiting_refunds(page)
    expect(rows.filter(has_text=rejected)).to_have_count(0)

    # Pay the approved one.
    open_menu(page, "Refunds")
    follow(page, page.locator("#result_list tbody tr").filter(has_text=approved).get_by_role("link").first)
    expect(page.get_by_text("Approved", exact=True).first).to_be_visible()
    follow(page, link(page, "Mark paid"))
    page.get_by_label("Paid back by").select_option(label="Bank transfer")
    page.get_by_label("Reference").fill("SEPA-2026-0042")
    confirm(page, "Mark paid")
    expect_message(page, r"Refund marked paid")
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(page.get_by_text("SEPA-2026-0042")).to_be_visible()
    expect(link(page, "Mark paid")).to_have_count(0)
