"""The server errors the admin crawl (test_crawl.py) found, each pinned on its own."""

import pytest
from django.urls import reverse

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE
from sales import services
from sales.models import Booking, Ticket
from tests.factories import FareBucketFactory, FlightFactory
from tests.sales.conftest import CONTACT, adults

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.fixture
def ticket(role_users):
    flight = FlightFactory()
    bucket = FareBucketFactory(flight=flight)
    booking = services.book(
        segments=[services.SegmentRequest(flight.pk, bucket.fare_class.code)],
        passengers=adults(1),
        agent=role_users[COUNTER_STAFF],
        **CONTACT,
    )
    return Ticket.objects.get(booking=booking)


def version_url(obj, history_id):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, history_id])


@pytest.mark.parametrize(
    "query",
    [
        "?status__exact=%00",
        "?q=%00",
        "?q=Martin%00",
        "?created_at__range__gte=%00&created_at__range__lte=",
    ],
)
def test_a_nul_byte_in_a_list_query_is_ignored(query, ticket, role_users, client):
    """PostgreSQL cannot compare text holding NUL: the list answers as if it were not there."""
    client.force_login(role_users[ADMIN])
    response = client.get(reverse("admin:sales_booking_changelist") + query)
    assert response.status_code == 200
    if "Martin" in query:
        assert ticket.booking.record_locator in response.content.decode()


def test_a_nul_byte_in_an_autocomplete_term_is_ignored(ticket, role_users, client):
    client.force_login(role_users[ADMIN])
    query = "?app_label=fleet&model_name=flight&field_name=origin&term=CD%00G"
    response = client.get(reverse("admin:autocomplete") + query)
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [str(ticket.flight.origin)]


@pytest.mark.parametrize("bad", ["abc", HUGE])
def test_a_mistyped_version_url_is_not_found(bad, ticket, role_users, client):
    client.force_login(role_users[ADMIN])
    version = ticket.history.first()
    assert client.get(version_url(ticket, bad)).status_code == 404
    bad_object = reverse("admin:sales_ticket_simple_history", args=[bad, version.history_id])
    assert client.get(bad_object).status_code == 404


def test_a_users_past_version_opens(role_users, client):
    """User's history lives in the backoffice app: the page keeps the Users breadcrumbs."""
    fay = role_users[FINANCE]
    fay.first_name = "Fay"
    fay.save()
    client.force_login(role_users[ADMIN])
    response = client.get(version_url(fay, fay.history.earliest().history_id))
    assert response.status_code == 200
    assert reverse("admin:auth_user_changelist") in response.content.decode()


def test_a_past_version_shows_values_not_choices(ticket, role_users, client):
    """Reading a ticket's first version lists no fare bucket or flight to pick: it shows the ones it had."""
    FareBucketFactory.create_batch(3)
    client.force_login(role_users[ADMIN])
    response = client.get(version_url(ticket, ticket.history.earliest().history_id))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<select" not in html
    assert str(ticket.flight) in html


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("end", ["gte", "lte"])
def test_a_date_filter_at_the_end_of_the_calendar_is_refused_with_a_message(day, end, ticket, role_users, client):
    client.force_login(role_users[ADMIN])
    response = client.get(reverse("admin:sales_booking_changelist") + f"?created_at__range__{end}={day}")
    assert response.status_code == 200
    assert "Enter a date between" in response.content.decode()
    assert ticket.booking.record_locator in response.content.decode()  # the list, unfiltered


def test_a_huge_id_in_a_list_filter_finds_nothing(ticket, role_users, client):
    client.force_login(role_users[ADMIN])
    for query in (f"?origin__id__exact={HUGE}", f"?destination__id__exact={HUGE}"):
        response = client.get(reverse("admin:fleet_flight_changelist") + query)
        assert response.status_code in (200, 302), query
        if response.status_code == 200:
            assert str(ticket.flight) not in response.content.decode()


@pytest.mark.parametrize("query", ["?segment=abc", f"?segment={HUGE}:Y", "?adults=x", "?segment=1:Y&adults=3"])
@pytest.mark.parametrize("role", [ADMIN, FINANCE])
def test_the_booking_form_turns_away_who_may_not_book_before_reading_the_request(query, role, role_users, client):
    client.force_login(role_users[role])
    assert client.get(reverse("admin:sales_booking_new") + query).status_code == 403
    assert not Booking.objects.exists()


@pytest.mark.parametrize("page", ["abc", "0", "99999", "²"])
def test_a_page_of_search_results_that_is_not_one_is_not_found(page, role_users, client):
    client.force_login(role_users[ADMIN])
    assert client.get(reverse("admin:search") + f"?s=cdg&page={page}").status_code == 404
    assert client.get(reverse("admin:search") + "?s=cdg&page=1").status_code == 200


@pytest.mark.parametrize("selected", ["abc", "", HUGE, "\x00", "-1"])
@pytest.mark.parametrize(
    "model, action",
    [("fleet.city", "delete_selected"), ("axes.accessattempt", "lift_lock"), ("sales.fareclass", "delete_selected")],
)
def test_a_bulk_action_on_a_selection_that_names_no_record_says_so_and_does_nothing(
    admin_role_user, client, model, action, selected
):
    """A tampered `_selected_action` (text for a number, past the column's range, an id of nothing) was a
    server error (ValueError, OverflowError) or a confirmation page for nothing."""
    from django.apps import apps

    from fleet.models import City

    City.objects.create(code="PAR", name="Paris", country="FR")
    app_label, model_name = model.split(".")
    before = apps.get_model(app_label, model_name).objects.count()
    client.force_login(admin_role_user)
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    response = client.post(url, {"action": action, "_selected_action": [selected], "index": "0"}, follow=True)
    assert response.status_code == 200
    assert "None of the selected records exists" in response.content.decode()
    assert apps.get_model(app_label, model_name).objects.count() == before


def test_a_bulk_action_the_role_does_not_have_says_so_and_does_nothing(role_users, client):
    """Counter staff have no action on the refunds list: posting one showed the list again, saying nothing."""
    from refunds import services as refunds
    from refunds.models import Refund

    booking = services.book(
        segments=[services.SegmentRequest(FareBucketFactory(flight=FlightFactory()).flight_id, "Y")],
        passengers=adults(1),
        agent=role_users[COUNTER_STAFF],
        **CONTACT,
    )
    services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=role_users[COUNTER_STAFF])
    [ticket] = services.issue_tickets(booking=booking, agent=role_users[COUNTER_STAFF])
    refund = refunds.request_refund(ticket=ticket, requested_by=role_users[COUNTER_STAFF])
    client.force_login(role_users[COUNTER_STAFF])
    url = reverse("admin:refunds_refund_changelist")
    data = {"action": "approve_selected", "_selected_action": [refund.pk], "index": "0", "confirm": "1"}
    page = client.post(url, data, follow=True)
    assert "No action selected." in page.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED
