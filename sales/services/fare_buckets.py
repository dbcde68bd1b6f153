"""A flight's fare buckets: opened from the route fare table when it is created, and edited by an Admin."""

from django.db.models import Q

from backoffice import locks
from backoffice.history import copy_create_with_history
from sales.exceptions import BucketNotChangeable
from sales.models import FareBucket, RouteFare
from sales.services.operation import sales_operation, save_changes


@sales_operation
def save_fare_buckets(*, buckets, user, flight_is_new=False):
    """Create or change fare buckets, as an Admin edits them on the flight's page.

    A bucket keeps its booking class; its allocation may not go below the seats it has sold,
    read under the row lock (they move only with bookings, and are kept as they are). A flight has
    one bucket per class: a new bucket in a class it already has is refused on its class, except
    with `flight_is_new` (the flight was added with these rows, and its route's fares have just
    opened their classes): there the bucket typed takes the place of the route fare's
    (docs/decisions.md).
    """
    buckets = sorted(buckets, key=lambda b: (b.pk is None, b.pk or 0))
    added = [b for b in buckets if not b.pk]
    # The flights first (the one order, backoffice/locks.py): nobody adds a class to them meanwhile.
    locks.lock_in_order(flights={b.flight_id for b in added})
    same_class = Q(pk__in=[b.pk for b in buckets if b.pk])
    for bucket in added:
        same_class |= Q(flight_id=bucket.flight_id, fare_class_id=bucket.fare_class_id)
    ids = FareBucket.objects.filter(same_class).values_list("pk", flat=True)
    current = locks.lock_in_order(buckets=ids, select_related={"buckets": ["fare_class"]}).buckets.values()
    by_id = {b.pk: b for b in current}
    by_class = {(b.flight_id, b.fare_class_id): b for b in current}
    for bucket in added:
        opened = by_class.get((bucket.flight_id, bucket.fare_class_id))
        if opened is None:
            continue
        if not flight_is_new:
            raise BucketNotChangeable(
                f"This flight already has a bucket in class {opened.fare_class.code}: change that row.",
                field="fare_class",
                record=bucket,
            )
        bucket.pk = opened.pk
        by_id[opened.pk] = opened
    for bucket in buckets:
        if bucket.pk:
            was = by_id[bucket.pk]
            if bucket.fare_class_id != was.fare_class_id:
                raise BucketNotChangeable(
                    "A bucket keeps its booking class: add a bucket for another class.",
                    field="fare_class",
                    record=bucket,
                )
            if bucket.seats_allocated < was.seats_sold:
                raise BucketNotChangeable(
                    f"Cannot go below the {was.seats_sold} seats already sold.", field="seats_allocated", record=bucket
                )
            bucket.seats_sold = was.seats_sold
        save_changes(bucket, user)
    return buckets


def route_fare_table(routes=None):
    """The route fare table as {(origin id, destination id): [RouteFare, ...]}, for some routes or all."""
    fares = RouteFare.objects.all()
    if routes is not None:
        route_filter = Q()
        for origin_id, destination_id in routes:
            route_filter |= Q(origin_id=origin_id, destination_id=destination_id)
        fares = fares.filter(route_filter) if routes else fares.none()
    table = {}
    for fare in fares:
        table.setdefault((fare.origin_id, fare.destination_id), []).append(fare)
    return table


def open_sales_of_new_flights(sender, *, flights, user, **kwargs):
    """Receiver of fleet's `flights_created` (connected in `SalesConfig.ready`): new flights go on sale."""
    open_sales(flights=flights, user=user, new=True)


def open_sales(*, flights, user, table=None, new=False):
    """Give flights their fare buckets from the route fare table; flights that have buckets keep them.

    `flights` need `pk`, `origin_id`, `destination_id` and `capacity`; with `new=True` they are
    known to have none yet. Allocations are capped at the flight's capacity.
    """
    flights = list(flights)
    if not flights:
        return 0
    has_buckets = (
        set()
        if new
        else set(FareBucket.objects.filter(flight__in=flights).values_list("flight_id", flat=True).distinct())
    )
    if table is None:
        table = route_fare_table({(f.origin_id, f.destination_id) for f in flights})
    buckets = [
        {
            "flight_id": flight.pk,
            "fare_class_id": fare.fare_class_id,
            "price": fare.price,
            "seats_allocated": min(fare.seats_allocated, flight.capacity),
            "seats_sold": 0,
        }
        for flight in flights
        if flight.pk not in has_buckets
        for fare in table.get((flight.origin_id, flight.destination_id), [])
    ]
    copy_create_with_history(FareBucket, buckets, user=user)
    return len(buckets)
