"""What only a browser shows: fields that overlap, which field has focus, notes Django's scripts add, the icon.

Debian's Chromium driven by Playwright against Django's live server; Playwright never downloads a browser.
Skipped, with the reason, where Playwright or Chromium is missing.
"""

import os
import re
import shutil

import pytest

# serialized_rollback puts back the rows that migrations wrote (roles, the system account) after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TEST_PASSWORD = "pw-for-tests-only"  # the staff users of tests/conftest.py
INSTALL_HINT = "sudo apt-get install chromium, or set BROWSER_EXECUTABLE"


@pytest.fixture
def new_page(monkeypatch, live_server):
    """Open a page in a fresh browser context: `new_page(user)` logs in first; all is closed after the test.

    Chromium starts with the first page. From then on Playwright's event loop runs in this thread and Django
    refuses database calls here (SynchronousOnlyOperation): make the test's data before opening a page.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    executable = os.environ.get("BROWSER_EXECUTABLE") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.skip(f"no Chromium to drive ({INSTALL_HINT})")
    monkeypatch.setenv("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    started = {}

    def open_page(user=None, **options):
        if not started:
            started["playwright"] = sync_api.sync_playwright().start()
            started["browser"] = started["playwright"].chromium.launch(executable_path=executable)
        context = started["browser"].new_context(viewport={"width": 1400, "height": 900}, **options)
        page = context.new_page()
        if user is not None:
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("#id_username", user.username)
            page.fill("#id_password", TEST_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r"/admin/$"))
        return page

    yield open_page
    if started:
        started["browser"].close()
        started["playwright"].stop()


def focused_field(page):
    return page.evaluate("document.activeElement.name || ''")


def test_search_fields_sit_side_by_side_and_the_first_has_focus(new_page, live_server, counter_user):
    page = new_page(counter_user)
    page.goto(f"{live_server.url}/admin/sales/booking/search/")
    boxes = [field.bounding_box() for field in page.locator("#bo-search .bo-grid input:visible").all()]
    assert len(boxes) >= 5
    for left, right in zip(boxes, boxes[1:], strict=False):
        if abs(left["y"] - right["y"]) < 1:  # the same row of the grid
            assert left["x"] + left["width"] <= right["x"] + 0.5, (left, right)
    assert focused_field(page) == "origin"


def test_date_fields_carry_no_server_time_note_and_forms_open_on_their_first_field(
    new_page, live_server, admin_role_user
):
    # An hour behind the business zone (Europe/Paris): Django's date shortcuts would add their note.
    page = new_page(admin_role_user, timezone_id="Europe/London")
    page.goto(f"{live_server.url}/admin/fleet/flight/add/")
    page.wait_for_load_state("load")
    assert page.locator("input.vDateField:visible").count() >= 2
    assert page.locator("text=/server time/ >> visible=true").count() == 0
    assert focused_field(page) == "carrier"
    page.goto(f"{live_server.url}/admin/sales/booking/")
    page.wait_for_load_state("load")
    assert page.locator("text=/server time/ >> visible=true").count() == 0
    assert focused_field(page) == ""  # a list keeps the page's focus for scrolling, not its search box


def test_the_login_page_opens_on_the_username_and_every_page_has_its_icon(new_page, live_server):
    page = new_page()
    page.goto(f"{live_server.url}/admin/login/")
    assert focused_field(page) == "username"
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server.url}{icon}").ok
    response = page.request.get(f"{live_server.url}/favicon.ico")
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
