"""The counter workflow through the admin, as an agent's browser drives it:
GET the page, read the CSRF token, POST the form."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.booking_form import TypedPassenger, booking_form_data
from fleet.services import get_or_create_airport
from sales.models import Booking, Payment, Ticket
from tests.factories import FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("admin:sales_booking_search")
NEW = reverse("admin:sales_booking_new")


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post_with_csrf(client, url, data):
    page = client.get(url, data if url == NEW else None)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


@pytest.fixture
def network(db):
    # Real airports, with their metropolitan cities (CDG in PAR, LHR in LON).
    get_or_create_airport(code="CDG", user=None)
    get_or_create_airport(code="LHR", user=None)
    TaxFactory()
    y = FareClassFactory(code="Y")
    m = FareClassFactory(code="M")
    day = timezone.localdate() + dt.timedelta(days=10)
    flights = []
    for hour in (7, 12, 18):
        departure = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
        flight = FlightFactory(
            number=1000 + hour,
            flight_date=day,
            capacity=9,
            scheduled_departure=departure,
            scheduled_arrival=departure + dt.timedelta(minutes=75),
        )
        FareBucketFactory(flight=flight, fare_class=y, price=Decimal("150.00"))
        FareBucketFactory(flight=flight, fare_class=m, price=Decimal("90.00"), seats_allocated=2)
        flights.append(flight)
    return day, flights


MARIE = TypedPassenger(surname="Dupont", given_names="Marie", title="MS")
MARIE_CONTACT = {
    "contact_name": "Marie Dupont",
    "contact_email": "marie@example.com",
    "contact_phone": "+33 6 11 22 33 44",
}


def booking_form(flight, fare="M", then="hold", passengers=(MARIE,), **extra):
    """The booking form as an agent fills it for `passengers` on one flight; `extra`: fields typed otherwise."""
    data = booking_form_data([f"{flight.pk}:{fare}"], passengers, then=then, **MARIE_CONTACT)
    return {**data, **extra}


def test_search_by_city_shows_local_times_seats_and_fares(network, counter_user, client):
    day, flights = network
    client.force_login(counter_user)
    response = client.get(SEARCH, {"origin": "par", "destination": "LON", "date": day.isoformat(), "adults": 1})
    html = response.content.decode()
    assert response.status_code == 200
    # PAR is the metropolitan code of CDG; each flight appears with its local time and fares.
    assert html.count("CDG–LHR") == 3
    assert "08:00 CET" in html  # 07:00 UTC in Paris in winter
    assert "90.00 EUR" in html and "150.00 EUR" in html


def test_search_costs_the_same_queries_for_1_or_30_flights(network, counter_user, client):
    day, flights = network
    client.force_login(counter_user)
    params = {"origin": "CDG", "destination": "LHR", "date": day.isoformat(), "window": 3, "adults": 1}
    with CaptureQueriesContext(connection) as few:
        assert client.get(SEARCH, params).status_code == 200
    y, m = FareClassFactory(code="Y"), FareClassFactory(code="M")
    for offset in range(1, 4):
        for hour in range(6, 15):
            departure = dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(hour), tzinfo=dt.UTC)
            flight = FlightFactory(
                number=2000 + hour,
                flight_date=day + dt.timedelta(days=offset),
                scheduled_departure=departure,
                scheduled_arrival=departure + dt.timedelta(hours=1),
            )
            FareBucketFactory(flight=flight, fare_class=y)
            FareBucketFactory(flight=flight, fare_class=m)
    with CaptureQueriesContext(connection) as many:
        response = client.get(SEARCH, params)
    assert len(response.context["outbound"]) == 30
    assert len(few) == len(many) == SEARCH_PAGE_QUERIES


# Session, user, permissions, the two codes checked by the form, both resolved again by the search in one query,
# flights, fare buckets: the same whatever the number of flights found.
SEARCH_PAGE_QUERIES = 9


def test_search_refuses_an_unknown_city_on_its_field(network, counter_user, client):
    day, _ = network
    client.force_login(counter_user)
    response = client.get(SEARCH, {"origin": "QQQ", "destination": "LHR", "date": day.isoformat(), "adults": 1})
    assert response.status_code == 200
    assert "QQQ is neither an airport nor a city we know." in str(response.context["form"].errors["origin"])


@pytest.mark.parametrize(
    "params, field",
    [
        ({"adults": "0", "children": "0"}, "adults"),
        ({"adults": "1", "infants": "2"}, "infants"),
        ({"adults": "5", "children": "5"}, "__all__"),
        ({"date": "31/02/2026"}, "date"),
        ({"window": "99"}, "window"),
        ({"destination": "CDG"}, "destination"),
    ],
)
def test_search_rejects_bad_input_on_the_right_field(network, counter_user, client, params, field):
    day, _ = network
    client.force_login(counter_user)
    query = {"origin": "CDG", "destination": "LHR", "date": day.isoformat(), "adults": "1", **params}
    response = client.get(SEARCH, query)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_agent_books_holds_pays_and_issues_through_the_admin(network, counter_user):
    _, flights = network
    client = csrf_client(counter_user)
    data = booking_form(flights[0])
    response = post_with_csrf(client, NEW, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    booking = Booking.objects.get()
    assert response["Location"] == reverse("admin:sales_booking_change", args=[booking.pk])
    assert booking.status == "held" and booking.total_amount == Decimal("94.63")

    page = client.get(response["Location"]).content.decode()
    assert booking.record_locator in page and "DUPONT/MARIE MS" in page and "94.63" in page

    pay = reverse("admin:sales_booking_pay", args=[booking.pk])
    response = post_with_csrf(client, pay, {"amount": "94.63", "method": "card", "reference": "AUTH 77"})
    assert response.status_code == 302
    issue = reverse("admin:sales_booking_issue", args=[booking.pk])
    response = post_with_csrf(client, issue, {})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == "open" and len(ticket.number) == 13
    page = client.get(response["Location"]).content.decode()
    assert ticket.number in page and "1 ticket(s) issued." in page


def test_pay_now_books_pays_and_issues_in_one_step(network, counter_user):
    _, flights = network
    client = csrf_client(counter_user)
    response = post_with_csrf(client, NEW, booking_form(flights[1], then="pay_now", **{"contact-method": "cash"}))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.status == "ticketed" and booking.balance_due == 0
    assert Payment.objects.get().amount == Decimal("94.63")


def test_a_malformed_name_is_shown_on_the_passenger_field_and_nothing_is_written(network, counter_user):
    _, flights = network
    client = csrf_client(counter_user)
    response = post_with_csrf(client, NEW, booking_form(flights[0], **{"pax-0-surname": "Dup0nt"}))
    assert response.status_code == 200
    errors = response.context["passengers"].forms[0].errors
    assert "only letters" in str(errors["surname"])
    assert not Booking.objects.exists()


@pytest.mark.parametrize("tampered", ["", "XYZ", "\x00"])
def test_a_tampered_passenger_type_is_said_on_the_page_and_nothing_is_written(network, counter_user, tampered):
    """The passenger type is a hidden field: its error was on no field the page draws, so the page came back
    with no word of what was wrong (issue 11, found by tests/backoffice/test_hostile_posts.py)."""
    _, flights = network
    client = csrf_client(counter_user)
    response = post_with_csrf(client, NEW, booking_form(flights[0], **{"pax-0-passenger_type": tampered}))
    assert response.status_code == 200
    assert "The passengers do not match the search: start again from the search." in response.content.decode()
    assert not Booking.objects.exists()


def test_a_sold_out_fare_is_explained_in_a_banner_at_the_top_and_nothing_is_written(network, counter_user):
    _, flights = network
    client = csrf_client(counter_user)
    # Class M has 2 seats: three adults cannot have them.
    family = [MARIE, TypedPassenger("Dupont", "Paul"), TypedPassenger("Dupont", "Luc")]
    response = post_with_csrf(client, NEW, booking_form(flights[0], passengers=family))
    assert response.status_code == 200
    assert not Booking.objects.exists()
    # A refusal about no one field: a banner at the top, not small text in the contact section at the bottom.
    html = response.content.decode()
    banner = re.search(r'<div id="booking-refusal" role="alert">(.*?)</div>\s*</div>', html, re.S)
    assert banner, "no refusal banner"
    assert "Class M" in banner.group(1) and "3 asked for" in banner.group(1)
    assert html.index('id="booking-refusal"') < html.index('id="booking-quote"') < html.index("Contact and payment")
    assert not response.context["contact"].non_field_errors()
    # What was typed is still there.
    for typed in ("Dupont", "Paul", "Luc", "marie@example.com", "+33 6 11 22 33 44"):
        assert f'value="{typed}"' in html


def test_payment_above_the_balance_is_refused_on_the_amount(network, counter_user):
    _, flights = network
    client = csrf_client(counter_user)
    post_with_csrf(client, NEW, booking_form(flights[0]))
    booking = Booking.objects.get()
    pay = reverse("admin:sales_booking_pay", args=[booking.pk])
    response = post_with_csrf(client, pay, {"amount": "100.00", "method": "cash", "reference": ""})
    assert response.status_code == 200
    assert "above the balance due of 94.63" in str(response.context["form"].errors["amount"])
    response = post_with_csrf(client, pay, {"amount": "50.00", "method": "cash", "reference": ""})
    assert "one payment of its balance due, 94.63" in str(response.context["form"].errors["amount"])
    assert not Payment.objects.exists()


def test_issue_before_payment_is_refused_with_a_message(network, counter_user):
    _, flights = network
    client = csrf_client(counter_user)
    post_with_csrf(client, NEW, booking_form(flights[0]))
    booking = Booking.objects.get()
    response = post_with_csrf(client, reverse("admin:sales_booking_issue", args=[booking.pk]), {})
    page = client.get(response["Location"]).content.decode()
    assert "still owes 94.63 EUR" in page
    assert not Ticket.objects.filter(status="open").exists()


def test_cancel_and_void_through_confirmation_pages(network, counter_user):
    _, flights = network
    client = csrf_client(counter_user)
    post_with_csrf(client, NEW, booking_form(flights[0]))
    held = Booking.objects.get()
    confirm = client.get(reverse("admin:sales_booking_cancel", args=[held.pk]))
    assert "released at once" in confirm.content.decode()
    held.refresh_from_db()
    assert held.status == "held"  # a GET only asks
    post_with_csrf(client, reverse("admin:sales_booking_cancel", args=[held.pk]), {})
    held.refresh_from_db()
    assert held.status == "cancelled"

    post_with_csrf(client, NEW, booking_form(flights[1], then="pay_now", **{"contact-method": "cash"}))
    ticket = Ticket.objects.get(status="open")
    void = reverse("admin:sales_booking_void_ticket", args=[ticket.booking_id, ticket.pk])
    post_with_csrf(client, void, {})
    ticket.refresh_from_db()
    assert ticket.status == "void"
    flights[1].refresh_from_db()
    assert flights[1].seats_sold == 0


def test_actions_refuse_a_post_without_csrf(network, counter_user):
    _, flights = network
    client = csrf_client(counter_user)
    post_with_csrf(client, NEW, booking_form(flights[0]))
    booking = Booking.objects.get()
    response = client.post(reverse("admin:sales_booking_cancel", args=[booking.pk]))
    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.status == "held"


def test_booking_page_costs_the_same_queries_for_1_or_9_passengers(network, counter_user, client):
    from sales import services
    from tests.sales.conftest import CONTACT, adults

    _, flights = network
    small = services.book(
        segments=[services.SegmentRequest(flights[0].pk, "Y")], passengers=adults(1), agent=counter_user, **CONTACT
    )
    large = services.book(
        segments=[services.SegmentRequest(flights[1].pk, "Y"), services.SegmentRequest(flights[2].pk, "Y")],
        passengers=adults(9),
        agent=counter_user,
        **CONTACT,
    )
    services.take_payment(booking=large, amount=large.total_amount, method="cash", agent=counter_user)
    client.force_login(counter_user)
    counts = []
    for booking in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("admin:sales_booking_change", args=[booking.pk])).status_code == 200
        counts.append(len(queries))
    assert counts == [BOOKING_PAGE_QUERIES] * 2


# Session, user, permissions, the booking, its passengers, tickets, tax lines, refunds and payments:
# one query per kind of row, whatever the number of rows.
BOOKING_PAGE_QUERIES = 12


def test_finance_and_anonymous_cannot_book_or_act(network, finance_user, client):
    _, flights = network
    client.force_login(finance_user)
    assert client.get(SEARCH).status_code == 403
    assert client.get(NEW, {"segment": f"{flights[0].pk}:M", "adults": 1}).status_code == 403
    assert client.post(NEW, booking_form(flights[0])).status_code == 403
    client.logout()
    response = client.get(SEARCH)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert not Booking.objects.exists()


def test_finance_sees_a_booking_without_action_buttons(network, counter_user, finance_user, client):
    from sales import services
    from tests.sales.conftest import CONTACT, adults

    _, flights = network
    booking = services.book(
        segments=[services.SegmentRequest(flights[0].pk, "Y")], passengers=adults(1), agent=counter_user, **CONTACT
    )
    client.force_login(finance_user)
    page = client.get(reverse("admin:sales_booking_change", args=[booking.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert booking.record_locator in html
    assert reverse("admin:sales_booking_pay", args=[booking.pk]) not in html
    assert client.post(reverse("admin:sales_booking_cancel", args=[booking.pk])).status_code == 403


def test_a_mangled_segment_is_a_404_not_a_server_error(counter_user, client, db):
    client.force_login(counter_user)
    assert client.get(NEW, {"segment": "abc:M"}).status_code == 404
    assert client.get(NEW, {"segment": "1:M", "adults": "many"}).status_code == 404


def test_admin_cannot_allocate_below_seats_sold_or_change_a_buckets_class(
    network, admin_role_user, counter_user, client
):
    from sales import services
    from sales.models import FareBucket
    from tests.sales.conftest import CONTACT, adults

    _, flights = network
    flight = flights[0]
    services.book(
        segments=[services.SegmentRequest(flight.pk, "M")], passengers=adults(2), agent=counter_user, **CONTACT
    )
    buckets = list(FareBucket.objects.filter(flight=flight).order_by("pk"))
    client.force_login(admin_role_user)
    url = reverse("admin:fleet_flight_change", args=[flight.pk])
    form = client.get(url).context["adminform"].form
    data = {
        "carrier": "XB",
        "number": flight.number,
        "suffix": "",
        "leg_number": 1,
        "flight_date": flight.flight_date.isoformat(),
        "origin": flight.origin_id,
        "destination": flight.destination_id,
        "departure_local_0": form.initial["departure_local"].date().isoformat(),
        "departure_local_1": form.initial["departure_local"].time().isoformat(),
        "arrival_local_0": form.initial["arrival_local"].date().isoformat(),
        "arrival_local_1": form.initial["arrival_local"].time().isoformat(),
        "aircraft_type": flight.aircraft_type_id,
        "capacity": flight.capacity,
        "fare_buckets-TOTAL_FORMS": "2",
        "fare_buckets-INITIAL_FORMS": "2",
        "fare_buckets-MIN_NUM_FORMS": "0",
        "fare_buckets-MAX_NUM_FORMS": "1000",
    }
    for i, bucket in enumerate(buckets):
        data.update(
            {
                f"fare_buckets-{i}-id": bucket.pk,
                f"fare_buckets-{i}-flight": flight.pk,
                f"fare_buckets-{i}-fare_class": bucket.fare_class_id,
                f"fare_buckets-{i}-price": str(bucket.price),
                f"fare_buckets-{i}-seats_allocated": bucket.seats_allocated,
            }
        )
    m = next(i for i, b in enumerate(buckets) if b.fare_class.code == "M")
    data[f"fare_buckets-{m}-seats_allocated"] = "1"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Cannot go below the 2 seats already sold." in response.content.decode()
    data[f"fare_buckets-{m}-seats_allocated"] = "2"
    data[f"fare_buckets-{m}-price"] = "95.00"
    assert client.post(url, data).status_code == 302
    bucket = FareBucket.objects.get(pk=buckets[m].pk)
    assert (bucket.seats_allocated, bucket.price, bucket.seats_sold) == (2, Decimal("95.00"), 2)


def test_typed_urls_and_fields_never_cause_a_server_error(network, counter_user, admin_role_user, client):
    _, flights = network
    client.force_login(counter_user)
    assert (
        client.get(SEARCH, {"origin": "CDG", "destination": "LHR", "date": "9999-12-31", "window": 1}).status_code
        == 200
    )
    assert client.get(NEW, {"segment": "²:Y"}).status_code == 404
    departure = reverse("admin:fleet_flight_departure", args=[flights[0].pk])
    assert client.post(departure, {"step": "no_show", "ticket": "²"}).status_code == 302
    long_email = "a" * 250 + "@example.com"
    response = client.post(NEW, booking_form(flights[0], **{"contact-contact_email": long_email}))
    assert response.status_code == 200 and not Booking.objects.exists()
    client.force_login(admin_role_user)
    for action in ("manifest-pdf", "manifest-csv", "cancel-flight"):
        assert client.get(f"/admin/fleet/flight/abc/{action}/").status_code == 404


@pytest.mark.parametrize("step", ["", "fly", "\x00", "depart "])
def test_a_departure_step_that_is_none_of_the_pages_says_so(network, counter_user, client, step):
    """The departure page's step sent back as something else went back to the page with no word (issue 11)."""
    _, flights = network
    client.force_login(counter_user)
    departure = reverse("admin:fleet_flight_departure", args=[flights[0].pk])
    page = client.post(departure, {"step": step}, follow=True)
    assert "Choose a step of the departure: mark the flight departed, or tick the no-shows." in page.content.decode()
