"""What only a browser shows: fields that overlap, which field has focus, notes Django's scripts add, the icon."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in

SERVER_TIME_NOTE = re.compile("server time")


def focused_field(page: Page):
    return page.evaluate("document.activeElement.name || ''")


def test_search_fields_sit_side_by_side_and_the_first_has_focus(page: Page):
    log_in(page, "counter")
    page.goto("/admin/sales/booking/search/")
    boxes = [field.bounding_box() for field in page.locator("#bo-search .bo-grid input:visible").all()]
    assert len(boxes) >= 5
    for left, right in zip(boxes, boxes[1:], strict=False):
        if abs(left["y"] - right["y"]) < 1:  # the same row of the grid
            assert left["x"] + left["width"] <= right["x"] + 0.5, (left, right)
    assert focused_field(page) == "origin"


def test_date_fields_carry_no_server_time_note_and_forms_open_on_their_first_field(new_context):
    # An hour behind the business zone (Europe/Paris): Django's date shortcuts would add their note.
    page = new_context(timezone_id="Europe/London").new_page()
    log_in(page, "admin")
    page.goto("/admin/fleet/flight/add/")
    page.wait_for_load_state("load")
    expect(page.locator("input.vDateField")).to_have_count(3)  # flight date, departure, arrival
    expect(page.get_by_text(SERVER_TIME_NOTE).locator("visible=true")).to_have_count(0)
    assert focused_field(page) == "carrier"
    page.goto("/admin/sales/booking/")
    page.wait_for_load_state("load")
    expect(page.get_by_text(SERVER_TIME_NOTE).locator("visible=true")).to_have_count(0)
    assert focused_field(page) == ""  # a list keeps the page's focus for scrolling, not its search box


def test_the_login_page_opens_on_the_username_and_every_page_has_its_icon(page: Page):
    page.goto("/admin/login/")
    assert focused_field(page) == "username"
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).ok
    response = page.request.get("/favicon.ico")
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
