"""A person's station: set by an Admin on the user's page, kept with history, read by the home page."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from fixtures.demo import load_demo
from fleet.models import StaffStation
from fleet.selectors import station_of
from fleet.services import set_station
from tests.factories import AirportFactory

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """What the browser would send for the page's form: every named field with its current value."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value", "on"))
            else:
                self.data[name] = [a.get("value") or ""]
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] = [data]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def change_form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parser = FormFields()
    parser.feed(response.content.decode())
    return response, parser.data


def test_an_admin_sets_a_station_on_the_user_page_with_history(client, admin_role_user, counter_user):
    cdg = AirportFactory(code="CDG", time_zone="Europe/Paris")
    url = reverse("admin:auth_user_change", args=[counter_user.pk])
    client.force_login(admin_role_user)
    response, data = change_form(client, url)
    assert "staff_station-TOTAL_FORMS" in data
    data["staff_station-0-airport"] = [str(cdg.pk)]
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert station_of(counter_user) == cdg
    (row,) = StaffStation.history.all()
    assert row.history_user == admin_role_user

    # Emptied, not deleted: the person works nowhere in particular, and the history says who changed it.
    response, data = change_form(client, url)
    data["staff_station-0-airport"] = [""]
    assert client.post(url, data).status_code == 302
    assert station_of(counter_user) is None
    assert StaffStation.objects.count() == 1 and StaffStation.history.count() == 2

    history = client.get(reverse("admin:auth_user_history", args=[counter_user.pk])).content.decode()
    assert "Station CDG" in history and "Station -" in history


def test_finance_cannot_open_user_pages_nor_set_stations(client, finance_user, counter_user):
    client.force_login(finance_user)
    assert client.get(reverse("admin:auth_user_change", args=[counter_user.pk])).status_code == 403


def test_setting_the_same_station_again_writes_nothing(admin_role_user, counter_user):
    cdg = AirportFactory(code="CDG", time_zone="Europe/Paris")
    set_station(staff=counter_user, airport=cdg, user=admin_role_user)
    set_station(staff=counter_user, airport=cdg, user=admin_role_user)
    assert StaffStation.history.count() == 1


def test_the_demo_counter_agent_works_at_the_hub(settings):
    settings.DEMO = True
    load_demo(today=timezone.localdate() + dt.timedelta(days=1), days=1, all_airports=False)
    assert station_of(User.objects.get(username="counter")).code == "CDG"
    assert station_of(User.objects.get(username="finance")) is None
