"""How times read on the admin's pages: a 24-hour clock, a flight's times in its airports' zones with the zone's
abbreviation, and never a raw `2026-11-29 07:10:00+01:00`."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fleet import services as fleet_services
from fleet.timezones import local_to_utc
from refunds import services as refund_services
from refunds.models import RefundRule
from sales import services
from sales.exceptions import SalesError
from sales.models import Booking
from tests.factories import AirportFactory, CityFactory, FareBucketFactory, FareClassFactory, FlightFactory
from tests.sales.conftest import CONTACT

pytestmark = pytest.mark.django_db

RAW_DATETIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d")
# A clock time starts a word: a record locator such as 3M74PM is not "4 PM".
TWELVE_HOUR = re.compile(r"\b\d{1,2}(?::\d\d)?\s?[ap]\.?m\b|\bmidnight\b|\bnoon\b", re.IGNORECASE)


def visible_text(response):
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html.split())


# A clock time not followed by its zone's abbreviation (CET, GMT) or offset (+04).
WITHOUT_ZONE = re.compile(r"\b\d\d:\d\d\b(?!\s*(?:[A-Z]{3,5}\b|[+-]\d\d))")


def assert_readable_times(text):
    assert not RAW_DATETIME.search(text), RAW_DATETIME.search(text).group()
    assert not TWELVE_HOUR.search(text), TWELVE_HOUR.search(text).group()


@pytest.fixture
def trip(db, counter_user):
    """A ticketed booking made at 16:20 Paris time on XB 1001 CDG 07:10 CET -> LHR 07:35 GMT, next January."""
    day = dt.date(timezone.localdate().year + 1, 1, 15)
    departure = local_to_utc(day, dt.time(7, 10), "Europe/Paris")
    cdg = AirportFactory(code="CDG", time_zone="Europe/Paris")
    lhr = AirportFactory(
        code="LHR", time_zone="Europe/London", city=CityFactory(code="LON", name="London", country="GB")
    )
    flight = FlightFactory(
        number=1001,
        flight_date=day,
        origin=cdg,
        destination=lhr,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(minutes=85),
    )
    fare_class = FareClassFactory(code="Y")
    RefundRule.objects.create(fare_class=fare_class, refundable=True)
    bucket = FareBucketFactory(flight=flight, fare_class=fare_class, price=Decimal("120.00"))
    booking = services.book(
        segments=[services.SegmentRequest(flight.pk, "Y")],
        passengers=[services.PassengerRequest("Martin", "Anne", "MS")],
        agent=counter_user,
        **CONTACT,
    )
    services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
    (ticket,) = services.issue_tickets(booking=booking, agent=counter_user)
    afternoon = local_to_utc(timezone.localdate(), dt.time(16, 20), "Europe/Paris")
    Booking.objects.filter(pk=booking.pk).update(created_at=afternoon)
    return {"flight": flight, "bucket": bucket, "booking": booking, "ticket": ticket}


def test_lists_read_a_24_hour_clock(trip, counter_user, client):
    client.force_login(counter_user)
    bookings = visible_text(client.get(reverse("admin:sales_booking_changelist")))
    assert "16:20" in bookings
    # The first flight, as the passenger will read it on the departures board.
    assert f"XB 1001 {trip['flight'].flight_date:%a %d %b %Y} 07:10 CET" in bookings
    assert_readable_times(bookings)
    payments = visible_text(client.get(reverse("admin:sales_payment_changelist")))
    assert_readable_times(payments)


def test_the_booking_and_refund_pages_give_each_time_its_zone(trip, counter_user, finance_user, client):
    """When it was booked, paid, asked for, decided: in the business zone, named as the lists name it."""
    refund = refund_services.request_refund(ticket=trip["ticket"], requested_by=counter_user)
    refund_services.reject_refund(refund=refund, approver=finance_user, reason="No receipt")
    client.force_login(counter_user)
    booking = visible_text(client.get(reverse("admin:sales_booking_change", args=[trip["booking"].pk])))
    booked = timezone.localtime(Booking.objects.get(pk=trip["booking"].pk).created_at)
    assert f"{booked.day} {booked:%b %Y}, 16:20 {booked:%Z}" in booking  # as the bookings list shows it
    client.force_login(finance_user)
    refund_page = visible_text(client.get(reverse("admin:refunds_refund_change", args=[refund.pk])))
    for text in (booking, refund_page):
        assert_readable_times(text)
        assert not WITHOUT_ZONE.search(text), text[max(WITHOUT_ZONE.search(text).start() - 60, 0) :][:100]


def test_tickets_and_refunds_lists_show_the_departure_in_the_origins_zone(trip, counter_user, finance_user, client):
    client.force_login(counter_user)
    tickets = visible_text(client.get(reverse("admin:sales_ticket_changelist")))
    assert f"{trip['flight'].flight_date:%d %b %Y} 07:10 CET" in tickets
    assert_readable_times(tickets)

    refund_services.request_refund(ticket=trip["ticket"], requested_by=counter_user)
    client.force_login(finance_user)
    refunds = visible_text(client.get(reverse("admin:refunds_refund_changelist")))
    assert "XB 1001" in refunds and f"{trip['flight'].flight_date:%d %b %Y} 07:10 CET" in refunds
    assert_readable_times(refunds)
    refund = trip["ticket"].refunds.get()
    page = visible_text(client.get(reverse("admin:refunds_refund_change", args=[refund.pk])))
    assert "07:10 CET" in page
    assert_readable_times(page)


def test_a_read_only_flight_page_shows_local_times_with_their_zone(trip, finance_user, client):
    client.force_login(finance_user)
    page = visible_text(client.get(reverse("admin:fleet_flight_change", args=[trip["flight"].pk])))
    assert f"{trip['flight'].flight_date:%d %b %Y} 07:10 CET" in page
    assert f"{trip['flight'].flight_date:%d %b %Y} 07:35 GMT" in page
    assert_readable_times(page)


def test_history_pages_show_readable_times(trip, admin_role_user, counter_user, client):
    flight = trip["flight"]
    flight.scheduled_departure += dt.timedelta(minutes=30)
    flight.scheduled_arrival += dt.timedelta(minutes=30)
    fleet_services.save_flight(flight=flight, user=admin_role_user)

    client.force_login(admin_role_user)
    history = visible_text(client.get(reverse("admin:fleet_flight_history", args=[flight.pk])))
    # The retimed departure reads in the origin's zone, the arrival in the destination's.
    assert "07:10 CET" in history and "07:40 CET" in history
    assert "07:35 GMT" in history and "08:05 GMT" in history
    assert "Departure (origin local time):" in history and "(UTC)" not in history
    assert_readable_times(history)

    client.force_login(counter_user)
    for url in (
        reverse("admin:sales_booking_history", args=[trip["booking"].pk]),
        reverse("admin:sales_ticket_history", args=[trip["ticket"].pk]),
        reverse("admin:sales_ticket_change", args=[trip["ticket"].pk]),
    ):
        assert_readable_times(visible_text(client.get(url)))


def test_a_refusal_names_the_flight_time_in_its_airports_zone(trip, counter_user):
    # Leaving London at 07:10 GMT: 08:10 in the business zone, which the message used to print, without a zone.
    flight = trip["flight"]
    flight.origin, flight.destination = flight.destination, flight.origin
    flight.scheduled_departure = local_to_utc(flight.flight_date, dt.time(7, 10), "Europe/London")
    flight.scheduled_arrival = flight.scheduled_departure + dt.timedelta(minutes=75)
    flight.save()
    with pytest.raises(SalesError) as refusal:
        services.depart_flight(flight=flight, agent=counter_user)
    assert f"{flight.flight_date:%d %b %Y} 07:10 GMT" in str(refusal.value)
