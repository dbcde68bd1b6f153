"""A passenger on the customer site: look up a booking without an account, read it, download the receipt."""

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import DEMO
from tests.browser.helpers import TICKET_NUMBER, button, follow, link


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
