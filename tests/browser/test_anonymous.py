"""Someone not logged in sees the login page and nothing else."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import button

PAGES = [
    "/",
    "/admin/",
    "/admin/sales/booking/search/",
    "/admin/sales/booking/",
    "/admin/sales/booking/1/receipt.pdf",
    "/admin/refunds/refund/?status__exact=requested",
    "/admin/fleet/flight/",
    "/admin/fleet/scheduleline/import/",
    "/admin/auth/user/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_admin_address_leads_to_the_login_page(page: Page, path):
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    # Nothing of the back office shows: no menu, no data.
    expect(page.get_by_role("link", name=re.compile("Find flights|Bookings|Refunds|Flights"))).to_have_count(0)


def test_a_wrong_password_is_refused_on_the_login_page(page: Page):
    page.goto("/admin/")
    page.get_by_label("Username").fill("counter")
    page.get_by_label("Password").fill("not-the-password")
    button(page, "Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.get_by_text(re.compile("correct username and password", re.I))).to_be_visible()
