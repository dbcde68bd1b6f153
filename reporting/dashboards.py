"""What each role's home page reads: every figure in a fixed number of queries, whatever the data.

Counter staff: today's departures from their station, their holds expiring today, their sales today.
Finance: refunds waiting for a decision and for payment, today's cash-up, thirty days of sales and refunds.
Admin: flights over 90 % full in the next seven days, today's departures, sales today against the same
weekday last week, the last schedule import.

"Today" is the business day (BUSINESS_TIME_ZONE, reporting/periods.py), as for the reports; sums of money
are the database's (rounded to the cent once read, as SQLite returns floats). Lists are cut at a few rows
and counted apart, so a busy day costs the same queries as a quiet one.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone

from backoffice.money import to_cents
from fleet.models import Flight, ScheduleLine
from fleet.selectors import fuller_than
from refunds.models import Refund
from reporting import selectors
from reporting.periods import DateRange, business_zone, period_of
from reporting.reports import percent
from sales.models import Booking, Payment, Ticket

CANCELLED = Flight.Status.CANCELLED
FULL_PERCENT = 90
FULL_DAYS = 7
CHART_DAYS = 30


def business_today(now=None):
    """The business day `now` falls in."""
    return timezone.localtime(now or timezone.now(), business_zone()).date()


def one_day(day):
    return DateRange(day, day)


# --- Departures -------------------------------------------------------------------


@dataclass(frozen=True)
class Departures:
    """Flights leaving in a day: the first `limit` in departure order, and figures over all of them."""

    flights: list
    count: int
    cancelled: int
    seats_sold: int
    capacity: int  # of the flights not cancelled

    @property
    def load_factor(self):
        return percent(self.seats_sold, self.capacity)


def departures(day, *, origin=None, limit, shown_from=None):
    """Flights whose scheduled departure falls in the business day `day`, from `origin` or every station.

    Two queries: the first `limit` flights (those leaving from `shown_from` on, if given) with their
    airports, and the figures of all of them.
    """
    flights = Flight.objects.filter(**one_day(day).instants("scheduled_departure"))
    if origin is not None:
        flights = flights.filter(origin=origin)
    listed = flights if shown_from is None else flights.filter(scheduled_departure__gte=shown_from)
    shown = list(
        listed.select_related("origin", "destination").order_by("scheduled_departure", "carrier", "number")[:limit]
    )
    flying = ~Q(status=CANCELLED)
    figures = flights.aggregate(
        count=Count("pk"),
        cancelled=Count("pk", filter=Q(status=CANCELLED)),
        seats_sold=Sum("seats_sold", filter=flying),
        capacity=Sum("capacity", filter=flying),
    )
    return Departures(
        flights=shown,
        count=figures["count"],
        cancelled=figures["cancelled"],
        seats_sold=figures["seats_sold"] or 0,
        capacity=figures["capacity"] or 0,
    )


def full_flights(first_day, *, limit, days=FULL_DAYS, over=FULL_PERCENT):
    """Scheduled flights departing from `first_day` through the `days`-1 days after it, more than `over` % sold.

    Two queries: the first `limit` in departure order, and how many there are.
    """
    window = DateRange(first_day, first_day + dt.timedelta(days=days - 1))
    flights = fuller_than(
        Flight.objects.filter(status=Flight.Status.SCHEDULED, **window.instants("scheduled_departure")), over
    )
    shown = list(
        flights.select_related("origin", "destination").order_by("scheduled_departure", "carrier", "number")[:limit]
    )
    return window, shown, flights.count()


# --- The counter ------------------------------------------------------------------------


def holds_expiring(agent, day, *, limit):
    """Bookings `agent` holds whose hold deadline falls in the business day `day`: the first `limit`
    by deadline, and how many. Two queries."""
    holds = Booking.objects.filter(agent=agent, status=Booking.Status.HELD, **one_day(day).instants("hold_deadline"))
    return list(holds.order_by("hold_deadline", "pk")[:limit]), holds.count()


@dataclass(frozen=True)
class AgentDay:
    tickets: int
    sold: object  # Decimal: fare and taxes of the tickets issued
    payments: int
    taken: object  # Decimal


def agent_day(agent, day):
    """Tickets `agent` issued and payments they took in the business day `day`. Two queries."""
    tickets = selectors.tickets_issued(one_day(day), agent=agent).aggregate(
        count=Count("pk"), total=Sum("total_amount")
    )
    payments = selectors.payments_taken(one_day(day), agent=agent).aggregate(count=Count("pk"), amount=Sum("amount"))
    return AgentDay(
        tickets=tickets["count"],
        sold=to_cents(tickets["total"]),
        payments=payments["count"],
        taken=to_cents(payments["amount"]),
    )


# --- Finance ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundQueue:
    waiting: int
    waiting_amount: object
    oldest_request: object  # when the oldest refund waiting for a decision was requested
    unpaid: int
    unpaid_amount: object
    oldest_approval: object  # when the oldest refund approved and not paid was approved
    oldest: list  # the refunds waiting longest, oldest first


def refund_queue(*, limit):
    """Refunds waiting for a decision and approved ones waiting for payment. Two queries."""
    requested, approved = Q(status=Refund.Status.REQUESTED), Q(status=Refund.Status.APPROVED)
    figures = Refund.objects.filter(requested | approved).aggregate(
        waiting=Count("pk", filter=requested),
        waiting_amount=Sum("amount", filter=requested),
        oldest_request=Min("requested_at", filter=requested),
        unpaid=Count("pk", filter=approved),
        unpaid_amount=Sum("amount", filter=approved),
        oldest_approval=Min("decided_at", filter=approved),
    )
    oldest = list(
        Refund.objects.filter(requested)
        .select_related("ticket__passenger", "ticket__flight", "requested_by")
        .order_by("requested_at", "pk")[:limit]
    )
    return RefundQueue(
        waiting=figures["waiting"],
        waiting_amount=to_cents(figures["waiting_amount"]),
        oldest_request=figures["oldest_request"],
        unpaid=figures["unpaid"],
        unpaid_amount=to_cents(figures["unpaid_amount"]),
        oldest_approval=figures["oldest_approval"],
        oldest=oldest,
    )


@dataclass(frozen=True)
class CashLine:
    method: str  # a payment method, or "" for the total
    label: str
    payments: int
    taken: object
    refunds: int
    paid_out: object

    @property
    def net(self):
        return self.taken - self.paid_out


def cash_up(day):
    """Payments taken and refunds paid out in the business day `day`, per method, then the total.

    Two queries (each grouped by method); the total adds the database's per-method sums, which are exact.
    """
    taken = {
        row["method"]: row
        for row in selectors.payments_taken(one_day(day))
        .values("method")
        .annotate(count=Count("pk"), amount=Sum("amount"))
    }
    paid_out = {
        row["method"]: row
        for row in selectors.refunds_paid_out(one_day(day))
        .values("method")
        .annotate(count=Count("pk"), amount=Sum("amount"))
    }
    none = {"count": 0, "amount": None}
    lines = [
        CashLine(
            method=method,
            label=str(label),
            payments=taken.get(method, none)["count"],
            taken=to_cents(taken.get(method, none)["amount"]),
            refunds=paid_out.get(method, none)["count"],
            paid_out=to_cents(paid_out.get(method, none)["amount"]),
        )
        for method, label in Payment.Method.choices
    ]
    total = CashLine(
        method="",
        label="",
        payments=sum(line.payments for line in lines),
        taken=sum((line.taken for line in lines), to_cents(None)),
        refunds=sum(line.refunds for line in lines),
        paid_out=sum((line.paid_out for line in lines), to_cents(None)),
    )
    return lines, total


@dataclass(frozen=True)
class DayFigures:
    day: dt.date
    sales: object  # tickets issued that day: fare and taxes
    refunds: object  # refunds requested that day: amount returned


def sales_and_refunds(last_day, *, days=CHART_DAYS):
    """Each of the `days` business days up to `last_day`: sales (tickets issued) and refunds (requested),
    as the sales and refunds reports count them. Two queries (each grouped by day); the sales from the daily
    summaries each sale keeps (sales/summaries.py), as the sales report reads them: thirty days of a busy
    airline's tickets are too many to sum row by row within the page's time (bench/reports.py)."""
    window = DateRange(last_day - dt.timedelta(days=days - 1), last_day)
    sales = dict(
        selectors.daily_sales(window, "agent").values("day").annotate(sold=Sum("total")).values_list("day", "sold")
    )
    refunds = dict(
        selectors.refunds_requested(window)
        .annotate(period=period_of("requested_at", "day"))
        .values("period")
        .annotate(total=Sum("amount"))
        .values_list("period", "total")
    )
    return window, [
        DayFigures(day, to_cents(sales.get(day)), to_cents(refunds.get(day)))
        for day in (window.first + dt.timedelta(days=n) for n in range(days))
    ]


# --- Admin ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesComparison:
    today: dt.date
    last_week: dt.date  # the same weekday, a week before
    tickets: int
    sold: object
    last_week_tickets_by_now: int  # up to the same local time
    last_week_sold_by_now: object
    last_week_tickets: int  # the whole day
    last_week_sold: object

    @property
    def change(self):
        """Today against last week by the same time, in per cent (None when last week had sold nothing by then)."""
        if not self.last_week_sold_by_now:
            return None
        return percent(self.sold - self.last_week_sold_by_now, self.last_week_sold_by_now)


def sales_against_last_week(now=None):
    """Tickets issued today, and on the same weekday last week (by this time of day, and all day). One query."""
    zone = business_zone()
    local_now = timezone.localtime(now or timezone.now(), zone)
    today, last_week = local_now.date(), local_now.date() - dt.timedelta(days=7)
    this_day, that_day = one_day(today), one_day(last_week)
    # The same wall-clock time a week ago (not 168 hours: a clock change may lie between).
    same_time = dt.datetime.combine(last_week, local_now.time(), tzinfo=zone)
    on_today = Q(issued_at__gte=this_day.start, issued_at__lt=this_day.end)
    on_that_day = Q(issued_at__gte=that_day.start, issued_at__lt=that_day.end)
    by_now = on_that_day & Q(issued_at__lt=same_time)
    figures = (
        Ticket.objects.filter(on_today | on_that_day)
        .order_by()
        .aggregate(
            tickets=Count("pk", filter=on_today),
            sold=Sum("total_amount", filter=on_today),
            tickets_by_now=Count("pk", filter=by_now),
            sold_by_now=Sum("total_amount", filter=by_now),
            last_week_tickets=Count("pk", filter=on_that_day),
            last_week_sold=Sum("total_amount", filter=on_that_day),
        )
    )
    return SalesComparison(
        today=today,
        last_week=last_week,
        tickets=figures["tickets"],
        sold=to_cents(figures["sold"]),
        last_week_tickets_by_now=figures["tickets_by_now"],
        last_week_sold_by_now=to_cents(figures["sold_by_now"]),
        last_week_tickets=figures["last_week_tickets"],
        last_week_sold=to_cents(figures["last_week_sold"]),
    )


@dataclass(frozen=True)
class ScheduleImport:
    at: dt.datetime
    by: str | None  # the user name


def last_schedule_import():
    """When the schedule lines were last written, and by whom: every import writes them, nothing else does.
    One query; None before the first import."""
    row = (
        ScheduleLine.history.order_by("-history_date", "-history_id")
        .values("history_date", user=F("history_user__username"))
        .first()
    )
    return ScheduleImport(at=row["history_date"], by=row["user"]) if row else None
