"""Admin: import the real SSIM sample through the admin, print a flight's manifest, cancel that flight."""

import re

from django.conf import settings
from playwright.sync_api import Page, expect

from fixtures.demo import DEMO_PASSENGERS
from tests.browser.helpers import (
    ROOT,
    button,
    confirm,
    expect_message,
    follow,
    link,
    log_in,
    open_menu,
    pdf_text,
    shown_date,
)

SAMPLE_SSIM = ROOT / "fixtures" / "ssim" / "sample.ssim"
# Nice at 06:30 is the hub's first departure every day, so it carries the demo's first booking.
# A demo flight of tomorrow with an issued demo booking (Paris-Barcelona), which the journey cancels: not the demo
# customer's (XB 1101, whose refund the customer site's journey asks for) nor a Paris-London one (the counter's).
FIRST_DEPARTURE = f"{settings.AIRLINE_CODE} 1041"
FLIGHTS_IN_SAMPLE = re.compile(r"\b3[,.\u202f\u00a0 ]?070\b")


def test_admin_imports_the_ssim_sample_with_a_preview_then_confirms(page: Page):
    log_in(page, "admin")
    open_menu(page, "Schedule and import")
    follow(page, page.get_by_role("link", name=re.compile(r"\bImport\b")).first)

    page.locator("input[type=file]").set_input_files(SAMPLE_SSIM)  # the format is read from the file
    follow(page, page.locator("form").filter(has=page.locator("input[type=file]")).locator("[type=submit]"))

    # The preview says what will happen, and what deserves a second look, before anything is written.
    expect(page.get_by_text("IATA SSIM").first).to_be_visible()
    expect(page.get_by_text(FLIGHTS_IN_SAMPLE).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"flights depart in the past")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"flights are for carrier XX")).first).to_be_visible()
    follow(page, button(page, "Confirm import"))

    expect_message(page, r"Schedule imported: 3[,.\u202f\u00a0 ]?070 flights created")
    expect(page.get_by_role("row").filter(has_text="RUN–MRU").first).to_be_visible()


def test_admin_prints_a_flight_manifest_then_cancels_the_flight(page: Page, demo_tomorrow):
    log_in(page, "admin")
    open_menu(page, "Flights")
    page.locator("#searchbar").fill(FIRST_DEPARTURE)  # the list's search box (Django admin's id)
    with page.expect_navigation():
        page.locator("#searchbar").press("Enter")
    row = page.locator("#result_list tbody tr").filter(has_text=shown_date(demo_tomorrow))
    expect(row).to_have_count(1)
    follow(page, row.get_by_role("link").first)
    expect(page.get_by_text(FIRST_DEPARTURE).first).to_be_visible()

    manifest = pdf_text(page, link(page, "Manifest (PDF)").get_attribute("href"))
    assert FIRST_DEPARTURE in manifest
    assert any(f"{surname}/{given}" in manifest for surname, given, _ in DEMO_PASSENGERS), manifest

    follow(page, link(page, "Cancel flight"))
    expect(page.get_by_text(re.compile(r"[1-9]\d* open ticket\(s\) get an involuntary refund")).first).to_be_visible()
    confirm(page, "Cancel the flight")
    expect_message(page, r"cancelled: [1-9]\d* involuntary refund request\(s\)")
    expect(page.get_by_text("Cancelled", exact=True).first).to_be_visible()
