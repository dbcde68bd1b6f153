"""Browsers ask every site for /favicon.ico: the back office answers with its icon, never a 404."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse


def test_favicon_ico_leads_to_the_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith("backoffice/favicon.svg")
    icon = finders.find("backoffice/favicon.svg")
    assert icon and open(icon).read().lstrip().startswith("<svg")


@pytest.mark.parametrize("page", ["admin:login", "admin:index"])
def test_admin_pages_name_their_icon(page, counter_user, client):
    if page != "admin:login":
        client.force_login(counter_user)
    html = client.get(reverse(page)).content.decode()
    assert 'rel="icon"' in html and "backoffice/favicon.svg" in html and 'type="image/svg+xml"' in html
