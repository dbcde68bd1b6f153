"""Parameters that make no sense come back as a message on the form: nothing is run, never a server error."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.reporting.helpers import REPORT_MODELS, report_url

pytestmark = pytest.mark.django_db

FAR_FUTURE = (timezone.localdate() + dt.timedelta(days=400)).isoformat()

COMMON = [
    ({"date_from": "2021-01-31", "date_to": "2021-01-01"}, "The last day comes before the first"),
    ({"date_from": "2001-01-01", "date_to": "2020-12-31"}, "A report covers at most 731 days"),
    ({"date_from": "2021-01-01", "date_to": FAR_FUTURE}, "is more than a year ahead"),
    ({"date_from": FAR_FUTURE, "date_to": FAR_FUTURE}, "is more than a year ahead"),
    ({"date_from": "1899-12-31", "date_to": "1900-01-01"}, "Choose a day from 2000-01-01 on"),
    ({"date_from": "0001-01-01", "date_to": "9999-12-31"}, "Choose a day from 2000-01-01 on"),
    ({"date_from": "2021-02-30", "date_to": "2021-03-01"}, "Enter a valid date"),
    ({"date_from": "yesterday", "date_to": ""}, "Enter a valid date"),
    ({"grouping": "fortnight"}, "fortnight is not a grouping"),
    ({"grouping": ""}, "This field is required"),
]
OWN_FILTERS = {
    "sales": [
        ({"agent": "nobody"}, "There is no agent with that user name"),
        ({"fare_class": "Z"}, "There is no fare class with that letter"),
        ({"breakdown": "passenger"}, "passenger is not a breakdown"),
    ],
    "refunds": [
        ({"status": "lost"}, "lost is not a refund status"),
        ({"kind": "goodwill"}, "goodwill is not a kind of refund"),
    ],
    "cash_up": [
        ({"method": "cheque"}, "cheque is not a payment method"),
        ({"agent": "nobody"}, "There is no agent with that user name"),
    ],
    "load_factor": [
        ({"origin": "QQQ"}, "There is no airport with that code"),
        ({"destination": "x" * 500}, "There is no airport with that code"),
    ],
}
CASES = [(report, params, message) for report in REPORT_MODELS for params, message in COMMON + OWN_FILTERS[report]]


@pytest.mark.parametrize("report, params, message", CASES)
def test_a_bad_parameter_is_a_message_on_the_form(report, params, message, admin_role_user, client):
    client.force_login(admin_role_user)
    for part in ("", "csv", "xlsx", "pdf"):
        response = client.get(report_url(report, part, **params))
        assert response.status_code == 200, (part, response.status_code)
        assert not response.streaming, part
        html = response.content.decode()
        assert message in html, part
        assert "Run by" not in html


@pytest.mark.parametrize("report", REPORT_MODELS)
def test_listings_take_bad_parameters_too(report, admin_role_user, client):
    client.force_login(admin_role_user)
    for params in ({"date_from": "2021-01-31", "date_to": "2021-01-01"}, {"page": "many"}, {"page": "-1"}):
        for part in ("listing", "listing_csv", "listing_pdf"):
            response = client.get(report_url(report, part, **params))
            assert response.status_code == 200, (params, part)


def test_an_unknown_csv_separator_is_a_message(admin_role_user, client):
    client.force_login(admin_role_user)
    response = client.get(report_url("sales", "csv", separator="tab"))
    assert response.status_code == 200 and not response.streaming
    assert "The separator is either comma or semicolon." in response.content.decode()


def test_a_report_opens_on_this_month_by_day(admin_role_user, client):
    client.force_login(admin_role_user)
    html = client.get(report_url("sales")).content.decode()
    today = timezone.localdate()
    assert f"Tickets issued from {today.replace(day=1):%a %-d %b %Y} to {today:%a %-d %b %Y}" in html
