"""Finding bookings and tickets as the desk types them, the airport autocomplete of the search form,
and "Book on this flight" from a flight's page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from fleet.models import Flight
from fleet.services import get_or_create_airport
from sales import services
from sales.services import PassengerRequest, SegmentRequest
from tests.factories import FareBucketFactory, FareClassFactory, FlightFactory

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("admin:sales_booking_changelist")
TICKETS = reverse("admin:sales_ticket_changelist")
LOCATIONS = reverse("admin:sales_booking_locations")
# session, user, user and group permissions, the keys the search found (one query, whatever it matched),
# the count (bounded), the rows.
BOOKING_SEARCH_QUERIES = 7
TICKET_SEARCH_QUERIES = 7


def economy_on_cdg_lhr(departure):
    """A CDG-LHR flight leaving at `departure` (UTC), with its economy bucket."""
    cdg = get_or_create_airport(code="CDG", user=None)
    flight = FlightFactory(
        origin=cdg,
        destination=get_or_create_airport(code="LHR", user=None),
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(minutes=75),
        flight_date=departure.astimezone(cdg.zone).date(),
    )
    return FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Y"), price=Decimal("100.00"))


@pytest.fixture
def bucket(db):
    return economy_on_cdg_lhr(timezone.now() + dt.timedelta(days=10))


@pytest.fixture
def make_booking(bucket, counter_user):
    def make(*surnames, email="anne@example.com", phone="+33 1 23 45 67 89", name="Anne Martin", issue=False):
        booking = services.book(
            segments=[SegmentRequest(flight_id=bucket.flight_id, fare_class="Y")],
            passengers=[PassengerRequest(surname=s, given_names="Marie", title="MS") for s in surnames],
            contact_name=name,
            contact_email=email,
            contact_phone=phone,
            agent=counter_user,
        )
        if issue:
            services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
            services.issue_tickets(booking=booking, agent=counter_user)
        return booking

    return make


@pytest.fixture
def desk(make_booking):
    """Two bookings: the one a person is looking for, and one that must not come up."""
    # The contact is someone else than the passengers: a surname must be found on the passengers themselves.
    wanted = make_booking(
        "Pêcheur", "D'Arcy", email="J.Dupont@example.com", phone="+33 6 11 22 33 44", name="Jean Dupont", issue=True
    )
    other = make_booking("Martin", "Lepecheur", issue=True)
    return wanted, other


def listed(client, user, url, term):
    client.force_login(user)
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize(
    "term",
    [
        "Pecheur",
        "pêcheur",
        "PECHEUR",
        "Pêcheur/Marie",
        "d'arcy",
        "J.Dupont@example.com",
        "j.dupont@EXAMPLE.com",
        "+33 6 11 22 33 44",
        "+33611223344",
        "06 11 22 33 44",
        "06.11.22.33.44",
    ],
)
def test_bookings_list_finds_a_passenger_surname_the_contact_email_or_phone(desk, counter_user, client, term):
    wanted, _ = desk
    assert listed(client, counter_user, BOOKINGS, term) == [wanted]


def test_bookings_list_finds_a_ticket_number_and_still_a_record_locator_or_contact_name(desk, counter_user, client):
    wanted, other = desk
    number = wanted.tickets.order_by("pk").last().number
    assert listed(client, counter_user, BOOKINGS, number) == [wanted]
    assert listed(client, counter_user, BOOKINGS, f" {number} ") == [wanted]
    assert listed(client, counter_user, BOOKINGS, wanted.record_locator.lower()) == [wanted]
    assert listed(client, counter_user, BOOKINGS, "anne martin") == [other]
    assert listed(client, counter_user, BOOKINGS, "Lepecheur") == [other]


def test_odd_search_text_finds_nothing_and_never_fails(desk, counter_user, client):
    for url in (BOOKINGS, TICKETS):
        for term in ("%", "_", "@", "+", "0", "'", "9" * 300, "Ω", "a/b/c", "ZZZZZZ"):
            assert listed(client, counter_user, url, term) == [], (url, term)


def test_tickets_list_finds_a_record_locator_a_ticket_number_or_a_surname(desk, counter_user, client):
    wanted, other = desk
    tickets = sorted(wanted.tickets.all(), key=lambda t: t.pk)
    assert len(tickets) == 2
    for term in (wanted.record_locator, wanted.record_locator.lower(), f"  {wanted.record_locator} "):
        assert sorted(listed(client, counter_user, TICKETS, term), key=lambda t: t.pk) == tickets, term
    assert listed(client, counter_user, TICKETS, tickets[0].number) == [tickets[0]]
    assert [t.passenger.surname for t in listed(client, counter_user, TICKETS, "pêcheur")] == ["PECHEUR"]


@pytest.mark.parametrize("rows", [5, 50])
def test_booking_and_ticket_searches_cost_the_same_queries_for_5_or_50_rows(
    make_booking, counter_user, client, django_assert_num_queries, rows
):
    for _ in range(rows):
        make_booking("Pêcheur")
    make_booking("Martin")
    client.force_login(counter_user)
    with django_assert_num_queries(BOOKING_SEARCH_QUERIES):
        response = client.get(BOOKINGS, {"q": "Pecheur", "all": ""})
    assert len(response.context["cl"].result_list) == rows
    with django_assert_num_queries(TICKET_SEARCH_QUERIES):
        response = client.get(TICKETS, {"q": "Pecheur", "all": ""})
    assert len(response.context["cl"].result_list) == rows


@pytest.fixture
def places(db):
    codes = ["CDG", "ORY", "ORG", "PAJ", "AEP", "LHR", "LGW", "BQH", "LDB", "AQP", "YXU"]
    return {code: get_or_create_airport(code=code, user=None) for code in codes}


def suggested(client, user, term):
    client.force_login(user)
    response = client.get(LOCATIONS, {"term": term})
    assert response.status_code == 200
    return [row["code"] for row in response.json()["results"]]


def test_search_form_autocomplete_lists_the_exact_code_first(places, counter_user, client):
    par = suggested(client, counter_user, "PAR")
    assert par[:3] == ["PAR", "CDG", "ORY"]
    assert "ORG" in par  # Paramaribo after Paris
    lon = suggested(client, counter_user, "lon")
    assert lon[0] == "LON"
    assert set(lon[1:3]) == {"LHR", "LGW"}
    assert suggested(client, counter_user, "l") == []


# Book on this flight


def flight_page(flight):
    return reverse("admin:fleet_flight_change", args=[flight.pk])


def book_link(flight):
    return reverse("admin:fleet_flight_book_on_this_flight", args=[flight.pk])


@pytest.fixture
def late_evening_flight(db):
    """A flight whose local departure date (Paris) is the day after its UTC date."""
    departure = dt.datetime.combine(timezone.now().date() + dt.timedelta(days=12), dt.time(23, 30), tzinfo=dt.UTC)
    return economy_on_cdg_lhr(departure).flight


def test_a_flight_on_sale_offers_book_on_this_flight_which_opens_the_search_with_it(
    late_evening_flight, counter_user, client
):
    flight = late_evening_flight
    client.force_login(counter_user)
    page = client.get(flight_page(flight))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Book on this flight" in html and book_link(flight) in html

    search = client.get(book_link(flight), follow=True)
    assert search.redirect_chain[-1][0].startswith(reverse("admin:sales_booking_search"))
    form = search.context["form"]
    local_date = flight.scheduled_departure.astimezone(flight.origin.zone).date()
    assert local_date != flight.scheduled_departure.date()
    assert form.cleaned_data["origin"] == "CDG"
    assert form.cleaned_data["destination"] == "LHR"
    assert form.cleaned_data["date"] == local_date
    assert [row["flight"] for row in search.context["outbound"]] == [flight]


@pytest.mark.parametrize(
    "change, said",
    [
        ({"status": Flight.Status.CANCELLED}, "is cancelled"),
        ({"status": Flight.Status.DEPARTED}, "is departed"),
        ({"minutes_to_departure": 30}, "Sales for XB"),
    ],
    ids=["cancelled", "departed", "sales-closed"],
)
def test_a_flight_off_sale_offers_no_booking_and_a_stale_link_says_so(
    late_evening_flight, counter_user, client, change, said
):
    flight = late_evening_flight
    if "minutes_to_departure" in change:
        departure = timezone.now() + dt.timedelta(minutes=change["minutes_to_departure"])
        Flight.objects.filter(pk=flight.pk).update(
            scheduled_departure=departure, scheduled_arrival=departure + dt.timedelta(hours=1)
        )
    else:
        Flight.objects.filter(pk=flight.pk).update(status=change["status"])
    flight.refresh_from_db()
    assert not services.can_sell_on(flight)
    client.force_login(counter_user)
    html = client.get(flight_page(flight)).content.decode()
    assert "Book on this flight" not in html

    response = client.get(book_link(flight))
    assert response.status_code == 302 and response.url == flight_page(flight)
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert said in message


def test_sales_close_45_minutes_before_departure(late_evening_flight):
    flight = late_evening_flight
    departure = flight.scheduled_departure
    assert services.can_sell_on(flight, now=departure - dt.timedelta(minutes=46))
    assert not services.can_sell_on(flight, now=departure - dt.timedelta(minutes=45))


def test_only_people_who_sell_see_book_on_this_flight(late_evening_flight, finance_user, client):
    flight = late_evening_flight
    client.force_login(finance_user)
    page = client.get(flight_page(flight))
    if page.status_code == 200:
        assert "Book on this flight" not in page.content.decode()
    assert client.get(book_link(flight)).status_code == 403
