"""Each report answers each role as the matrix says; a counter agent opens only their own drawer."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE, ROLES
from tests.backoffice.test_roles import MATRIX
from tests.reporting.conftest import at, sell
from tests.reporting.helpers import REPORT_MODELS, pdf_pages, read_csv, report_url, xlsx_rows

pytestmark = pytest.mark.django_db

PARTS = ["", "listing", "csv", "listing_csv", "xlsx", "listing_xlsx", "pdf", "listing_pdf"]
RANGE = {"date_from": "2020-11-01", "date_to": "2020-11-30"}


def allowed(role, report):
    return "view" in MATRIX[role].get(f"reporting.{REPORT_MODELS[report]}", set())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("report", REPORT_MODELS)
def test_each_report_answers_each_role_as_the_matrix_says(role, report, role_users, client):
    client.force_login(role_users[role])
    for part in PARTS:
        response = client.get(report_url(report, part, **RANGE))
        assert response.status_code == (200 if allowed(role, report) else 403), (role, report, part)


def test_the_matrix_gives_counter_staff_their_cash_up_only():
    assert [report for report in REPORT_MODELS if allowed(COUNTER_STAFF, report)] == ["cash_up"]
    assert all(allowed(role, report) for role in (ADMIN, FINANCE) for report in REPORT_MODELS)


@pytest.mark.parametrize("report", REPORT_MODELS)
def test_anonymous_is_sent_to_login(report, client):
    for part in PARTS:
        response = client.get(report_url(report, part, **RANGE))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_a_user_without_a_role_runs_nothing(db, client):
    client.force_login(User.objects.create_user("norole", password="x", is_staff=True))
    for report in REPORT_MODELS:
        assert client.get(report_url(report, **RANGE)).status_code == 403


@pytest.fixture
def two_drawers(network, agents):
    """carl takes one cash payment of 106.88 on 10 Nov 2020, cleo two."""
    sell(network[0], agent=agents["carl"], now=at(dt.date(2020, 11, 10), 10))
    for hour in (11, 12):
        sell(network[0], agent=agents["cleo"], now=at(dt.date(2020, 11, 10), hour))
    return agents


def drawer(client, **params):
    rows = read_csv(client.get(report_url("cash_up", "csv", **RANGE, **params)))
    return {(row["Agent"], row["Payments"], row["Taken"]) for row in rows}


def test_counter_staff_see_their_own_drawer_only(two_drawers, client):
    client.force_login(two_drawers["carl"])
    assert drawer(client) == {("carl", "1", "106.88")}
    assert drawer(client, agent="carl") == {("carl", "1", "106.88")}
    movements = read_csv(client.get(report_url("cash_up", "listing_csv", **RANGE)))
    assert {row["Agent"] for row in movements} == {"carl"}
    html = client.get(report_url("cash_up", **RANGE)).content.decode()
    assert "cleo" not in html


@pytest.mark.parametrize("part", PARTS)
def test_counter_staff_cannot_open_another_drawer_by_changing_the_url(part, two_drawers, client):
    client.force_login(two_drawers["carl"])
    for someone_else in ("cleo", "fay", "nobody", ""):
        response = client.get(report_url("cash_up", part, agent=someone_else, **RANGE))
        expected = 200 if someone_else == "" else 403
        assert response.status_code == expected, someone_else
        if part.endswith("xlsx") and response.status_code == 200:
            names = {row[1] for row in xlsx_rows(response)[5:]}
            assert "cleo" not in names
        elif part.endswith("pdf") and response.status_code == 200:
            (page,) = pdf_pages(response)
            assert "carl" in page and "cleo" not in page
        else:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert b"cleo" not in body


def test_finance_sees_every_drawer_or_one(two_drawers, client):
    client.force_login(two_drawers["fay"])
    assert drawer(client) == {("carl", "1", "106.88"), ("cleo", "2", str(Decimal("213.76")))}
    assert drawer(client, agent="cleo") == {("cleo", "2", "213.76")}


@pytest.mark.parametrize(
    "role, visible",
    [
        (COUNTER_STAFF, {"cashupreport"}),
        (FINANCE, {"salesreport", "refundreport", "cashupreport", "loadfactorreport"}),
        (ADMIN, {"salesreport", "refundreport", "cashupreport", "loadfactorreport"}),
    ],
)
def test_the_sidebar_lists_the_reports_each_role_may_run(role, visible, role_users, client):
    client.force_login(role_users[role])
    html = client.get(reverse("admin:index")).content.decode()
    for model in REPORT_MODELS.values():
        link = f'href="{reverse(f"admin:reporting_{model}_changelist")}"'
        assert (link in html) is (model in visible), model
