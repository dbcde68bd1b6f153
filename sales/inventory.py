"""Seat counters: the one place that moves `seats_sold` on flights and fare buckets.

A sale is a conditional UPDATE that only succeeds while seats remain; the row
lock it takes lasts until the transaction ends. These UPDATEs are the sale's
locks: they run last in the booking's transaction (the lock is held for the
shortest time) and in the one order of backoffice/locks.py (flights by id, then
buckets by id), so that two operations over the same flights wait for each
other instead of deadlocking. Every change writes its history row.
"""

from collections import Counter

from django.db import connection

from backoffice import locks
from backoffice.history import history_insert_parts, record_history
from backoffice.locks import is_lock_error  # noqa: F401 - the services' name for it
from fleet.models import Flight
from sales.exceptions import BucketClosed, FlightNotBookable, SoldOut
from sales.models import FareBucket

_FLIGHTS, _BUCKETS = Flight._meta.db_table, FareBucket._meta.db_table
# A flight sells while it is scheduled (the status is a parameter: its value is the model's).
_TAKE_FLIGHT = f"""
    UPDATE {_FLIGHTS} SET seats_sold = seats_sold + %s
    WHERE id = %s AND seats_sold + %s <= capacity AND status = %s AND scheduled_departure > %s
"""
_TAKE_BUCKET = f"""
    UPDATE {_BUCKETS} SET seats_sold = seats_sold + %s
    WHERE id = %s AND seats_sold + %s <= seats_allocated
"""
_RELEASE_FLIGHT = f"UPDATE {_FLIGHTS} SET seats_sold = seats_sold - %s WHERE id = %s"
_RELEASE_BUCKET = f"UPDATE {_BUCKETS} SET seats_sold = seats_sold - %s WHERE id = %s"


def _run(model, update, params, user):
    """Run one conditional counter update and write its history row; the row's id, or None if it did not match.

    On PostgreSQL the update and its history row are one statement (a data-modifying CTE),
    so the row lock is held for the shortest time.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            table, targets, sources, extra = history_insert_parts(model, user=user, history_type="~")
            cursor.execute(
                f"WITH u AS ({update} RETURNING *) "
                f"INSERT INTO {table} ({targets}) SELECT {sources} FROM u RETURNING id",
                [*params, *extra],
            )
            row = cursor.fetchone()
            return row[0] if row else None
        cursor.execute(f"{update} RETURNING id", params)
        row = cursor.fetchone()
    if row:
        record_history(model, [row[0]], user=user, history_type="~")
    return row[0] if row else None


def take_seats(*, seats_by_bucket, sales_close_before, now, user):
    """Take seats on flights and buckets, or raise and take none.

    `seats_by_bucket` maps FareBucket (with its flight loaded) to a seat count.
    Flights must depart after `now + sales_close_before`. The updates lock the rows in the
    one order (backoffice/locks.py); the tickets inserted before them took only key-share locks
    on their flights and buckets, which the helper's FOR NO KEY UPDATE does not wait for.
    """
    flights = {}
    by_flight = Counter()
    for bucket, seats in seats_by_bucket.items():
        by_flight[bucket.flight_id] += seats
        flights[bucket.flight_id] = bucket.flight
    latest_sale = now + sales_close_before
    for flight_id in locks.in_order(by_flight):
        seats = by_flight[flight_id]
        params = [seats, flight_id, seats, Flight.Status.SCHEDULED.value, latest_sale]
        if _run(Flight, _TAKE_FLIGHT, params, user) is None:
            raise _why_flight_refused(flights[flight_id], seats, latest_sale)
    for bucket in sorted(seats_by_bucket, key=lambda b: b.pk):  # buckets by id, after the flights
        seats = seats_by_bucket[bucket]
        if _run(FareBucket, _TAKE_BUCKET, [seats, bucket.pk, seats], user) is None:
            raise _why_bucket_refused(bucket, seats)


def release_seats(*, tickets, user):
    """Give back the seats these tickets held. The caller marks the tickets."""
    by_flight = Counter()
    by_bucket = Counter()
    for ticket in tickets:
        if ticket.holds_seat:
            by_flight[ticket.flight_id] += 1
            by_bucket[ticket.fare_bucket_id] += 1
    # The one order (flights by id, then buckets by id); the callers lock these rows first.
    for flight_id in sorted(by_flight):
        _run(Flight, _RELEASE_FLIGHT, [by_flight[flight_id], flight_id], user)
    for bucket_id, seats in sorted(by_bucket.items()):
        _run(FareBucket, _RELEASE_BUCKET, [seats, bucket_id], user)
    return sum(by_flight.values())


def _why_flight_refused(flight, seats, latest_sale):
    current = Flight.objects.get(pk=flight.pk)
    if current.status != Flight.Status.SCHEDULED:
        return FlightNotBookable(f"{flight} is {current.get_status_display().lower()}: it cannot be sold.")
    if current.scheduled_departure <= latest_sale:
        return FlightNotBookable(f"Sales for {flight} have closed.")
    left = current.capacity - current.seats_sold
    return SoldOut(
        f"{flight} has {left} seat{'s' if left != 1 else ''} left; {seats} asked for."
        if left
        else f"{flight} is sold out."
    )


def _why_bucket_refused(bucket, seats):
    current = FareBucket.objects.select_related("fare_class").get(pk=bucket.pk)
    left = current.seats_allocated - current.seats_sold
    if left <= 0:
        return BucketClosed(f"Class {current.fare_class.code} on {bucket.flight} is closed.")
    return BucketClosed(
        f"Class {current.fare_class.code} on {bucket.flight} has {left} seat{'s' if left != 1 else ''} left; "
        f"{seats} asked for."
    )


def locked_rows_in_order(queryset):
    """Lock rows of one model in primary-key order, FOR NO KEY UPDATE as backoffice/locks.py does."""
    return list(queryset.select_for_update(no_key=True).order_by("pk"))
