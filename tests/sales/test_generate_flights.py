import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from fleet.models import Flight
from fleet.timezones import to_local
from sales.models import FareBucket
from sales.selectors import inventory_mismatches
from sales.services import SegmentRequest, book
from tests.factories import AirportFactory
from tests.sales.conftest import CONTACT, adults

pytestmark = pytest.mark.django_db

AIRPORTS = {
    "CDG": "Europe/Paris",
    "LHR": "Europe/London",
    "AMS": "Europe/Amsterdam",
    "FRA": "Europe/Berlin",
    "JFK": "America/New_York",
    "NRT": "Asia/Tokyo",
}
START = dt.date(2031, 3, 20)  # spans the spring-forward night in Europe and America


@pytest.fixture
def airports(db):
    return [AirportFactory(code=code, time_zone=zone) for code, zone in AIRPORTS.items()]


def generate(**options):
    output = io.StringIO()
    call_command("generate_flights", stdout=output, **{"days": 10, "airports": 6, "start": START, **options})
    return output.getvalue()


def network(flights):
    """What a timetable shows of these flights: number, route and local departure time."""
    return {
        (
            flight.number,
            flight.origin.code,
            flight.destination.code,
            to_local(flight.scheduled_departure, flight.origin.time_zone).time(),
        )
        for flight in flights
    }


@pytest.mark.postgres_only("generate_flights loads with COPY")
def test_creates_the_flights_asked_for_each_with_three_to_six_buckets(airports):
    output = generate(flights=300, seed=3)

    assert "Created 300 flights" in output
    flights = list(Flight.objects.select_related("origin", "aircraft_type").annotate(buckets=Count("fare_buckets")))
    assert len(flights) == 300
    for flight in flights:
        assert 3 <= flight.buckets <= 6
        assert flight.scheduled_arrival > flight.scheduled_departure
        assert flight.flight_date == to_local(flight.scheduled_departure, flight.origin.time_zone).date()
        assert flight.capacity == flight.aircraft_type.total_seats
        assert flight.seats_sold == 0 and flight.status == Flight.Status.SCHEDULED
    assert all(
        bucket.seats_allocated <= bucket.flight.capacity for bucket in FareBucket.objects.select_related("flight")
    )


@pytest.mark.postgres_only("generate_flights loads with COPY")
def test_every_pair_is_flown_both_ways(airports):
    generate(flights=200, seed=5)

    pairs = set(Flight.objects.values_list("origin__code", "destination__code"))
    assert all((destination, origin) in pairs for origin, destination in pairs)


@pytest.mark.postgres_only("generate_flights loads with COPY")
def test_the_same_seed_gives_the_same_network(airports):
    generate(flights=100, seed=7, days=5)
    generate(flights=100, seed=7, days=5, start=START + dt.timedelta(days=30))

    first = Flight.objects.filter(flight_date__lt=START + dt.timedelta(days=30)).select_related("origin", "destination")
    second = Flight.objects.filter(flight_date__gte=START + dt.timedelta(days=30)).select_related(
        "origin", "destination"
    )
    assert network(first) == network(second)


@pytest.mark.postgres_only("generate_flights loads with COPY")
def test_a_second_run_over_the_same_dates_takes_other_flight_numbers(airports):
    generate(flights=100, seed=1)
    generate(flights=100, seed=1)

    assert Flight.objects.count() == 200


@pytest.mark.postgres_only("generate_flights loads with COPY")
def test_generated_flights_sell_like_any_other(airports, counter_user):
    generate(flights=60, seed=2, start=timezone.localdate() + dt.timedelta(days=5))
    bucket = FareBucket.objects.select_related("fare_class").order_by("pk").first()

    booking = book(
        segments=[SegmentRequest(flight_id=bucket.flight_id, fare_class=bucket.fare_class.code)],
        passengers=adults(2),
        agent=counter_user,
        **CONTACT,
    )

    bucket.refresh_from_db()
    assert booking.tickets.count() == 2 and bucket.seats_sold == 2
    assert inventory_mismatches() == ([], [])
    assert list(Flight.history.filter(id=bucket.flight_id).values_list("history_type", flat=True)) == ["~"]


def test_refuses_to_run_on_another_database_than_postgresql(airports, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")

    with pytest.raises(CommandError, match="PostgreSQL"):
        generate(flights=10)
    assert not Flight.objects.exists()
