"""The one lock order: bookings, then flights, then fare buckets, each by id (docs/architecture.md, "Locks").

Every write path that changes several of these rows locks them all here first, before it reads
their state. Two operations over the same rows then queue one behind the other instead of
deadlocking. Rows locked later in the transaction (tickets, refunds) come after these. The one
exception is the sale (`sales.inventory.take_seats`): its conditional UPDATEs are its locks, run
last in the booking's transaction, flights by id then buckets by id, the same order.

The locks are FOR NO KEY UPDATE: they conflict with each other and with any UPDATE of the row,
but not with the key-share locks a new row's foreign keys take (a booking inserts its tickets,
which reference the flights and buckets, before it takes the seats, in its own order): those
never join a wait cycle with this order.

The wait is bounded by the connection's `lock_timeout` (5 s on PostgreSQL, backoffice/settings.py);
a wait that runs out is a lock error the services turn into "try again"
(`sales.services.sales_operation`). On SQLite `select_for_update` does nothing: a writing
transaction holds the whole database from its start (BEGIN IMMEDIATE), so writers queue whole.

The models are named by label: backoffice sits below the apps that own them (STYLE.md).
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection

from backoffice import db_faults

# The order, first to last.
ORDER = (("bookings", "sales.Booking"), ("flights", "fleet.Flight"), ("buckets", "sales.FareBucket"))
# Ids per statement: a long list is locked in slices, still in one ascending order overall.
CHUNK = 5000


@dataclass
class Locked:
    """The locked rows, {id: row} per kind."""

    bookings: dict = field(default_factory=dict)
    flights: dict = field(default_factory=dict)
    buckets: dict = field(default_factory=dict)


def in_order(ids):
    """Ids (or rows) as the one order takes them: ascending ids."""
    return _ids(ids)


def _ids(values):
    return sorted({getattr(value, "pk", value) for value in values if value is not None})


def lock_rows(model, ids, *, select_related=(), skip_locked=False):
    """Lock these rows of one model, in ascending id order; {id: row}. With `skip_locked`, a row another
    transaction holds is left out instead of waited for."""
    rows = {}
    for start in range(0, len(ids), CHUNK):
        queryset = model._default_manager.select_for_update(of=("self",), no_key=True, skip_locked=skip_locked).filter(
            pk__in=ids[start : start + CHUNK]
        )
        if select_related:
            queryset = queryset.select_related(*select_related)
        rows.update((row.pk, row) for row in queryset.order_by("pk"))
    return rows


def lock_in_order(*, bookings=(), flights=(), buckets=(), select_related=None, skip_locked=False):
    """Lock bookings, then flights, then fare buckets, each by id; returns the rows (`Locked`).

    Each argument is ids or model instances (or both). `select_related` maps a kind
    ("flights") to the relations to load with its rows. Rows that no longer exist are left out,
    and with `skip_locked` rows another transaction holds too (a sweep that takes the rest).
    """
    wanted = {"bookings": _ids(bookings), "flights": _ids(flights), "buckets": _ids(buckets)}
    select_related = select_related or {}
    locked = Locked()
    for kind, label in ORDER:
        if wanted[kind]:
            model = apps.get_model(label)
            rows = lock_rows(model, wanted[kind], select_related=select_related.get(kind, ()), skip_locked=skip_locked)
            setattr(locked, kind, rows)
    return locked


def is_lock_error(error):
    """A lock wait that timed out, a deadlock, or SQLite's busy database (backoffice/db_faults.py's LOCKED)."""
    sqlstate = getattr(getattr(error, "__cause__", None), "sqlstate", None)
    return sqlstate in db_faults.LOCKED or (connection.vendor == "sqlite" and "locked" in str(error).lower())
