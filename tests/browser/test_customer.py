"""A passenger on the customer site: look up a booking without an account, read it, download the receipt."""

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import DEMO
from tests.browser.helpers import TICKET_NUMBER, button, follow, link, log_in


@pytest.fixture(scope="session")
def demo_booking(live_server_url):
    """A ticketed demo booking: its record locator and first passenger's surname, from the server's database."""
    with sqlite3.connect(DEMO["var_dir"] / "backoffice.sqlite3") as db:
        return db.execute(
            "SELECT b.record_locator, p.surname FROM sales_booking b JOIN sales_passenger p ON p.booking_id = b.id "
            "WHERE b.status = 'ticketed' AND p.position = 1 ORDER BY b.created_at DESC LIMIT 1"
        ).fetchone()


def look_up(page: Page, record_locator, surname):
    page.goto("/my-booking/")
    page.get_by_label(re.compile("Booking reference")).fill(record_locator)
    page.get_by_label(re.compile("Surname")).fill(surname)
    follow(page, button(page, "Find my booking"))


def test_a_passenger_looks_up_a_booking_and_downloads_the_receipt(page: Page, demo_booking, tmp_path):
    record_locator, surname = demo_booking
    # Typed as a passenger might: small letters, a space in the reference.
    look_up(page, f"{record_locator[:3].lower()} {record_locator[3:].lower()}", surname.title())
    expect(page.get_by_role("heading", name=f"Booking {record_locator}")).to_be_visible()
    # Neither the reference nor the name is in the address.
    assert record_locator not in page.url and surname not in page.url.upper()
    expect(page.get_by_text("Ticketed")).to_be_visible()
    expect(page.get_by_role("heading", name=f"1. {surname}/")).to_be_visible()
    expect(page.get_by_role("cell", name=TICKET_NUMBER).first).to_be_visible()
    # Local time with its zone: "Paris Charles de Gaulle (CDG), Sat 28 Nov 2026 07:30 CET".
    expect(
        page.get_by_text(re.compile(r"\([A-Z]{3}\), \w{3} \d\d \w{3} \d{4} \d\d:\d\d [A-Z]{3,5}$")).first
    ).to_be_visible()

    with page.expect_download() as download:
        link(page, "Download the itinerary receipt (PDF)").click()
    assert download.value.suggested_filename == f"itinerary-{record_locator}.pdf"
    saved = tmp_path / "receipt.pdf"
    download.value.save_as(saved)
    receipt = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    assert record_locator in receipt and surname in receipt


def test_a_wrong_surname_is_told_on_the_form_and_the_booking_is_not_shown(page: Page, demo_booking):
    record_locator, _ = demo_booking
    look_up(page, record_locator, "Nobody")
    expect(page.get_by_role("alert")).to_contain_text("We found no booking with this reference and surname")
    expect(page.get_by_role("heading", name=f"Booking {record_locator}")).to_have_count(0)


def test_a_surname_with_digits_is_told_on_its_field(page: Page):
    look_up(page, "K7WQ2M", "Smith2")
    expect(page.get_by_text("A surname has no digits.")).to_be_visible()


CUSTOMER = ("anne.martin@example.com", "customer-demo-2026")


def customer_log_in(page: Page, email, password):
    page.goto("/my-booking/account/log-in/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    follow(page, button(page, "Log in"))
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()


def mail_to(address):
    """The newest message the server wrote for this address (EMAIL_FILE_PATH: var/sent-mail without EMAIL_HOST)."""
    sent = sorted((DEMO["var_dir"] / "sent-mail").glob("*.log"), key=lambda path: path.stat().st_mtime)
    found = [path.read_text() for path in sent if f"To: {address}" in path.read_text()]
    assert found, f"no mail to {address}"
    return found[-1]


def test_a_passenger_signs_up_confirms_by_the_link_and_sees_their_bookings(page: Page, live_server_url):
    with sqlite3.connect(DEMO["var_dir"] / "backoffice.sqlite3") as db:
        (email,) = db.execute(
            "SELECT contact_email FROM sales_booking WHERE contact_email != ? ORDER BY created_at DESC LIMIT 1",
            [CUSTOMER[0]],
        ).fetchone()
    page.goto("/my-booking/")
    follow(page, link(page, "Create an account"))
    page.get_by_label("E-mail address").fill(email)
    follow(page, button(page, "Send the link"))
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    confirm_url = re.search(r"http://\S+/my-booking/account/confirm/\S+/", mail_to(email)).group()
    page.goto(confirm_url.replace(re.match(r"http://[^/]+", confirm_url).group(), live_server_url))
    page.get_by_label("New password", exact=True).fill("a-long-passphrase-2026")
    page.get_by_label("New password confirmation").fill("a-long-passphrase-2026")
    follow(page, button(page, "Confirm and open my account"))
    expect(page.get_by_text("Your address is confirmed and your account is open.")).to_be_visible()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Booking [A-Z0-9]{6}$")).first).to_be_visible()


def test_the_demo_customer_asks_for_a_refund_that_reaches_finance(page: Page, new_context):
    customer_log_in(page, *CUSTOMER)
    expect(page.get_by_role("heading", name="Upcoming")).to_be_visible()
    expect(page.get_by_role("heading", name="Past")).to_be_visible()
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Upcoming"))
    follow(page, upcoming.get_by_role("link", name=re.compile(r"^Booking ")).first)
    follow(page, link(page, "Ask for a refund of passenger 1's tickets"))
    expect(page.get_by_role("rowheader", name="Total you get back")).to_be_visible()
    ticket = TICKET_NUMBER.search(page.get_by_role("table").inner_text()).group()
    follow(page, button(page, "Ask for this refund"))
    expect(page.get_by_text(re.compile("Refund asked for"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(ticket))).to_contain_text("Surrendered")

    finance = new_context().new_page()
    log_in(finance, "finance")
    finance.goto("/admin/refunds/refund/?status__exact=requested")
    expect(finance.locator("#result_list tbody tr", has_text=ticket)).to_contain_text(CUSTOMER[0])


def test_a_customer_cannot_open_another_customers_booking(page: Page):
    with sqlite3.connect(DEMO["var_dir"] / "backoffice.sqlite3") as db:
        (other,) = db.execute("SELECT id FROM sales_booking WHERE contact_email != ? LIMIT 1", [CUSTOMER[0]]).fetchone()
    customer_log_in(page, *CUSTOMER)
    for path in (f"/my-booking/account/bookings/{other}/", f"/my-booking/account/bookings/{other}/refund/"):
        # Asked with the page's session (cookies), as the browser would: a 404 page, not the booking.
        response = page.request.get(path)
        assert response.status == 404, path
        assert "Booking " not in response.text()
