"""The reports: for each, who may run it, its form, its columns, and its rows from the selectors.

A report gives a summary (rows by period and its own keys, and totals) and a
listing (one row per document). Both are `Table`s that the admin page shows and
the CSV export streams; the columns say what each value is, so that money is
written with two decimals and times in the business zone.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from backoffice.money import grouped, to_cents
from fleet.models import Flight
from refunds.models import Refund
from reporting import forms, selectors
from reporting.models import CashUpReport, LoadFactorReport, RefundReport, SalesReport
from reporting.periods import business_zone, period_label
from reporting.pg_csv import concat, field, label, plain_text, raw, when
from sales.models import Payment, Ticket

TEXT, COUNT, MONEY, DATE, TIME, PERCENT, DAYS = "text", "count", "money", "date", "time", "percent", "days"
# An identifier or a code (ticket number, record locator, route, period): text that a printed page never cuts short.
CODE = "code"
TENTH = Decimal("0.1")
NUMBERS = (COUNT, MONEY, PERCENT, DAYS)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT
    # Free text that may run long (a reason) wraps on the page; everything else stays on one line.
    wraps: bool = False

    @property
    def numeric(self):
        return self.kind in NUMBERS


@dataclass
class Table:
    """Columns and rows (dicts keyed by column); `rows` may be a lazy iterator, `totals` one row or None."""

    columns: list
    rows: object
    totals: dict | None = None


@dataclass
class Listing:
    """One row per document: a lazy queryset and how each of its rows reads. Pages slice it; exports stream it.

    `cells` says the same as `to_row` in SQL, column by column (reporting.pg_csv), for the CSV that
    PostgreSQL writes itself; a change to one is a change to the other (tests/reporting/test_csv_copy.py).
    """

    columns: list
    queryset: object
    to_row: object
    totals: dict | None = None
    cells: dict | None = None
    # How a page is read at scale: the rows counted on one table, and rows `start` to `stop` by their keys.
    count: object = None
    page: object = None

    def rows(self, chunk_size=2000):
        return (self.to_row(values) for values in self.queryset.iterator(chunk_size=chunk_size))

    def pages(self):
        """What Django's Paginator slices: the queryset, or (with `count` and `page`) the same rows read by keys."""
        return _KeyedRows(self) if self.page is not None else self.queryset


class _KeyedRows:
    """A listing as Django's Paginator sees it: a count, and a slice."""

    def __init__(self, listing):
        self.listing = listing

    def count(self):
        return self.listing.count()

    def __getitem__(self, index):
        return self.listing.page(index.start, index.stop)


def by_keys(queryset, keys):
    """A page's rows: their keys first (one table, one index, however deep the page), then those rows only."""
    return lambda start, stop: queryset.filter(pk__in=list(keys[start:stop]))


def local(instant):
    return instant.astimezone(business_zone()) if instant is not None else None


def days(duration):
    if duration is None:
        return None
    return (Decimal(duration.total_seconds()) / 86400).quantize(TENTH, rounding=ROUND_HALF_UP)


def percent(part, whole):
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def iata_name(surname, given_names, title):
    name = f"{surname}/{given_names}"
    return f"{name} {title}" if title else name


def iata_name_sql(surname, given_names, title):
    return concat(
        field(surname),
        "/",
        field(given_names),
        when(raw(f'listing."{title}" <> %s', ""), concat(" ", field(title)), ""),
    )


def designator(values, prefix=""):
    number = f"{values[prefix + 'carrier']} {values[prefix + 'flight_number']}{values[prefix + 'suffix']}"
    return f"{number} {values[prefix + 'flight_date']:%d%b%y}".upper()


def designator_sql(number="flight_number"):
    return raw(
        f'upper(listing."carrier" || \' \' || listing."{number}" || listing."suffix" || \' \' '
        f"|| to_char(listing.\"flight_date\", 'DDMonYY'))"
    )


def route_sql(origin="origin", destination="destination"):
    return concat(field(origin), "-", field(destination))


def days_sql(later, earlier):
    return raw(f'round(extract(epoch FROM listing."{later}" - listing."{earlier}") / 86400, 1)')


class label_of:  # noqa: N801 (used as a function: label_of(choices)(value))
    """A choice's label, or the value itself when it is not a choice."""

    def __init__(self, choices):
        self.labels = {value: str(label) for value, label in choices}

    def __call__(self, value):
        return self.labels.get(value, value or "")


@dataclass(frozen=True)
class Cell:
    """A value as text, and whether it is a number (right-aligned)."""

    text: str
    numeric: bool
    wraps: bool = False


def display(value, column):
    """A value as the page (and the PDF) shows it."""
    if value is None or value == "":
        return Cell("", column.numeric)
    if column.kind == MONEY:
        return Cell(grouped(value), True)
    if column.kind == TIME:
        return Cell(f"{value:%d %b %Y %H:%M}", False)
    if column.kind in (PERCENT, DAYS):
        return Cell(f"{value}", True)
    if column.kind == COUNT:
        return Cell(f"{value:,}", True)
    return Cell(str(value), False, column.wraps)


PERIOD = Column("period", _("Period"), CODE)


@dataclass
class Report:
    """What every report has; each one below fills in its own parts."""

    slug: str
    title: str
    model: type
    form_class: type
    listing_title: str
    listing_button: str  # the page's link to its listing: "Each document"
    subject: str  # what the range applies to, for the heading: "Tickets issued"
    # How the range's days are read, for the heading; %(zone)s is the business time zone.
    range_note: str = _("both days whole, %(zone)s time")

    @property
    def permission(self):
        return f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"

    def permitted(self, user):
        return user.has_perm(self.permission)

    def may_open(self, user, agent_username):
        """Whether the query string asks for something this user may not see (only the cash-up narrows it)."""
        return True

    def form(self, data, *, user, listing=False):
        return self.form_class(data, user=user, listing=listing)

    def url_name(self, part=""):
        return f"reporting_{self.model._meta.model_name}_{part or 'changelist'}"


# --- 1. Sales ---------------------------------------------------------------------

SALES_KEYS = {
    "route": [Column("route", _("Route"), CODE)],
    "fare_class": [Column("fare_class", _("Fare class"), CODE)],
    "agent": [Column("agent", _("Agent"))],
}
SALES_FIGURES = [
    Column("tickets", _("Tickets"), COUNT),
    Column("fare", _("Fare"), MONEY),
    Column("taxes", _("Taxes"), MONEY),
    Column("total", _("Total"), MONEY),
]
ticket_status = label_of(Ticket.Status.choices)
payment_method = label_of(Payment.Method.choices)


SALES_LISTING = [
    Column("number", _("Ticket number"), CODE),
    Column("issued_at", _("Issued (local)"), TIME),
    Column("agent", _("Agent")),
    Column("record_locator", _("Record locator"), CODE),
    Column("passenger", _("Passenger")),
    Column("passenger_type", _("Type"), CODE),
    Column("flight", _("Flight"), CODE),
    Column("route", _("Route"), CODE),
    Column("fare_class", _("Class"), CODE),
    Column("fare", _("Fare"), MONEY),
    Column("taxes", _("Taxes"), MONEY),
    Column("total", _("Total"), MONEY),
    Column("form_of_payment", _("Form of payment")),
    Column("status", _("Status now")),
]


class Sales(Report):
    def summary(self, form):
        breakdown = form.cleaned_data["breakdown"]
        grouping = form.cleaned_data["grouping"]
        filters = form.filters()

        def row(values):
            keys = (
                {"route": f"{values['origin']}-{values['destination']}"}
                if breakdown == "route"
                else {breakdown: values[breakdown] or ""}
            )
            return {
                "period": period_label(values["period"], grouping),
                **keys,
                "tickets": values["tickets"],
                **{name: to_cents(values[name]) for name in ("fare", "taxes", "total")},
            }

        rows = selectors.sales_summary(form.date_range, grouping, breakdown, **filters)
        return Table(
            columns=[PERIOD, *SALES_KEYS[breakdown], *SALES_FIGURES],
            rows=[row(values) for values in rows],
            totals=self._totals(form),
        )

    def _totals(self, form):
        totals = selectors.sales_totals(form.date_range, **form.filters())
        return {"tickets": totals["tickets"], **{name: to_cents(totals[name]) for name in ("fare", "taxes", "total")}}

    def listing(self, form):
        def row(values):
            return {
                "number": values["number"],
                "issued_at": local(values["issued_at"]),
                "agent": values["agent_username"],
                "record_locator": values["record_locator"],
                "passenger": values["passenger"],
                "passenger_type": values["passenger_type"],
                "flight": values["flight"],
                "route": values["route"],
                "fare_class": values["fare_class_code"],
                "fare": values["fare"],
                "taxes": values["taxes"],
                "total": values["total"],
                "form_of_payment": payment_method(values["form_of_payment"]),
                "status": ticket_status(values["status"]),
            }

        # One table (sales.models.IssuedTicket): the texts are composed when the ticket is issued.
        return Listing(
            columns=SALES_LISTING,
            queryset=selectors.sales_documents(form.date_range, **form.filters()),
            to_row=row,
            totals=self._totals(form),
            count=selectors.issued_tickets(form.date_range, **form.filters()).count,
            page=by_keys(
                selectors.sales_documents(form.date_range, **form.filters()),
                selectors.sales_document_keys(form.date_range, **form.filters()),
            ),
            # The codes and names are never empty and never start with a formula trigger: the table's CHECK
            # constraints say so (sales.models.IssuedTicket); a username may.
            cells={
                "number": plain_text(field("number")),
                "issued_at": field("issued_at"),
                "agent": field("agent_username"),
                "record_locator": plain_text(field("record_locator")),
                "passenger": plain_text(field("passenger")),
                "passenger_type": plain_text(field("passenger_type")),
                "flight": plain_text(field("flight")),
                "route": plain_text(field("route")),
                "fare_class": plain_text(field("fare_class_code")),
                "fare": field("fare"),
                "taxes": field("taxes"),
                "total": field("total"),
                "form_of_payment": label("form_of_payment", payment_method.labels),
                "status": label("status", ticket_status.labels),
            },
        )


# --- 2. Refunds -------------------------------------------------------------------

refund_status = label_of(Refund.Status.choices)
refund_kind = label_of(Refund.Kind.choices)
REFUND_FIGURES = [
    Column("refunds", _("Refunds"), COUNT),
    Column("fare_returned", _("Fare returned"), MONEY),
    Column("fees_kept", _("Fees kept"), MONEY),
    Column("taxes_returned", _("Taxes returned"), MONEY),
    Column("amount_returned", _("Amount returned"), MONEY),
    Column("days_to_payment", _("Days from request to payment (paid, average)"), DAYS),
]
REFUND_MONEY = ("fare_returned", "fees_kept", "taxes_returned", "amount_returned")


def _refund_figures(values):
    return {
        "refunds": values["refunds"],
        **{name: to_cents(values[name]) for name in REFUND_MONEY},
        "days_to_payment": days(values["time_to_payment"]),
    }


REFUNDS_LISTING = [
    Column("requested_at", _("Requested (local)"), TIME),
    Column("ticket_number", _("Ticket"), CODE),
    Column("record_locator", _("Record locator"), CODE),
    Column("passenger", _("Passenger")),
    Column("route", _("Route"), CODE),
    Column("kind", _("Kind")),
    Column("status", _("Status")),
    Column("fare_paid", _("Fare paid"), MONEY),
    Column("fee_kept", _("Fee kept"), MONEY),
    Column("taxes_returned", _("Taxes returned"), MONEY),
    Column("amount", _("Amount returned"), MONEY),
    Column("requester", _("Requested by")),
    Column("approver", _("Approved or rejected by")),
    Column("decided_at", _("Decided (local)"), TIME),
    Column("rejection_reason", _("Reason for rejection"), wraps=True),
    Column("paid_at", _("Paid (local)"), TIME),
    Column("method", _("Paid by")),
    Column("reference", _("Payment reference")),
    Column("days_to_payment", _("Days to payment"), DAYS),
]


class Refunds(Report):
    def summary(self, form):
        grouping = form.cleaned_data["grouping"]
        rows = selectors.refund_summary(form.date_range, grouping, **form.filters())
        return Table(
            columns=[PERIOD, Column("status", _("Status")), Column("kind", _("Kind")), *REFUND_FIGURES],
            rows=[
                {
                    "period": period_label(values["period"], grouping),
                    "status": refund_status(values["status"]),
                    "kind": refund_kind(values["kind"]),
                    **_refund_figures(values),
                }
                for values in rows
            ],
            totals=self._totals(form),
        )

    def _totals(self, form):
        return _refund_figures(selectors.refund_totals(form.date_range, **form.filters()))

    def listing(self, form):
        def row(values):
            paid_at = values["paid_at"]
            return {
                "requested_at": local(values["requested_at"]),
                "ticket_number": values["ticket_number"],
                "record_locator": values["record_locator"],
                "passenger": iata_name(values["surname"], values["given_names"], values["title"]),
                "route": f"{values['origin']}-{values['destination']}",
                "kind": refund_kind(values["kind"]),
                "status": refund_status(values["status"]),
                "fare_paid": values["fare_paid"],
                "fee_kept": values["fee_kept"],
                "taxes_returned": values["taxes_returned"],
                "amount": values["amount"],
                "requester": values["requester"],
                "approver": values["approver"] or "",
                "decided_at": local(values["decided_at"]),
                "rejection_reason": values["rejection_reason"],
                "paid_at": local(paid_at),
                "method": payment_method(values["method"]),
                "reference": values["reference"],
                "days_to_payment": days(paid_at - values["requested_at"]) if paid_at else None,
            }

        return Listing(
            columns=REFUNDS_LISTING,
            queryset=selectors.refund_listing(form.date_range, **form.filters()),
            to_row=row,
            totals=self._totals(form),
            count=selectors.refunds_requested(form.date_range, **form.filters()).count,
            page=by_keys(
                selectors.refund_listing(form.date_range, **form.filters()),
                selectors.refund_keys(form.date_range, **form.filters()),
            ),
            cells={
                "requested_at": field("requested_at"),
                "ticket_number": field("ticket_number"),
                "record_locator": field("record_locator"),
                "passenger": iata_name_sql("surname", "given_names", "title"),
                "route": route_sql(),
                "kind": label("kind", refund_kind.labels),
                "status": label("status", refund_status.labels),
                **{name: field(name) for name in ("fare_paid", "fee_kept", "taxes_returned", "amount")},
                "requester": field("requester"),
                "approver": field("approver"),
                "decided_at": field("decided_at"),
                "rejection_reason": field("rejection_reason"),
                "paid_at": field("paid_at"),
                "method": label("method", payment_method.labels),
                "reference": field("reference"),
                "days_to_payment": days_sql("paid_at", "requested_at"),
            },
        )


# --- 3. Payments / cash-up ----------------------------------------------------------

CASH_UP_FIGURES = [
    Column("payments", _("Payments"), COUNT),
    Column("taken", _("Taken"), MONEY),
    Column("refunds", _("Refunds"), COUNT),
    Column("paid_out", _("Paid out"), MONEY),
    Column("net", _("Net"), MONEY),
]


def _drawer_row(taken, paid_out):
    taken_amount, paid_amount = to_cents(taken["amount"]), to_cents(paid_out["amount"])
    return {
        "payments": taken["count"],
        "taken": taken_amount,
        "refunds": paid_out["count"],
        "paid_out": paid_amount,
        "net": taken_amount - paid_amount,
    }


NOTHING = {"count": 0, "amount": None}


CASH_UP_LISTING = [
    Column("at", _("When (local)"), TIME),
    Column("agent", _("Agent")),
    Column("movement", _("Movement")),
    Column("method", _("Method")),
    Column("reference", _("Reference")),
    Column("record_locator", _("Record locator"), CODE),
    Column("ticket_number", _("Ticket"), CODE),
    Column("amount", _("Amount (refunds negative)"), MONEY),
]


class CashUp(Report):
    """Counter staff open their own drawer; Finance and Admin (`view_all`) everyone's."""

    def sees_every_drawer(self, user):
        return user.has_perm("reporting.view_all_cashupreport")

    def may_open(self, user, agent_username):
        """May `user` see the drawer of the agent named in the query string (None: whoever they may see)."""
        if self.sees_every_drawer(user):
            return True
        return agent_username in (None, "", user.get_username())

    def form(self, data, *, user, listing=False):
        return self.form_class(data, user=user, listing=listing, own_drawer_only=not self.sees_every_drawer(user))

    def summary(self, form):
        grouping = form.cleaned_data["grouping"]
        taken, paid_out = selectors.cash_up(form.date_range, grouping, **form.filters())

        def key(values):
            return (values["period"], values["agent_name"], values["method"])

        taken, paid_out = {key(v): v for v in taken}, {key(v): v for v in paid_out}
        rows = [
            {
                "period": period_label(period, grouping),
                "agent": agent,
                "method": payment_method(method),
                **_drawer_row(
                    taken.get((period, agent, method), NOTHING), paid_out.get((period, agent, method), NOTHING)
                ),
            }
            for period, agent, method in sorted(taken.keys() | paid_out.keys())
        ]
        return Table(
            columns=[PERIOD, Column("agent", _("Agent")), Column("method", _("Method")), *CASH_UP_FIGURES],
            rows=rows,
            totals=self._totals(form),
        )

    def _totals(self, form):
        return _drawer_row(*selectors.cash_up_totals(form.date_range, **form.filters()))

    def _movements_by_keys(self, form, start, stop):
        keys = list(selectors.drawer_movement_keys(form.date_range, **form.filters())[start:stop])
        return selectors.drawer_movements(
            form.date_range,
            payment_ids=[key for _at, movement, key in keys if movement == "payment"],
            refund_ids=[key for _at, movement, key in keys if movement == "refund"],
            **form.filters(),
        )

    def listing(self, form):
        movements = selectors.drawer_movements(form.date_range, **form.filters())
        labels = {"payment": _("Payment taken"), "refund": _("Refund paid out")}

        def row(values):
            return {
                "at": local(values["at"]),
                "agent": values["agent_name"],
                "movement": str(labels[values["movement"]]),
                "method": payment_method(values["method"]),
                "reference": values["reference"],
                "record_locator": values["record_locator"],
                "ticket_number": values["ticket_number"] or "",
                "amount": to_cents(values["signed"]),
            }

        return Listing(
            columns=CASH_UP_LISTING,
            queryset=movements,
            to_row=row,
            totals={"amount": self._totals(form)["net"]},
            count=selectors.drawer_movement_keys(form.date_range, **form.filters()).count,
            page=lambda start, stop: self._movements_by_keys(form, start, stop),
            cells={
                "at": field("at"),
                "agent": field("agent_name"),
                "movement": label("movement", {value: str(text) for value, text in labels.items()}),
                "method": label("method", payment_method.labels),
                "reference": field("reference"),
                "record_locator": field("record_locator"),
                "ticket_number": field("ticket_number"),
                "amount": field("signed"),
            },
        )


# --- 4. Load factor ------------------------------------------------------------------

flight_status = label_of(Flight.Status.choices)
CABIN_COLUMNS = [
    Column(f"cabin_{code}", label, COUNT) for code, label in (("F", "F"), ("J", "J"), ("W", "W"), ("Y", "Y"))
]
LOAD_FIGURES = [
    Column("flights", _("Flights"), COUNT),
    Column("cancelled", _("Cancelled"), COUNT),
    Column("flights_flown", _("Flown"), COUNT),
    Column("seats_offered", _("Seats offered"), COUNT),
    Column("sold", _("Seats sold"), COUNT),
    Column("load_factor", _("Load factor %"), PERCENT),
    Column("seats_flown", _("Seats flown"), COUNT),
    Column("passengers_flown", _("Passengers flown"), COUNT),
    Column("load_factor_flown", _("Load factor flown %"), PERCENT),
]


def _load_figures(values):
    counts = {column.key: values[column.key] or 0 for column in LOAD_FIGURES if column.kind == COUNT}
    return {
        **counts,
        "load_factor": percent(counts["sold"], counts["seats_offered"]),
        "load_factor_flown": percent(counts["passengers_flown"], counts["seats_flown"]),
    }


LOAD_FACTOR_LISTING = [
    Column("flight", _("Flight"), CODE),
    Column("leg", _("Leg"), COUNT),
    Column("route", _("Route"), CODE),
    Column("departure", _("Departure (business time)"), TIME),
    Column("aircraft", _("Aircraft"), CODE),
    Column("status", _("Status")),
    Column("capacity", _("Capacity"), COUNT),
    Column("seats_sold", _("Seats sold"), COUNT),
    Column("load_factor", _("Load factor %"), PERCENT),
    *CABIN_COLUMNS,
    Column("infants", _("Lap infants"), COUNT),
]


class LoadFactor(Report):
    def summary(self, form):
        grouping = form.cleaned_data["grouping"]
        rows = selectors.load_factor_by_route(form.date_range, grouping, **form.filters())
        return Table(
            columns=[PERIOD, Column("route", _("Route"), CODE), *LOAD_FIGURES],
            rows=[
                {
                    "period": period_label(values["period"], grouping),
                    "route": f"{values['origin_code']}-{values['destination_code']}",
                    **_load_figures(values),
                }
                for values in rows
            ],
            totals=self._totals(form),
        )

    def _totals(self, form):
        return _load_figures(selectors.load_factor_totals(form.date_range, **form.filters()))

    def listing(self, form):
        def row(values):
            return {
                "flight": designator({**values, "flight_number": values["number"]}),
                "leg": values["leg_number"],
                "route": f"{values['origin_code']}-{values['destination_code']}",
                "departure": local(values["scheduled_departure"]),
                "aircraft": values["aircraft"],
                "status": flight_status(values["status"]),
                "capacity": values["capacity"],
                "seats_sold": values["seats_sold"],
                "load_factor": (
                    None
                    if values["status"] == Flight.Status.CANCELLED
                    else percent(values["seats_sold"], values["capacity"])
                ),
                **{column.key: values[column.key] for column in CABIN_COLUMNS},
                "infants": values["infants"],
            }

        totals = self._totals(form)
        return Listing(
            columns=LOAD_FACTOR_LISTING,
            queryset=selectors.load_factor_by_flight(form.date_range, **form.filters()),
            to_row=row,
            count=selectors.flights_in(form.date_range, **form.filters()).count,
            page=by_keys(
                selectors.load_factor_by_flight(form.date_range, **form.filters()),
                selectors.flight_keys(form.date_range, **form.filters()),
            ),
            totals={
                "capacity": totals["seats_offered"],
                "seats_sold": totals["sold"],
                "load_factor": totals["load_factor"],
            },
            cells={
                "flight": designator_sql("number"),
                "leg": field("leg_number"),
                "route": route_sql("origin_code", "destination_code"),
                "departure": field("scheduled_departure"),
                "aircraft": field("aircraft"),
                "status": label("status", flight_status.labels),
                "capacity": field("capacity"),
                "seats_sold": field("seats_sold"),
                "load_factor": raw(
                    'CASE WHEN listing."status" = %s OR listing."capacity" = 0 THEN NULL '
                    'ELSE round(listing."seats_sold" * 100.0 / listing."capacity", 1) END',
                    Flight.Status.CANCELLED.value,
                ),
                **{column.key: field(column.key) for column in CABIN_COLUMNS},
                "infants": field("infants"),
            },
        )


REPORTS = {
    report.slug: report
    for report in (
        Sales(
            slug="sales",
            title=_("Sales: tickets issued"),
            model=SalesReport,
            form_class=forms.SalesReportForm,
            listing_title=_("Sales: documents issued"),
            listing_button=_("Each document"),
            subject=_("Tickets issued"),
        ),
        Refunds(
            slug="refunds",
            title=_("Refunds"),
            model=RefundReport,
            form_class=forms.RefundReportForm,
            listing_title=_("Refunds: each refund"),
            listing_button=_("Each refund"),
            subject=_("Refunds requested"),
        ),
        CashUp(
            slug="cash_up",
            title=_("Payments and cash-up"),
            model=CashUpReport,
            form_class=forms.CashUpForm,
            listing_title=_("Cash-up: each movement"),
            listing_button=_("Each movement"),
            subject=_("Payments taken and refunds paid out"),
        ),
        LoadFactor(
            slug="load_factor",
            title=_("Load factor"),
            model=LoadFactorReport,
            form_class=forms.LoadFactorForm,
            listing_title=_("Load factor: each flight"),
            listing_button=_("Each flight"),
            subject=_("Flights dated"),
            range_note=_("both days included; a flight's date is its local departure date at its origin"),
        ),
    )
}
