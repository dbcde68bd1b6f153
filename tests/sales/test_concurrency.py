"""Agents racing for the last seats, on both databases (PostgreSQL row locks; SQLite BEGIN IMMEDIATE).

Each race is also run with the seat guard replaced by a plain read-then-write
(the control): that run oversells, which shows the race really races and the
test can fail.
"""

import datetime as dt
import time

import pytest
from django.utils import timezone

from fleet.models import Flight
from sales import inventory
from sales.exceptions import BucketClosed, SoldOut, TryAgain
from sales.models import FareBucket, Ticket
from sales.selectors import inventory_mismatches
from sales.services import SegmentRequest
from tests.factories import FareBucketFactory, FareClassFactory, FlightFactory
from tests.sales.conftest import CONTACT, adults
from tests.sales.race import booking_job, race

# serialized_rollback puts back the rows that migrations wrote (roles, the system account) after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AGENTS = 12


def unguarded_take_seats(*, seats_by_bucket, sales_close_before, now, user):
    """What the service must never do: check, then write what it read plus the sale."""
    for bucket, seats in seats_by_bucket.items():
        flight = Flight.objects.get(pk=bucket.flight_id)
        current = FareBucket.objects.get(pk=bucket.pk)
        if flight.seats_sold + seats > flight.capacity or current.seats_sold + seats > current.seats_allocated:
            raise SoldOut("sold out")
        time.sleep(0.05)  # the time an ORM round trip or two takes under load
        Flight.objects.filter(pk=flight.pk).update(seats_sold=flight.seats_sold + seats)
        FareBucket.objects.filter(pk=bucket.pk).update(seats_sold=current.seats_sold + seats)


def make_flight(capacity, departure_in_days=5, **kwargs):
    departure = timezone.now() + dt.timedelta(days=departure_in_days)
    return FlightFactory(
        capacity=capacity,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(hours=2),
        flight_date=timezone.localdate(departure),
        **kwargs,
    )


def live_seats(flight):
    return Ticket.objects.filter(flight=flight, holds_seat=True).count()


def race_for(bucket, agents, counter_user, passengers=1):
    segments = [SegmentRequest(flight_id=bucket.flight_id, fare_class=bucket.fare_class.code)]
    jobs = [booking_job(segments, adults(passengers), counter_user, CONTACT) for _ in range(agents)]
    return race(jobs)


def test_agents_racing_for_the_last_seats_of_a_flight_never_oversell(counter_user):
    flight = make_flight(capacity=5)
    bucket = FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Y"), seats_allocated=50)
    results, errors = race_for(bucket, AGENTS, counter_user)
    assert len(results) == 5
    assert len(errors) == AGENTS - 5 and all(isinstance(e, SoldOut) for e in errors), errors
    flight.refresh_from_db()
    assert flight.seats_sold == live_seats(flight) == 5


@pytest.mark.postgres_only(
    "the control: under SQLite's BEGIN IMMEDIATE writers queue whole, so the unguarded race cannot race"
)
def test_control_without_the_guard_the_same_race_oversells(counter_user, monkeypatch):
    monkeypatch.setattr(inventory, "take_seats", unguarded_take_seats)
    flight = make_flight(capacity=5)
    bucket = FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Y"), seats_allocated=50)
    results, errors = race_for(bucket, AGENTS, counter_user)
    flight.refresh_from_db()
    assert live_seats(flight) > flight.capacity or flight.seats_sold != live_seats(flight)


def test_agents_racing_for_the_last_seats_of_a_bucket_never_oversell_it(counter_user):
    flight = make_flight(capacity=100)
    bucket = FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Q"), seats_allocated=3)
    results, errors = race_for(bucket, AGENTS, counter_user)
    assert len(results) == 3
    assert all(isinstance(e, BucketClosed) for e in errors), errors
    bucket.refresh_from_db()
    assert bucket.seats_sold == Ticket.objects.filter(fare_bucket=bucket, holds_seat=True).count() == 3


@pytest.mark.postgres_only(
    "the control: under SQLite's BEGIN IMMEDIATE writers queue whole, so the unguarded race cannot race"
)
def test_control_without_the_guard_the_bucket_oversells(counter_user, monkeypatch):
    monkeypatch.setattr(inventory, "take_seats", unguarded_take_seats)
    flight = make_flight(capacity=100)
    bucket = FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Q"), seats_allocated=3)
    race_for(bucket, AGENTS, counter_user)
    assert Ticket.objects.filter(fare_bucket=bucket, holds_seat=True).count() > 3


def test_multi_flight_bookings_in_opposite_orders_do_not_deadlock(counter_user):
    out = make_flight(capacity=6)
    back = make_flight(
        capacity=6, departure_in_days=8, origin=out.destination, destination=out.origin, number=out.number + 1
    )
    y = FareClassFactory(code="Y")
    FareBucketFactory(flight=out, fare_class=y, seats_allocated=50)
    FareBucketFactory(flight=back, fare_class=y, seats_allocated=50)
    there_and_back = [SegmentRequest(out.pk, "Y"), SegmentRequest(back.pk, "Y")]
    back_and_there = [SegmentRequest(back.pk, "Y"), SegmentRequest(out.pk, "Y")]
    jobs = [
        booking_job(there_and_back if i % 2 else back_and_there, adults(1), counter_user, CONTACT)
        for i in range(AGENTS)
    ]
    results, errors = race(jobs)
    assert len(results) == 6
    assert all(isinstance(e, SoldOut) for e in errors), errors
    assert not any(isinstance(e, TryAgain) for e in errors)
    for flight in (out, back):
        flight.refresh_from_db()
        assert flight.seats_sold == live_seats(flight) == 6


@pytest.mark.postgres_only("lock_timeout and SELECT … FOR UPDATE")
def test_a_lock_wait_that_times_out_says_try_again(counter_user):
    from django.db import connections, transaction

    flight = make_flight(capacity=5)
    FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Y"))
    results = {}
    blocker = connections.create_connection("default")
    try:
        with blocker.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM fleet_flight WHERE id = %s FOR UPDATE", [flight.pk])
            with transaction.atomic():
                from django.db import connection

                with connection.cursor() as mine:
                    mine.execute("SET LOCAL lock_timeout = '300ms'")
                try:
                    booking_job([SegmentRequest(flight.pk, "Y")], adults(1), counter_user, CONTACT)()
                except TryAgain as error:
                    results["error"] = error
            cursor.execute("ROLLBACK")
    finally:
        blocker.close()
    assert "try again" in str(results["error"]).lower()
    flight.refresh_from_db()
    assert flight.seats_sold == 0


def test_every_counter_equals_its_live_tickets_after_the_races(counter_user):
    flight = make_flight(capacity=4)
    bucket = FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Y"), seats_allocated=4)
    results, _ = race_for(bucket, 8, counter_user, passengers=2)
    assert len(results) == 2
    assert inventory_mismatches() == ([], [])
