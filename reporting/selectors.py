"""Report queries: every figure that money depends on is summed by the database.

Each summary is one GROUP BY query (the period truncated in the business time
zone, then the report's own keys) and one aggregate for the totals; each
listing is one query, read lazily so that an export streams. No query here
depends on the number of rows.

At scale (bench/reports.py: a year of 5 million tickets), a month of tickets or
payments is too many rows to sum within a second: the sales report and the
cash-up's payments read the daily summaries that each sale keeps
(sales/summaries.py), whose day is the business day, so that a range of whole
local days is a range of days there too. A listing page reads the keys of its
rows first, from one table and one index (`*_keys`), then only those rows with
their joins; its page count is counted on that one table as well.
"""

from django.db.models import Avg, Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value

from fleet.models import Flight
from refunds.models import Refund
from reporting.periods import period_of
from sales import listing
from sales.models import Cabin, DailyAgentSales, DailyPayments, DailyRouteSales, IssuedTicket, Payment, Ticket

# --- Sales: tickets issued ----------------------------------------------------

SALES_BREAKDOWNS = {
    "route": {"origin": F("flight__origin__code"), "destination": F("flight__destination__code")},
    "fare_class": {"fare_class": F("fare_bucket__fare_class__code")},
    "agent": {"agent": F("issued_by__username")},
}

SALES_FIGURES = {
    "tickets": Count("pk"),
    "fare": Sum("fare_amount"),
    "taxes": Sum("tax_amount"),
    "total": Sum("total_amount"),
}

# The same from the daily summaries (whose own fields are named like the keys: read under another name first).
SUMMARY_BREAKDOWNS = {
    "route": {"origin": F("origin__code"), "destination": F("destination__code")},
    "fare_class": {"fare_class": F("fare_class__code")},
    "agent": {"agent": F("agent__username")},
}
SUMMARY_FIGURES = {"tickets": Sum("tickets"), "fare": Sum("fare"), "taxes": Sum("taxes"), "total": Sum("total")}


def daily_sales(date_range, breakdown, *, agent=None, fare_class=None):
    """The summary rows of the range's days that a breakdown and filters read; None when none can (then: tickets).

    By route: the route table, which knows no agent; by fare class or agent, and the totals: the agent table.
    """
    if breakdown == "route":
        if agent is not None:
            return None
        rows = DailyRouteSales.objects.all()
    else:
        rows = DailyAgentSales.objects.all()
        if agent is not None:
            rows = rows.filter(agent=agent)
    if fare_class is not None:
        rows = rows.filter(fare_class=fare_class)
    return rows.filter(**date_range.dates("day")).order_by()


def tickets_issued(date_range, *, agent=None, fare_class=None):
    """Every ticket issued in the range, whatever became of it since (voids and refunds are the refunds report's)."""
    tickets = Ticket.objects.filter(**date_range.instants("issued_at"))
    if agent is not None:
        tickets = tickets.filter(issued_by=agent)
    if fare_class is not None:
        tickets = tickets.filter(fare_bucket__fare_class=fare_class)
    return tickets.order_by()


def sales_summary(date_range, grouping, breakdown, **filters):
    """Rows of (period, breakdown keys, tickets, fare, taxes, total), period first.

    From the daily summaries; by route for one agent (which they do not hold), from that agent's tickets.
    """
    summary = daily_sales(date_range, breakdown, **filters)
    if summary is None:
        keys = SALES_BREAKDOWNS[breakdown]
        return (
            tickets_issued(date_range, **filters)
            .annotate(period=period_of("issued_at", grouping))
            .values("period", **keys)
            .annotate(**SALES_FIGURES)
            .order_by("period", *keys)
        )
    keys = {f"{name}_key": value for name, value in SUMMARY_BREAKDOWNS[breakdown].items()}
    rows = (
        summary.annotate(period=period_of("day", grouping, calendar_date=True))
        .values("period", **keys)
        .annotate(**SUMMARY_FIGURES)
        .order_by("period", *keys)
    )
    return ({name.removesuffix("_key"): value for name, value in row.items()} for row in rows)


def sales_totals(date_range, **filters):
    return daily_sales(date_range, "agent", **filters).aggregate(**SUMMARY_FIGURES)


def issued_tickets(date_range, *, agent=None, fare_class=None):
    """The sales listing's rows (one per ticket issued in the range), kept by sales/listing.py."""
    rows = IssuedTicket.objects.filter(**date_range.instants("issued_at"))
    if agent is not None:
        rows = rows.filter(agent=agent)
    if fare_class is not None:
        rows = rows.filter(fare_class=fare_class)
    return rows.order_by()


def sales_document_keys(date_range, **filters):
    """The keys of the rows of `sales_documents`, in its order, from the listing's (issued_at, number) index alone."""
    return issued_tickets(date_range, **filters).order_by("issued_at", "number").values_list("pk", flat=True)


def sales_documents(date_range, **filters):
    """The tickets issued, in issue order, as the listing shows them: one table, whose rows each sale keeps.

    The same rows computed from the tickets, their booking, passenger, flight, airports, class, agent and
    first payment (a join of nine tables): tests/reporting/test_sales_listing_table.py.
    """
    return (
        issued_tickets(date_range, **filters)
        .order_by("issued_at", "number")
        # The listing's columns are the table's (sales/listing.py), less the two keys it filters on.
        .values(*(name for name in listing.FIELDS if not name.endswith("_id")))
    )


# --- Refunds ---------------------------------------------------------------------

REFUND_FIGURES = {
    "refunds": Count("pk"),
    "fare_returned": Sum(F("fare_paid") - F("fee_kept")),
    "fees_kept": Sum("fee_kept"),
    "taxes_returned": Sum("taxes_returned"),
    "amount_returned": Sum("amount"),
    "time_to_payment": Avg(F("paid_at") - F("requested_at"), filter=Q(status=Refund.Status.PAID)),
}


def refunds_requested(date_range, *, status=None, kind=None):
    """Refunds requested in the range, in whatever status they are now."""
    refunds = Refund.objects.filter(**date_range.instants("requested_at"))
    if status:
        refunds = refunds.filter(status=status)
    if kind:
        refunds = refunds.filter(kind=kind)
    return refunds.order_by()


def refund_keys(date_range, **filters):
    return refunds_requested(date_range, **filters).order_by("requested_at", "pk").values_list("pk", flat=True)


def refund_summary(date_range, grouping, **filters):
    return (
        refunds_requested(date_range, **filters)
        .annotate(period=period_of("requested_at", grouping))
        .values("period", "status", "kind")
        .annotate(**REFUND_FIGURES)
        .order_by("period", "status", "kind")
    )


def refund_totals(date_range, **filters):
    return refunds_requested(date_range, **filters).aggregate(**REFUND_FIGURES)


def refund_listing(date_range, **filters):
    return (
        refunds_requested(date_range, **filters)
        .order_by("requested_at", "pk")
        .values(
            "pk",
            "requested_at",
            "kind",
            "status",
            "fare_paid",
            "fee_kept",
            "taxes_returned",
            "amount",
            "decided_at",
            "rejection_reason",
            "paid_at",
            "method",
            "reference",
            ticket_number=F("ticket__number"),
            record_locator=F("ticket__booking__record_locator"),
            surname=F("ticket__passenger__surname"),
            given_names=F("ticket__passenger__given_names"),
            title=F("ticket__passenger__title"),
            origin=F("ticket__flight__origin__code"),
            destination=F("ticket__flight__destination__code"),
            requester=F("requested_by__username"),
            approver=F("decided_by__username"),
            payer=F("paid_by__username"),
        )
    )


# --- Payments / cash-up ------------------------------------------------------------


def payments_taken(date_range, *, agent=None, method=None):
    payments = Payment.objects.filter(**date_range.instants("received_at"))
    if agent is not None:
        payments = payments.filter(agent=agent)
    if method:
        payments = payments.filter(method=method)
    return payments.order_by()


def refunds_paid_out(date_range, *, agent=None, method=None):
    refunds = Refund.objects.filter(status=Refund.Status.PAID, **date_range.instants("paid_at"))
    if agent is not None:
        refunds = refunds.filter(paid_by=agent)
    if method:
        refunds = refunds.filter(method=method)
    return refunds.order_by()


def daily_payments(date_range, *, agent=None, method=None):
    """The payments' daily summary rows of the range's days (sales/summaries.py)."""
    rows = DailyPayments.objects.filter(**date_range.dates("day"))
    if agent is not None:
        rows = rows.filter(agent=agent)
    if method:
        rows = rows.filter(method=method)
    return rows.order_by()


def cash_up(date_range, grouping, **filters):
    """Payments taken and refunds paid out per period, agent and method: two GROUP BY queries.

    Returns (payments rows, refunds rows), each keyed by period, agent and method. Payments are
    read from their daily summary; refunds paid out (far fewer) from the refunds.
    """
    taken = (
        daily_payments(date_range, **filters)
        .annotate(period=period_of("day", grouping, calendar_date=True))
        .values("period", "method", agent_name=F("agent__username"))
        .annotate(count=Sum("payments"), amount=Sum("amount"))
        .order_by("period", "agent_name", "method")
    )
    paid_out = (
        refunds_paid_out(date_range, **filters)
        .annotate(period=period_of("paid_at", grouping))
        .values("period", "method", agent_name=F("paid_by__username"))
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by("period", "agent_name", "method")
    )
    return taken, paid_out


def cash_up_totals(date_range, **filters):
    taken = daily_payments(date_range, **filters).aggregate(count=Sum("payments"), amount=Sum("amount"))
    paid_out = refunds_paid_out(date_range, **filters).aggregate(count=Count("pk"), amount=Sum("amount"))
    return {"count": taken["count"] or 0, "amount": taken["amount"]}, paid_out


def drawer_movement_keys(date_range, **filters):
    """(time, movement, id) of each movement of `drawer_movements`, in its order, from two indexes only."""
    payments = payments_taken(date_range, **filters).annotate(at=F("received_at"), movement=Value("payment"))
    refunds = refunds_paid_out(date_range, **filters).annotate(at=F("paid_at"), movement=Value("refund"))
    keys = ("at", "movement", "pk")
    return payments.values_list(*keys).union(refunds.values_list(*keys), all=True).order_by(*keys)


def drawer_movements(date_range, *, payment_ids=None, refund_ids=None, **filters):
    """Each payment taken and each refund paid out, in time order, in one lazy listing (UNION ALL).

    `signed` is the amount with refunds negative, so that a column sums to the net. With
    `payment_ids` and `refund_ids` (a page of `drawer_movement_keys`), only those.
    """
    columns = ("at", "agent_name", "method", "reference", "record_locator", "ticket_number", "movement", "signed")
    payments, refunds = payments_taken(date_range, **filters), refunds_paid_out(date_range, **filters)
    if payment_ids is not None:
        payments, refunds = payments.filter(pk__in=payment_ids), refunds.filter(pk__in=refund_ids)
    payments = payments.annotate(
        at=F("received_at"),
        agent_name=F("agent__username"),
        record_locator=F("booking__record_locator"),
        ticket_number=Value(""),
        movement=Value("payment"),
        signed=F("amount"),
    )
    refunds = refunds.annotate(
        at=F("paid_at"),
        agent_name=F("paid_by__username"),
        record_locator=F("ticket__booking__record_locator"),
        ticket_number=F("ticket__number"),
        movement=Value("refund"),
        signed=ExpressionWrapper(-F("amount"), output_field=DecimalField(max_digits=12, decimal_places=2)),
    )
    return (
        payments.values(*columns, "pk").union(refunds.values(*columns, "pk"), all=True).order_by("at", "movement", "pk")
    )


# --- Load factor --------------------------------------------------------------------

CABINS = [code for code, _label in Cabin.choices]
# Tickets of a lap infant who no longer travels.
DEAD = [Ticket.Status.VOID, Ticket.Status.REFUNDED, Ticket.Status.CANCELLED]


def flights_in(date_range, *, origin=None, destination=None):
    """Flights whose flight date (the local departure date of the first leg) is in the range."""
    flights = Flight.objects.filter(**date_range.dates("flight_date"))
    if origin is not None:
        flights = flights.filter(origin=origin)
    if destination is not None:
        flights = flights.filter(destination=destination)
    return flights.order_by()


def flight_keys(date_range, **filters):
    return flights_in(date_range, **filters).order_by(*FLIGHT_ORDER).values_list("pk", flat=True)


FLIGHT_ORDER = ("flight_date", "scheduled_departure", "carrier", "number", "leg_number")


def load_factor_by_flight(date_range, **filters):
    """Each flight with its seats sold, capacity and the passengers holding a seat in each cabin."""
    seated = Q(tickets__holds_seat=True)
    by_cabin = {
        f"cabin_{cabin}": Count("tickets", filter=seated & Q(tickets__fare_bucket__fare_class__cabin=cabin))
        for cabin in CABINS
    }
    infants = Count("tickets", filter=Q(tickets__passenger__passenger_type="INF") & ~Q(tickets__status__in=DEAD))
    return (
        flights_in(date_range, **filters)
        .annotate(**by_cabin, infants=infants)
        .order_by(*FLIGHT_ORDER)
        .values(
            "pk",
            "carrier",
            "number",
            "suffix",
            "leg_number",
            "flight_date",
            "scheduled_departure",
            "status",
            "capacity",
            "seats_sold",
            *by_cabin,
            "infants",
            origin_code=F("origin__code"),
            destination_code=F("destination__code"),
            aircraft=F("aircraft_type__code"),
        )
    )


LOAD_FIGURES = {
    "flights": Count("pk", filter=~Q(status=Flight.Status.CANCELLED)),
    "cancelled": Count("pk", filter=Q(status=Flight.Status.CANCELLED)),
    "flights_flown": Count("pk", filter=Q(status=Flight.Status.DEPARTED)),
    "seats_offered": Sum("capacity", filter=~Q(status=Flight.Status.CANCELLED)),
    "sold": Sum("seats_sold", filter=~Q(status=Flight.Status.CANCELLED)),
    "seats_flown": Sum("capacity", filter=Q(status=Flight.Status.DEPARTED)),
    "passengers_flown": Sum("seats_sold", filter=Q(status=Flight.Status.DEPARTED)),
}


def load_factor_by_route(date_range, grouping, **filters):
    return (
        flights_in(date_range, **filters)
        .annotate(period=period_of("flight_date", grouping, calendar_date=True))
        .values("period", origin_code=F("origin__code"), destination_code=F("destination__code"))
        .annotate(**LOAD_FIGURES)
        .order_by("period", "origin_code", "destination_code")
    )


def load_factor_totals(date_range, **filters):
    return flights_in(date_range, **filters).aggregate(**LOAD_FIGURES)
