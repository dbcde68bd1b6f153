"""A booking that lands while the airline cancels its flight: the cancellation takes it too, or it is refused.

The airline cancels flight F (refunds.services.cancel_flight) while an agent books F and a later
flight G, each on its own connection. The cancellation reads the bookings on F, then locks them,
then F and the other flights and buckets of the holds it cancels (backoffice/locks.py). The
booking is made to land at the two moments that matter, by events, not by waiting:

- between the cancellation reading F's bookings and locking them: once F is locked the
  cancellation finds the new booking, lets go of its locks and takes them again with it, and
  cancels that hold whole (its seat on G too);
- while the cancellation holds F: the booking's seat update waits for F, then finds it cancelled,
  and the booking is refused in words; nothing of it is kept.

Either way no ticket stays live on the cancelled flight, and every seat counter matches the live
tickets. Each has a control run that shows the booking really landed at that moment: with one try
at its locks, the cancellation finds the booking made meanwhile and asks to try again (the first);
without the seat update's "still scheduled" condition, the waiting booking sells a seat on the
cancelled flight (the second).
"""

import datetime as dt
import threading

import pytest
from django.db import connection

from backoffice import locks
from fleet.models import Flight
from refunds import services as refunds
from sales import inventory
from sales import services as sales
from sales.exceptions import FlightNotBookable, TryAgain
from sales.models import Booking, Ticket
from sales.selectors import inventory_mismatches
from sales.services import SegmentRequest
from tests.factories import FareBucketFactory
from tests.refunds.conftest import make_flight
from tests.sales.conftest import CONTACT, adults
from tests.sales.race import race

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only("row locks across connections"),
]

WAIT = 60  # seconds an event is waited for before the test gives up (a hang, not a timing)
BEFORE_THE_LOCKS, WHILE_LOCKED = "lands before the cancellation's locks", "lands while the flight is locked"


class Choreography:
    """The cancellation (on its own thread) and the booking, met at one moment by events."""

    def __init__(self, moment, flight, later, fare_class, user):
        self.moment = moment
        self.flight, self.later, self.user = flight, later, user
        self.segments = [SegmentRequest(f.pk, fare_class.code) for f in (flight, later)]
        self.cancelling = threading.local()
        self.read_bookings = threading.Event()  # the cancellation has read F's bookings, locked nothing yet
        self.flight_locked = threading.Event()  # the cancellation holds F
        self.booked = threading.Event()  # the booking has committed, or was refused
        self.booking_waits = False  # the booking was seen waiting for a lock

    def lock_in_order(self, real):
        def lock_in_order(**kinds):
            if not getattr(self.cancelling, "on", False):
                return real(**kinds)
            if kinds.get("bookings") is not None and not self.read_bookings.is_set():
                self.read_bookings.set()
                if self.moment == BEFORE_THE_LOCKS:
                    assert self.booked.wait(WAIT), "the booking did not finish"
            locked = real(**kinds)
            if self.flight.pk in locked.flights and not self.flight_locked.is_set():
                self.flight_locked.set()
                if self.moment == WHILE_LOCKED:
                    self.booking_waits = self._a_connection_waits_for_a_lock()
            return locked

        return lock_in_order

    def _a_connection_waits_for_a_lock(self):
        for _ in range(WAIT * 20):
            with connection.cursor() as cursor:
                # The statistics are read once per transaction unless their snapshot is cleared.
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0]:
                    return True
            threading.Event().wait(0.05)
        return False

    def cancel(self):
        self.cancelling.on = True
        return refunds.cancel_flight(flight=self.flight, user=self.user)

    def book(self):
        moment = self.read_bookings if self.moment == BEFORE_THE_LOCKS else self.flight_locked
        assert moment.wait(WAIT), "the cancellation did not get there"
        try:
            return sales.book(segments=self.segments, passengers=adults(1), agent=self.user, **CONTACT)
        finally:
            self.booked.set()

    def run(self, monkeypatch):
        monkeypatch.setattr(locks, "lock_in_order", self.lock_in_order(locks.lock_in_order))
        return race([self.cancel, self.book])


def scene(moment, refundable, counter_user):
    flight, later = make_flight(), make_flight(dt.timedelta(days=12))
    for f in (flight, later):
        FareBucketFactory(flight=f, fare_class=refundable, seats_allocated=20)
    return Choreography(moment, flight, later, refundable, counter_user)


def live_on(flight):
    return list(Ticket.objects.filter(flight=flight, status__in=Ticket.LIVE_STATUSES))


def test_a_booking_landing_before_the_cancellations_locks_is_cancelled_with_the_flight(
    refundable, counter_user, monkeypatch
):
    play = scene(BEFORE_THE_LOCKS, refundable, counter_user)
    results, errors = play.run(monkeypatch)
    assert errors == []
    cancellation = next(r for r in results if isinstance(r, refunds.FlightCancellation))
    booking = next(r for r in results if isinstance(r, Booking))
    booking.refresh_from_db()
    assert cancellation.holds_cancelled == 1 and cancellation.seats_released == 1
    assert booking.status == Booking.Status.CANCELLED
    assert Flight.objects.get(pk=play.flight.pk).status == Flight.Status.CANCELLED
    assert live_on(play.flight) == [] and live_on(play.later) == []
    assert Flight.objects.get(pk=play.later.pk).seats_sold == 0
    assert inventory_mismatches() == ([], [])


def test_control_with_one_try_at_its_locks_the_cancellation_finds_that_booking_and_asks_to_try_again(
    refundable, counter_user, monkeypatch
):
    """The booking did land between the cancellation reading the bookings and locking them: the
    cancellation's second try is what takes it in."""
    monkeypatch.setattr(refunds, "CANCEL_LOCK_TRIES", 1)
    play = scene(BEFORE_THE_LOCKS, refundable, counter_user)
    results, errors = play.run(monkeypatch)
    assert [type(r) for r in results] == [Booking]
    assert [type(e) for e in errors] == [TryAgain]
    assert "Bookings are being made on this flight" in str(errors[0])
    assert Flight.objects.get(pk=play.flight.pk).status == Flight.Status.SCHEDULED


def test_a_booking_landing_while_the_flight_is_locked_for_cancelling_is_refused_in_words(
    refundable, counter_user, monkeypatch
):
    play = scene(WHILE_LOCKED, refundable, counter_user)
    results, errors = play.run(monkeypatch)
    assert play.booking_waits, "the booking never waited for the cancellation's lock"
    assert [type(r) for r in results] == [refunds.FlightCancellation]
    assert [type(e) for e in errors] == [FlightNotBookable]
    assert "cancelled" in str(errors[0])
    assert not Booking.objects.exists()
    assert live_on(play.flight) == [] and live_on(play.later) == []
    assert Flight.objects.get(pk=play.later.pk).seats_sold == 0
    assert inventory_mismatches() == ([], [])


def test_control_a_seat_update_that_does_not_ask_for_a_scheduled_flight_sells_on_the_cancelled_one(
    refundable, counter_user, monkeypatch
):
    monkeypatch.setattr(inventory, "_TAKE_FLIGHT", inventory._TAKE_FLIGHT.replace("status = %s", "%s IS NOT NULL"))
    play = scene(WHILE_LOCKED, refundable, counter_user)
    results, errors = play.run(monkeypatch)
    assert play.booking_waits
    assert errors == []
    assert Flight.objects.get(pk=play.flight.pk).status == Flight.Status.CANCELLED
    assert [t.status for t in live_on(play.flight)] == [Ticket.Status.HELD]
