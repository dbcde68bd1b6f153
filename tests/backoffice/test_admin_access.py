"""Every admin page answers each role as the permission matrix says."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.urls import reverse

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE, ROLES
from fleet.models import ScheduleLine
from refunds.models import RefundRule
from refunds.services import request_refund
from sales import services
from sales.models import RouteFare
from tests.backoffice.test_roles import MATRIX
from tests.factories import FareBucketFactory, FlightFactory, TaxFactory

pytestmark = pytest.mark.django_db

# Reports have no records: their pages are tested in tests/reporting/test_permissions.py.
# Jobs are no role's: each person sees their own (below, and tests/reporting/test_export_jobs.py).
OWN_RECORDS = {"backoffice.job"}
MODELS = sorted(
    label
    for label in (f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry if m._meta.managed)
    if label not in OWN_RECORDS
)


# Records that are never added through a model form: bookings start from the
# flight search, payments on a booking's page, tickets when seats are taken.
ADDED_ELSEWHERE = {
    "sales.booking": 302,
    "sales.ticket": 403,
    "sales.payment": 403,
    "refunds.refund": 403,
    "fleet.scheduleline": 403,
    # Login throttling writes its own logs.
    "axes.accessattempt": 403,
    "axes.accesslog": 403,
    "axes.accessfailurelog": 403,
}


def expected_status(role, model, page):
    actions = MATRIX[role].get(model, set())
    if page == "add":
        if "add" not in actions:
            return 403
        return ADDED_ELSEWHERE.get(model, 200)
    return 200 if actions & {"view", "change"} else 403


@pytest.fixture
def objects(role_users):
    flight = FlightFactory()
    bucket = FareBucketFactory(flight=flight)
    tax = TaxFactory()
    booking = services.book(
        segments=[services.SegmentRequest(flight.pk, bucket.fare_class.code)],
        passengers=[services.PassengerRequest("Martin", "Anne")],
        agent=role_users[COUNTER_STAFF],
        contact_name="Anne Martin",
        contact_email="anne@example.com",
        contact_phone="+33 1 23 45 67 89",
    )
    payment = services.take_payment(
        booking=booking, amount=booking.total_amount, method="cash", agent=role_users[COUNTER_STAFF]
    )
    (ticket,) = services.issue_tickets(booking=booking, agent=role_users[COUNTER_STAFF])
    refund = request_refund(ticket=ticket, requested_by=role_users[COUNTER_STAFF])
    route_fare = RouteFare.objects.create(
        origin=flight.origin,
        destination=flight.destination,
        fare_class=bucket.fare_class,
        price="99.00",
        seats_allocated=9,
    )
    return {
        "sales.booking": booking,
        "fleet.scheduleline": ScheduleLine.objects.create(
            carrier="XB",
            number=1,
            origin=flight.origin,
            destination=flight.destination,
            departure_time="08:00",
            arrival_time="09:15",
            days_of_operation="1234567",
            valid_from="2026-12-01",
            valid_to="2026-12-31",
            aircraft_type=flight.aircraft_type,
        ),
        "sales.ticket": ticket,
        "refunds.refund": refund,
        "refunds.refundrule": RefundRule.objects.create(fare_class=bucket.fare_class),
        "sales.payment": payment,
        "sales.fareclass": bucket.fare_class,
        "sales.routefare": route_fare,
        "sales.tax": tax,
        "fleet.flight": flight,
        "fleet.airport": flight.origin,
        "fleet.city": flight.origin.city,
        "fleet.aircrafttype": flight.aircraft_type,
        "auth.user": role_users[FINANCE],
        "auth.group": role_users[FINANCE].groups.get(),
        **login_log_rows(),
    }


def login_log_rows():
    who = {"username": "someone", "ip_address": "203.0.113.7", "user_agent": "x", "http_accept": "", "path_info": "/"}
    return {
        "axes.accessattempt": AccessAttempt.objects.create(**who, get_data="", post_data="", failures_since_start=3),
        "axes.accesslog": AccessLog.objects.create(**who),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**who),
    }


def pages(model, obj):
    app_label, model_name = model.split(".")
    prefix = f"admin:{app_label}_{model_name}"
    return {
        "changelist": reverse(f"{prefix}_changelist"),
        "add": reverse(f"{prefix}_add"),
        "change": reverse(f"{prefix}_change", args=[obj.pk]),
        "history": reverse(f"{prefix}_history", args=[obj.pk]),
    }


def test_every_registered_model_is_in_the_matrix():
    in_matrix = {model for grants in MATRIX.values() for model in grants}
    assert set(MODELS) <= in_matrix


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", MODELS)
def test_admin_pages_follow_the_matrix(role, model, role_users, objects, client):
    client.force_login(role_users[role])
    for page, url in pages(model, objects[model]).items():
        response = client.get(url)
        assert response.status_code == expected_status(role, model, page), f"{role} {page} {url}"


@pytest.mark.parametrize("model", MODELS)
def test_anonymous_is_sent_to_login(model, objects, client):
    for url in pages(model, objects[model]).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", ROLES)
def test_index_answers_every_role(role, role_users, client):
    client.force_login(role_users[role])
    assert client.get(reverse("admin:index")).status_code == 200


def test_sidebar_shows_each_role_only_what_it_may_use(role_users, client):
    flights, airports, types, users = (
        reverse("admin:fleet_flight_changelist"),
        reverse("admin:fleet_airport_changelist"),
        reverse("admin:fleet_aircrafttype_changelist"),
        reverse("admin:auth_user_changelist"),
    )
    client.force_login(role_users[COUNTER_STAFF])
    html = client.get(reverse("admin:index")).content.decode()
    assert flights in html and airports in html and types in html
    assert users not in html

    client.force_login(role_users[FINANCE])
    html = client.get(reverse("admin:index")).content.decode()
    assert flights in html and airports in html
    assert types not in html and users not in html

    client.force_login(role_users[ADMIN])
    html = client.get(reverse("admin:index")).content.decode()
    assert all(link in html for link in (flights, airports, types, users))


def test_a_user_without_a_role_sees_nothing(client, db):
    from django.contrib.auth.models import User

    clerk = User.objects.create_user("norole", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("admin:fleet_flight_changelist")).status_code == 403


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("page", ["change", "history"])
def test_a_mistyped_record_url_is_not_a_server_error(model, page, role_users, client):
    client.force_login(role_users[ADMIN])
    app_label, model_name = model.split(".")
    for key in ("not-a-number", "999999999"):
        response = client.get(reverse(f"admin:{app_label}_{model_name}_{page}", args=[key]))
        assert response.status_code in (302, 404), (model, page, key, response.status_code)


def test_the_system_account_cannot_log_in(client):
    from backoffice.system import system_user

    system = system_user()
    assert not system.is_active and not system.has_usable_password()
    response = client.post(reverse("admin:login"), {"username": "system", "password": ""})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", ROLES)
def test_a_past_version_cannot_be_saved_back_from_the_history_page(role, role_users, objects, client):
    from refunds.models import Refund

    refund = objects["refunds.refund"]
    version = refund.history.first()
    client.force_login(role_users[role])
    url = reverse("admin:refunds_refund_simple_history", args=[refund.pk, version.history_id])
    response = client.post(url, {"status": "paid", "method": "cash", "decided_by": role_users[FINANCE].pk})
    assert response.status_code == 403
    assert Refund.objects.get(pk=refund.pk).status == "requested"


@pytest.mark.parametrize("model", ["fleet.airport", "fleet.aircrafttype", "sales.fareclass"])
def test_who_may_not_add_is_refused_whatever_the_query_string(model, role_users, client):
    # The "add another" links of an autocomplete carry ?_to_field=; a mistyped one was a 400 for a
    # role that may not add at all, where every other page of the kind says 403.
    client.force_login(role_users[FINANCE])
    app_label, model_name = model.split(".")
    response = client.get(reverse(f"admin:{app_label}_{model_name}_add") + "?_to_field=99999999999999999999&_popup=1")
    assert response.status_code == 403


def test_every_member_of_staff_opens_their_own_jobs_and_nobody_adds_or_changes_one(role_users, client):
    for user in role_users.values():
        client.force_login(user)
        assert client.get(reverse("admin:backoffice_job_changelist")).status_code == 200
        assert client.get(reverse("admin:backoffice_job_add")).status_code == 403
    client.logout()
    assert client.get(reverse("admin:backoffice_job_changelist")).status_code == 302
