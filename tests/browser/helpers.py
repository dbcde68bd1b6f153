"""What a person does in the back office, in words a test can reuse.

Pages are found by what they show: labels, roles and visible text, never by layout classes.
Buttons and links carry Material icons whose names are part of their text ("check Book",
"Log in arrow_forward"), so a name matches with or without one icon word on either side.
"""

import datetime as dt
import io
import re
from pathlib import Path

from django.utils import formats
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from fixtures.demo import DEMO_USERS

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {username: password for username, password, *_ in DEMO_USERS}
TICKET_NUMBER = re.compile(r"\b\d{13}\b")


def named(text):
    """An accessible name that is `text`, give or take an icon name (lower-case word) before or after it."""
    return re.compile(rf"^\s*([a-z_]+\s+)?{re.escape(text)}(\s+[a-z_]+)?\s*$")


def button(scope: Page | Locator, text):
    return scope.get_by_role("button", name=named(text))


def link(scope: Page | Locator, text):
    return scope.get_by_role("link", name=named(text))


def log_in(page: Page, username):
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    button(page, "Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def follow(page: Page, target: Locator):
    """Click a link or button that opens another page, and wait for that page (not the one still showing)."""
    target.wait_for()
    with page.expect_navigation():
        target.click()


def open_menu(page: Page, item):
    """Follow an entry of the sidebar."""
    follow(page, page.get_by_role("link", name=named(item)).first)


def date_input(day: dt.date):
    """A date as the admin's date fields take it."""
    return day.strftime(formats.get_format("DATE_INPUT_FORMATS")[0])


def shown_date(day: dt.date):
    """A date as lists show it."""
    return formats.date_format(day)


def expect_message(page: Page, pattern):
    """A message shown at the top of the page after an action."""
    expect(page.get_by_text(re.compile(pattern)).first).to_be_visible()


def confirm(page: Page, label):
    """Press the confirming button of a confirmation page (every action asks first), and wait for the answer."""
    follow(page, button(page, label))


def pdf_text(page: Page, href):
    """Fetch a PDF with the page's session, as the browser would open it, and return its text."""
    response = page.request.get(href)
    assert response.ok, f"{href} answered {response.status}"
    assert response.headers["content-type"].startswith("application/pdf")
    reader = PdfReader(io.BytesIO(response.body()))
    return "\n".join(pdf_page.extract_text() for pdf_page in reader.pages)


def table_row(page: Page, *texts):
    """The one table row showing every text given."""
    row = page.get_by_role("row")
    for text in texts:
        row = row.filter(has_text=text)
    expect(row).to_have_count(1)
    return row
