"""Booking has two write paths: one PostgreSQL statement (sales/booking_sql.py) and the ORM (SQLite).

The same bookings go through each path from the same starting point, and the whole database
afterwards (every row of every table, history included) must be the same, field by field.
Only what differs by nature is set aside: surrogate ids, the time a history row was written, and the
randomly drawn record locator. Foreign keys are compared by the row they point to, so a passenger
on the wrong booking or a history row of the wrong ticket shows. The comparison walks the models
the apps declare, so a field that one path forgets to write fails it without touching this test.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from fleet.services import get_or_create_airport
from sales import services
from sales.models import Booking, IssuedTicket, Passenger, Ticket, TicketTax
from sales.services import PassengerRequest, SegmentRequest, booking
from tests.factories import FareBucketFactory, FareClassFactory, TaxFactory, flight_leaving
from tests.sales.conftest import CONTACT

pytestmark = pytest.mark.django_db

# Drawn at random on each booking, or from a sequence that a rolled-back transaction does not give back:
# the same on both paths would be luck.
GENERATED = {
    (Booking, "record_locator"),
    (Ticket, "number"),
    (IssuedTicket, "number"),
    (IssuedTicket, "record_locator"),
}


@pytest.fixture
def trip(db):
    """Paris to London and back, each leg taxed by its departure country, plus a CDG airport charge."""
    cdg, lhr = get_or_create_airport(code="CDG", user=None), get_or_create_airport(code="LHR", user=None)
    TaxFactory(code="FR", amount=Decimal("4.63"), departure_country="FR")
    TaxFactory(
        code="QX", name="CDG airport charge", amount=Decimal("11.20"), departure_country="", departure_airport=cdg
    )
    TaxFactory(code="UB", name="UK passenger charge", amount=Decimal("15.50"), departure_country="GB")
    y, m = FareClassFactory(code="Y"), FareClassFactory(code="M")
    day = timezone.localdate() + dt.timedelta(days=12)
    legs = []
    for origin, destination, hour, number in ((cdg, lhr, 8, 1001), (lhr, cdg, 18, 1002)):
        flight = flight_leaving(day, hour, number=number, origin=origin, destination=destination, capacity=20)
        FareBucketFactory(flight=flight, fare_class=y, price=Decimal("180.00"), seats_allocated=10)
        FareBucketFactory(flight=flight, fare_class=m, price=Decimal("95.50"), seats_allocated=6)
        legs.append(flight)
    return legs


FAMILY = [
    PassengerRequest("Pêcheur", "Élodie Anne", "MRS"),
    PassengerRequest("O'Brien", "Sean", "MR"),
    PassengerRequest("Pêcheur", "Léa", "MISS", Passenger.Type.CHILD),
    PassengerRequest("Pêcheur", "Tom", "", Passenger.Type.INFANT, infant_of=1),
]


def make_bookings(legs, agent, now):
    out, back = legs
    services.book(
        segments=[SegmentRequest(out.pk, "M"), SegmentRequest(back.pk, "Y")],
        passengers=FAMILY,
        agent=agent,
        now=now,
        **CONTACT,
    )
    # Pay now, one way, no infant: the path's empty lists must write nothing extra. Its ticket is issued:
    # the sales listing's row (sales/listing.py) is compared too.
    services.pay_now(
        segments=[SegmentRequest(back.pk, "M")],
        passengers=[PassengerRequest("Durand", "Paul")],
        agent=agent,
        now=now,
        method="card",
        reference="CARD-1",
        contact_name="Paul Durand",
        contact_email="paul@example.com",
        contact_phone="+33 6 00 00 00 01",
    )


def database_after(legs, agent, now, *, path):
    """Every row of every model after the bookings, normalised; then put the database back."""
    with transaction.atomic():
        make_bookings(legs, agent, now)
        assert Booking.objects.count() == 2 and Ticket.objects.count() == 9 and TicketTax.objects.count() > 2, path
        assert IssuedTicket.objects.count() == 1, path
        rows = Snapshot().take()
        transaction.set_rollback(True)
    return rows


@pytest.mark.postgres_only("compares the PostgreSQL statement of sales/booking_sql.py with the ORM path")
def test_the_postgresql_statement_and_the_orm_write_the_same_rows_and_history(trip, counter_user, monkeypatch):
    now = timezone.now().replace(microsecond=0)
    with monkeypatch.context() as orm_only:
        orm_only.setattr(booking, "_insert_booking_sql", booking._insert_booking_orm)  # where `book` looks it up
        by_orm = database_after(trip, counter_user, now, path="ORM")
    by_sql = database_after(trip, counter_user, now, path="SQL")

    # Not a comparison of two empty sets: both paths wrote the bookings and their history.
    for label, count in {
        "sales.HistoricalBooking": 4,
        "sales.HistoricalPassenger": 5,
        "sales.HistoricalTicket": 10,
        "sales.IssuedTicket": 1,
    }.items():
        assert len(by_orm[label]) == len(by_sql[label]) == count, label
    assert set(by_sql) == set(by_orm)
    differences = {label: diff(by_orm[label], by_sql[label]) for label in by_orm if by_orm[label] != by_sql[label]}
    assert not differences, "\n".join(f"{label}:\n{text}" for label, text in differences.items())


def diff(orm_rows, sql_rows):
    """The fields that differ, row by row (first rows only); a foreign key shows as the row it points to."""
    only_orm = [r for r in orm_rows if r not in sql_rows]
    only_sql = [r for r in sql_rows if r not in orm_rows]
    lines = [f"  {len(orm_rows)} rows by the ORM, {len(sql_rows)} by the statement; {len(only_orm)} differ"]
    for orm_row, sql_row in list(zip(only_orm, only_sql, strict=False))[:3]:
        orm_values, sql_values = dict(orm_row), dict(sql_row)
        for name in dict.fromkeys([*orm_values, *sql_values]):
            if orm_values.get(name) != sql_values.get(name):
                lines.append(f"  {name}: ORM {short(orm_values.get(name))} / SQL {short(sql_values.get(name))}")
    return "\n".join(lines)


def short(value):
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and "." in value[0]:
        return f"<a {value[0]} row>"  # a foreign key: the row it points to differs, shown under its own table
    if isinstance(value, tuple) and value and value[0] == "row":
        return f"<history of a {value[1][0]} row>"
    return repr(value)


class Snapshot:
    """Rows as comparable values: ids, history times and generated codes aside, foreign keys by what they point to."""

    def __init__(self):
        self.natural = {}

    def take(self):
        tables = {}
        for model in apps.get_models(include_auto_created=True):
            if not model._meta.managed:  # no table: a report's permission (reporting/models.py)
                continue
            rows = [self.row(model, obj) for obj in model._base_manager.all()]
            tables[model._meta.label] = sorted(rows, key=repr)
        return tables

    def row(self, model, obj):
        tracked = getattr(model, "instance_type", None)  # set on simple-history's historical models
        values = []
        for field in model._meta.concrete_fields:
            if self.set_aside(model, tracked, field):
                continue
            value = getattr(obj, field.attname)
            if field.is_relation and value is not None:
                value = self.natural_key(field.related_model, value)
            elif tracked is not None and field.name == tracked._meta.pk.name:
                value = ("row", self.natural_key(tracked, value))
            values.append((field.name, value))
        return tuple(values)

    @staticmethod
    def set_aside(model, tracked, field):
        if field.primary_key or field.name == "history_date":
            return True
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return True
        owner = tracked or model
        return (owner, field.name) in GENERATED

    def natural_key(self, model, pk):
        key = (model._meta.label, pk)
        if key not in self.natural:
            self.natural[key] = ("cycle", model._meta.label)
            obj = model._base_manager.filter(pk=pk).first()
            self.natural[key] = (model._meta.label, self.row(model, obj) if obj else ("missing", pk))
        return self.natural[key]


def test_the_snapshot_sees_a_field_one_path_would_forget(trip, counter_user):
    """The comparison is not blind: a single changed column in one passenger shows up."""
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        make_bookings(trip, counter_user, now)
        before = Snapshot().take()
        Passenger.objects.filter(given_names="LEA").update(title="")
        after = Snapshot().take()
        transaction.set_rollback(True)
    changed = {label for label in before if before[label] != after[label]}
    # The passenger, and every row that points to it (its tickets, their tax lines and history rows).
    assert "sales.Passenger" in changed and "sales.HistoricalPassenger" in changed
    assert {label for label in changed if not label.startswith("sales.")} == set()


def test_the_statement_writes_every_column_of_each_model_and_refuses_one_it_has_no_value_for():
    """booking_sql's insert lists come from the models: every column is in them, and a column with neither
    a value from the statement nor a default stops the statement from being built at all."""
    from django.core.exceptions import ImproperlyConfigured

    from sales import booking_sql

    given = {"booking_id": "b.id", "passenger_id": "p.id", "flight_id": "v.f", "fare_bucket_id": "v.b"}
    given |= {"holds_seat": "v.h", "fare_amount": "v.fa", "tax_amount": "v.ta", "total_amount": "v.to"}
    params = []
    sql = booking_sql._insert(Ticket, given, params)
    columns = {f.column for f in Ticket._meta.concrete_fields if not f.primary_key}
    assert all(f'"{column}"' in sql for column in columns), sql
    # The defaults the ORM would write: no number, held, not issued.
    assert params == [None, Ticket.Status.HELD, None, None]
    with pytest.raises(ImproperlyConfigured, match="Ticket.holds_seat"):
        booking_sql._insert(Ticket, {k: v for k, v in given.items() if k != "holds_seat"}, [])
