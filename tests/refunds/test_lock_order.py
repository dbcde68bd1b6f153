"""The one lock order (backoffice/locks.py): write paths that meet on the same two flights never deadlock.

Two flights, A (the lower id, departing later) and B (the higher id, departing first), so that
departure order and id order disagree. For every pair of write paths that can meet on them —
a booking, the airline cancelling a flight, refunding a whole booking, the schedule import — the
two operations are asked for in opposite orders (a booking of [A, B] against one of [B, A]; the
cancellation of B, which gives back a held booking's seats on A, against a booking; an import that
changes B and cancels A, which it used to lock B first, then A) and released at one instant, each
on its own connection, several times.

The helper is slowed down (each row locked by its own statement, with a pause after it), and so
are the sale's conditional UPDATEs (its locks), so that both operations hold their first lock
before asking for their second: the waits really overlap.
Each outcome must be a success or a clean refusal (a sold-out flight, a cancelled one, a conflict
the import reports), never a deadlock (SQLSTATE 40P01), and the seat counters must match the live
tickets afterwards.

The control reverses the order for the import only (flights by descending id): against a
booking of the same two flights, PostgreSQL then finds a deadlock, which shows the race races.
"""

import datetime as dt
import threading
import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from backoffice import locks
from fleet import schedule
from fleet.models import Flight
from fleet.schedule import applying
from refunds import services as refunds
from sales import inventory
from sales import services as sales
from sales.exceptions import SalesError
from sales.selectors import inventory_mismatches
from sales.services import SegmentRequest
from tests.factories import FareBucketFactory, FlightFactory
from tests.sales.conftest import CONTACT, adults
from tests.sales.race import race

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUNDS = 3
PAUSE = 0.15  # after each row locked: long enough for the other operation to take its first lock
DEADLOCK = "40P01"

PATHS = ["book", "cancel", "refund", "import"]
PAIRS = [(first, second) for i, first in enumerate(PATHS) for second in PATHS[i:]]


def make_flight(days, capacity=20):
    departure = timezone.now() + dt.timedelta(days=days)
    return FlightFactory(
        capacity=capacity,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(hours=2),
        flight_date=timezone.localdate(departure),
    )


def slow(real_lock_rows, *, descending=False):
    """The helper's row locking, one row per statement with a pause after each."""

    def lock_rows(model, ids, **options):
        rows = {}
        for pk in sorted(ids, reverse=descending):
            rows.update(real_lock_rows(model, [pk], **options))
            time.sleep(PAUSE)
        return rows

    return lock_rows


@pytest.fixture
def lock_errors(monkeypatch):
    """The SQLSTATE of every lock error the services and the import saw (their one check, spied on)."""
    seen = []
    guard = threading.Lock()
    real = locks.is_lock_error

    def spy(error):
        with guard:
            seen.append(getattr(getattr(error, "__cause__", None), "sqlstate", None))
        return real(error)

    monkeypatch.setattr(locks, "is_lock_error", spy)
    monkeypatch.setattr(inventory, "is_lock_error", spy)
    return seen


def slow_seat_updates(real_run):
    """The sale's conditional UPDATEs (its locks, sales/inventory.py), with a pause after each."""

    def run(*args, **kwargs):
        row = real_run(*args, **kwargs)
        time.sleep(PAUSE)
        return row

    return run


@pytest.fixture
def slow_locks(monkeypatch):
    monkeypatch.setattr(locks, "lock_rows", slow(locks.lock_rows))
    monkeypatch.setattr(inventory, "_run", slow_seat_updates(inventory._run))


class Scene:
    """Flights A and B with what the two operations need on them."""

    def __init__(self, pair, fare_class, user):
        self.user = user
        self.fare_class = fare_class
        self.a = make_flight(days=12)
        self.b = make_flight(days=10)
        assert self.a.pk < self.b.pk and self.b.scheduled_arrival < self.a.scheduled_departure
        self.buckets = {
            f.pk: FareBucketFactory(flight=f, fare_class=fare_class, price=Decimal("100.00"), seats_allocated=20)
            for f in (self.a, self.b)
        }
        if "cancel" in pair:
            # A hold across both flights: cancelling B cancels it whole, giving back its seat on A too.
            self._book(self.a, self.b)
        self.refundable = [self._ticketed() for _ in range(pair.count("refund"))]

    def _book(self, *flights):
        return sales.book(
            segments=[SegmentRequest(f.pk, self.fare_class.code) for f in flights],
            passengers=adults(1),
            agent=self.user,
            **CONTACT,
        )

    def _ticketed(self):
        booking = self._book(self.a, self.b)
        sales.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=self.user)
        sales.issue_tickets(booking=booking, agent=self.user)
        return booking

    def job(self, path, nth):
        """The `nth` (0 or 1) operation of this path: the second of a pair asks in the opposite order.

        The first of each path asks for A, then B (a booking), or B, then A (a cancellation, an import).
        """
        first, second = (self.a, self.b) if nth == 0 else (self.b, self.a)
        if path == "book":
            return lambda: self._book(first, second)
        if path == "cancel":
            # The higher id first: B, which gives back the hold's seat on A (and A for the second).
            flight = self.b if nth == 0 else self.a
            return lambda: refunds.cancel_flight(flight=flight, user=self.user)
        if path == "refund":
            booking = self.refundable[nth]
            return lambda: refunds.request_booking_refunds(booking=booking, requested_by=self.user)
        if path == "import":
            changed, cancelled = (self.b, self.a) if nth == 0 else (self.a, self.b)
            return self._import(changed, cancelled)
        raise AssertionError(path)

    def _import(self, changed, cancelled):
        """An import that changes one flight's capacity and cancels the other (update, then cancel)."""
        line = SimpleNamespace(
            origin=changed.origin,
            destination=changed.destination,
            aircraft_type=changed.aircraft_type,
            capacity=changed.capacity + 5,
        )
        planned = SimpleNamespace(line=line, departure=changed.scheduled_departure, arrival=changed.scheduled_arrival)
        plan = SimpleNamespace(create=[], update=[(changed.pk, planned)], cancel=[cancelled.pk])

        def job():
            with transaction.atomic():
                refusal = schedule.apply_or_refuse(plan, [], user=self.user)
                if refusal is not None:
                    transaction.set_rollback(True)
                return refusal or "imported"

        return job


def sqlstates(error):
    """The SQLSTATEs down the error's chain of causes."""
    states = []
    while error is not None:
        states.append(getattr(error, "sqlstate", None))
        error = error.__cause__ or error.__context__
    return states


def run_rounds(pair, fare_class, user, lock_errors):
    outcomes = []
    for _ in range(ROUNDS):
        scene = Scene(pair, fare_class, user)
        results, errors = race([scene.job(path, pair[:i].count(path)) for i, path in enumerate(pair)])
        outcomes.append((results, errors))
        assert inventory_mismatches() == ([], [])
        assert len(results) + len(errors) == 2
    return outcomes


@pytest.mark.postgres_only("row locks across connections and PostgreSQL's deadlock detector")
@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_two_write_paths_on_the_same_flights_never_deadlock(pair, refundable, counter_user, lock_errors, slow_locks):
    for results, errors in run_rounds(pair, refundable, counter_user, lock_errors):
        # A clean refusal is a domain error the desk reads (sold out, cancelled, try again); the
        # import's refusal is its returned row error.
        assert all(isinstance(e, SalesError) for e in errors), errors
        assert not any(DEADLOCK in sqlstates(e) for e in errors), errors
        for outcome in results:
            if isinstance(outcome, schedule.RowError):
                assert "import the file again" in outcome.message
    assert DEADLOCK not in lock_errors, lock_errors


@pytest.mark.postgres_only("the control: PostgreSQL's deadlock detector")
def test_control_an_import_locking_in_the_reverse_order_deadlocks_with_a_booking(
    monkeypatch, refundable, counter_user, lock_errors, slow_locks
):
    reverse = SimpleNamespace(
        lock_in_order=lambda **kinds: reversed_lock_in_order(monkeypatch, **kinds),
        is_lock_error=locks.is_lock_error,
    )
    monkeypatch.setattr(applying, "locks", reverse)  # the module of fleet.schedule.apply
    run_rounds(("book", "import"), refundable, counter_user, lock_errors)
    assert DEADLOCK in lock_errors, lock_errors


def reversed_lock_in_order(monkeypatch, *, flights=(), **others):
    """What the import must never do: its flights by descending id."""
    assert not any(others.values())
    ids = sorted({getattr(f, "pk", f) for f in flights})
    return locks.Locked(flights=slow(real_lock_rows, descending=True)(Flight, ids))


real_lock_rows = locks.lock_rows


def test_the_helper_locks_bookings_then_flights_then_buckets_each_by_id(refundable, counter_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scene = Scene(("refund",), refundable, counter_user)
    booking = scene.refundable[0]
    buckets = list(scene.buckets.values())
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = locks.lock_in_order(
            buckets=reversed(buckets), flights=[scene.b, scene.a.pk], bookings=[booking.pk, booking]
        )
    tables = [q["sql"].split(" FROM ")[1].split()[0].strip('"') for q in queries.captured_queries]
    assert tables == ["sales_booking", "fleet_flight", "sales_farebucket"]
    assert list(locked.flights) == [scene.a.pk, scene.b.pk]
    assert list(locked.buckets) == sorted(b.pk for b in buckets)
    assert list(locked.bookings) == [booking.pk]
    if connection.vendor == "postgresql":
        assert all("FOR NO KEY UPDATE" in q["sql"] and "ORDER BY" in q["sql"] for q in queries.captured_queries)
