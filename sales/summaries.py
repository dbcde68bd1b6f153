"""The daily summaries: tickets issued and payments taken, summed per business day, in the sale's transaction.

The sales report and the cash-up read a month from these tables instead of summing
hundreds of thousands of tickets and payments row by row (bench/reports.py: a month of a
5-million-ticket year takes seconds from the tickets, milliseconds from here). Each sale adds
its figures to its day's rows with one INSERT ... ON CONFLICT DO UPDATE per table (PostgreSQL
and SQLite alike), rows in key order so that two sales never wait on each other crosswise.

The day is the business day (BUSINESS_TIME_ZONE) of the moment of the sale. Nothing ever
subtracts: the reports count tickets issued and payments taken, whatever became of them.
`rebuild()` remakes every row from the tickets and payments (after BUSINESS_TIME_ZONE
changes, or to check: `manage.py rebuild_sales_summaries [--check]`).
"""

from collections import defaultdict
from zoneinfo import ZoneInfo

from django.apps import apps as installed_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from backoffice.money import ZERO


def business_day(instant):
    return timezone.localtime(instant, ZoneInfo(settings.BUSINESS_TIME_ZONE)).date()


def _add(model, rows):
    """Add `rows` ({key values: sums}) to `model`'s rows, making those that do not exist."""
    if not rows:
        return
    meta = model._meta
    keys, sums = SUMMARIES[meta.model_name]
    key_fields = [meta.get_field(name) for name in keys]
    sum_fields = [meta.get_field(name) for name in sums]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [quote(field.column) for field in key_fields + sum_fields]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    additions = ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in columns[len(keys) :])
    params = []
    for key in sorted(rows):
        values = (*key, *rows[key])
        params += [
            field.get_db_prep_value(value, connection)
            for field, value in zip(key_fields + sum_fields, values, strict=True)
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * len(rows))} "
            f"ON CONFLICT ({', '.join(columns[: len(keys)])}) DO UPDATE SET {additions}",
            params,
        )


def _sums(tickets, key):
    rows = defaultdict(lambda: [0, ZERO, ZERO, ZERO])
    for ticket in tickets:
        sums = rows[key(ticket)]
        sums[0] += 1
        sums[1] += ticket.fare_amount
        sums[2] += ticket.tax_amount
        sums[3] += ticket.total_amount
    return rows


def record_issue(tickets, *, agent, now):
    """Tickets just issued by `agent` at `now` (their flight and fare bucket loaded). In the caller's transaction."""
    from sales.models import DailyAgentSales, DailyRouteSales

    day = business_day(now)
    _add(
        DailyRouteSales,
        _sums(tickets, lambda t: (day, t.flight.origin_id, t.flight.destination_id, t.fare_bucket.fare_class_id)),
    )
    _add(DailyAgentSales, _sums(tickets, lambda t: (day, agent.pk, t.fare_bucket.fare_class_id)))


def record_payment(payment):
    """A payment just taken. In the caller's transaction."""
    from sales.models import DailyPayments

    _add(DailyPayments, {(business_day(payment.received_at), payment.agent_id, payment.method): (1, payment.amount)})


# --- From scratch ----------------------------------------------------------------------------

SALES_SUMS = ("tickets", "fare", "taxes", "total")
SUMMARIES = {
    # model name: (key fields, summed fields)
    "dailyroutesales": (("day", "origin", "destination", "fare_class"), SALES_SUMS),
    "dailyagentsales": (("day", "agent", "fare_class"), SALES_SUMS),
    "dailypayments": (("day", "agent", "method"), ("payments", "amount")),
}


def _from_scratch(apps):
    """(summary model, queryset of its rows in column order) for each summary, summed in the database."""
    ticket, payment = apps.get_model("sales", "Ticket"), apps.get_model("sales", "Payment")
    zone = ZoneInfo(settings.BUSINESS_TIME_ZONE)
    issued = ticket.objects.filter(issued_at__isnull=False).order_by().annotate(day=TruncDate("issued_at", tzinfo=zone))
    sales = {
        "tickets": Count("pk"),
        "fare": Sum("fare_amount"),
        "taxes": Sum("tax_amount"),
        "total": Sum("total_amount"),
    }
    keys = {
        "dailyroutesales": {
            "origin": F("flight__origin"),
            "destination": F("flight__destination"),
            "fare_class": F("fare_bucket__fare_class"),
        },
        "dailyagentsales": {"agent": F("issued_by"), "fare_class": F("fare_bucket__fare_class")},
    }
    for name, key in keys.items():
        rows = issued.values("day", **{f"{k}_key": v for k, v in key.items()}).annotate(**sales)
        yield apps.get_model("sales", name), rows.values_list("day", *(f"{k}_key" for k in key), *SALES_SUMS)
    taken = (
        payment.objects.order_by()
        .annotate(day=TruncDate("received_at", tzinfo=zone))
        .values("day", "agent", "method")
        .annotate(payments=Count("pk"), amount=Sum("amount"))
    )
    yield apps.get_model("sales", "DailyPayments"), taken.values_list("day", "agent", "method", "payments", "amount")


def rebuild(apps=installed_apps):
    """Every summary row remade from the tickets and payments, in one transaction (run it when nobody sells)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for model, rows in _from_scratch(apps):
            meta = model._meta
            keys, sums = SUMMARIES[meta.model_name]
            columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in keys + sums)
            select, params = rows.query.sql_with_params()
            model.objects.all().delete()
            cursor.execute(f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) {select}", params)


def differences(apps=installed_apps):
    """Per summary, how many rows differ from what the tickets and payments say (0 everywhere: all is well)."""
    found = {}
    for model, rows in _from_scratch(apps):
        keys, sums = SUMMARIES[model._meta.model_name]
        expected = {tuple(row) for row in rows}
        fields = [f"{name}_id" if model._meta.get_field(name).is_relation else name for name in keys + sums]
        kept = set(model.objects.values_list(*fields))
        found[model._meta.verbose_name_plural] = len(expected ^ kept)
    return found
