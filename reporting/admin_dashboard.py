"""The admin home: one dashboard section per role the person holds (unfold's DASHBOARD_CALLBACK).

Counter staff (who may book) see their station's departures today, their holds expiring today and their
sales today; Finance (who may decide refunds) the refunds waiting, today's cash-up and thirty days of sales
and refunds; Admin (who may change flights) the flights filling up, today's departures everywhere, sales
against last week and the last schedule import. A person with several roles sees each one's section, a
superuser all three. Every figure links to the list or report behind it, with the filters that give the
same figure, when the person may open it. The figures come from reporting/dashboards.py.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from backoffice import replica
from backoffice.money import with_currency
from fleet.selectors import station_of
from fleet.timezones import format_local_time
from reporting import dashboards
from reporting.periods import business_zone
from reporting.reports import percent
from sales.services import check_in

# A station's whole day; across the network, the next ones (from an hour ago).
DEPARTURES_SHOWN = 40
NETWORK_DEPARTURES_SHOWN = 15
RECENT = dt.timedelta(hours=1)
HOLDS_SHOWN = 10
REFUNDS_SHOWN = 8
FULL_FLIGHTS_SHOWN = 10

# Who sees which section: what the role does that the others do not.
SECTION_PERMISSIONS = {
    "counter": "sales.add_booking",
    "finance": "refunds.decide_refund",
    "admin": "fleet.change_flight",
}

CHECK_IN_LABELS = {
    "not_open": ("", gettext_lazy("Opens %(time)s")),
    "open": ("success", gettext_lazy("Open until %(time)s")),
    "closed": ("warning", gettext_lazy("Closed")),
    "departure_due": ("danger", gettext_lazy("Closed, departure not recorded")),
    "departed": ("info", gettext_lazy("Departed")),
    "cancelled": ("danger", gettext_lazy("Cancelled")),
}


@dataclass
class Figure:
    """A number on a card: what it is, as shown, the page behind it, and a line saying more."""

    label: str
    value: str
    url: str | None = None
    note: str = ""
    key: str = ""  # for tests and the browser: data-figure="..."
    progress: object = None  # a percentage drawn as a bar


@dataclass
class Table:
    key: str
    title: str
    headers: list
    rows: list
    url: str | None = None  # the whole list
    link_text: str = ""
    empty: str = ""


@dataclass
class Chart:
    key: str
    title: str
    data: str  # Chart.js data, JSON
    links: list = field(default_factory=list)  # (text, url)
    legend: list = field(default_factory=list)  # (text, colour)


@dataclass
class Section:
    key: str
    title: str
    subtitle: str = ""
    figures: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    chart: Chart | None = None


def dashboard(request, context):
    """unfold's DASHBOARD_CALLBACK: the sections of the person's roles, added to the index page's context."""
    user = request.user
    now = timezone.now()
    today = dashboards.business_today(now)
    builders = {"counter": counter_section, "finance": finance_section, "admin": admin_section}
    with replica.for_reports():  # off the primary when there is a replica (backoffice/replica.py)
        sections = [
            builders[key](user, today=today, now=now)
            for key, permission in SECTION_PERMISSIONS.items()
            if user.has_perm(permission)
        ]
    if not sections:
        return context  # no role: the admin's own index (the apps this person may open)
    context.update(
        title=_("Today"),
        dashboard_template="reporting/admin/dashboard.html",
        dashboard_today=formats.date_format(today, "l j F Y"),
        dashboard_zone=business_zone().key,
        sections=sections,
    )
    return context


# --- Links and how things read -------------------------------------------------------------------------


def admin_url(name, *args, **query):
    path = reverse(f"admin:{name}", args=args)
    return f"{path}?{urlencode(query)}" if query else path


def allowed(user, permission, name, *args, **query):
    """The URL, if `user` may open it."""
    return admin_url(name, *args, **query) if user.has_perm(permission) else None


def amount(value):
    return with_currency(value)


def share(value):
    return "–" if value is None else f"{value} %"


def link(url, text):
    return format_html('<a href="{}" class="bo-link">{}</a>', url, text) if url else text


def number(text):
    return format_html('<div class="bo-num">{}</div>', text)


def label(text, variant=""):
    return render_to_string("unfold/helpers/label.html", {"text": text, "variant": variant, "size": "md"})


def business_time(instant):
    return formats.date_format(timezone.localtime(instant, business_zone()), "H:i T")


def business_datetime(instant):
    return formats.date_format(timezone.localtime(instant, business_zone()), "DATETIME_FORMAT")


def range_query(field_name, first, last):
    """A list's date-range filter (whole business days) from `first` to `last`."""
    return {f"{field_name}__range__gte": first.isoformat(), f"{field_name}__range__lte": last.isoformat()}


def report_query(first, last, **filters):
    return {"date_from": first.isoformat(), "date_to": last.isoformat(), "grouping": "day", **filters}


def departures_table(user, day, *, today, now, key, title, url, show_origin):
    headers = [_("Flight"), *([_("From")] if show_origin else []), _("To"), _("Departs (local)")]
    headers += [_("Check-in"), _("Sold / seats"), _("Load factor")]
    may_record = user.has_perm("sales.change_booking")
    rows = []
    for flight in day.flights:
        status = check_in(flight, now=now)
        variant, text = CHECK_IN_LABELS[status.state]
        text = str(text) % {"time": format_local_time(status.at, flight.origin.time_zone, today)} if status.at else text
        badge = label(text, variant)
        if status.state in ("closed", "departure_due") and may_record:
            badge = format_html(
                '{} <a href="{}" class="bo-link">{}</a>',
                badge,
                admin_url("fleet_flight_departure", flight.pk),
                _("Departure and no-shows"),
            )
        cancelled = flight.status == flight.Status.CANCELLED
        rows.append(
            [
                link(allowed(user, "fleet.view_flight", "fleet_flight_change", flight.pk), flight.designator),
                *([flight.origin.code] if show_origin else []),
                flight.destination.code,
                format_local_time(flight.scheduled_departure, flight.origin.time_zone, today),
                badge,
                number(f"{flight.seats_sold} / {flight.capacity}"),
                number("–" if cancelled else share(percent(flight.seats_sold, flight.capacity))),
            ]
        )
    return Table(
        key=key,
        title=title,
        headers=headers,
        rows=rows,
        url=url,
        link_text=_("All %(count)s departures today in the flight list") % {"count": day.count},
        empty=_("No departures today."),
    )


# --- Counter staff ----------------------------------------------------------------------------------------


def counter_section(user, *, today, now):
    station = station_of(user)
    day = dashboards.departures(today, origin=station, limit=DEPARTURES_SHOWN)
    holds, holds_count = dashboards.holds_expiring(user, today, limit=HOLDS_SHOWN)
    mine = dashboards.agent_day(user, today)
    flights_query = range_query("scheduled_departure", today, today)
    if station is not None:
        flights_query["origin__id__exact"] = station.pk
        where = _("from %(station)s") % {"station": f"{station.code} {station.name}"}
        subtitle = ""
    else:
        where = _("from every station")
        subtitle = _(
            "No station is set for you, so departures from every station are shown: an Admin sets it on your user page."
        )
    flights_url = allowed(user, "fleet.view_flight", "fleet_flight_changelist", **flights_query)
    holds_url = allowed(
        user,
        "sales.view_booking",
        "sales_booking_changelist",
        status__exact="held",
        mine="1",
        **range_query("hold_deadline", today, today),
    )
    tickets_url = allowed(
        user, "sales.view_ticket", "sales_ticket_changelist", mine="1", **range_query("issued_at", today, today)
    )
    drawer_url = allowed(
        user,
        "reporting.view_cashupreport",
        "reporting_cashupreport_changelist",
        **report_query(today, today, agent=user.get_username()),
    )
    figures = [
        Figure(
            _("Departures today"),
            f"{day.count}",
            flights_url,
            _("%(sold)s of %(seats)s seats sold, %(cancelled)s cancelled")
            % {"sold": day.seats_sold, "seats": day.capacity, "cancelled": day.cancelled},
            key="counter-departures",
        ),
        Figure(
            _("Load factor today"),
            share(day.load_factor),
            flights_url,
            where,
            key="counter-load-factor",
            progress=day.load_factor,
        ),
        Figure(
            _("My holds expiring today"),
            f"{holds_count}",
            holds_url,
            _("Held unpaid until today: take payment or cancel."),
            key="counter-holds",
        ),
        Figure(
            _("My sales today"),
            amount(mine.sold),
            tickets_url,
            ngettext("%(count)s ticket issued", "%(count)s tickets issued", mine.tickets) % {"count": mine.tickets},
            key="counter-sales",
        ),
        Figure(
            _("Payments I took today"),
            amount(mine.taken),
            drawer_url,
            ngettext("%(count)s payment: my cash-up", "%(count)s payments: my cash-up", mine.payments)
            % {"count": mine.payments},
            key="counter-payments",
        ),
    ]
    hold_rows = [
        [
            link(allowed(user, "sales.view_booking", "sales_booking_change", booking.pk), booking.record_locator),
            booking.contact_name,
            business_time(booking.hold_deadline),
            number(amount(booking.balance_due)),
        ]
        for booking in holds
    ]
    tables = [
        Table(
            key="counter-holds",
            title=_("My holds expiring today"),
            headers=[_("Record locator"), _("Contact"), _("Hold deadline"), _("Balance due")],
            rows=hold_rows,
            url=holds_url,
            link_text=_("All %(count)s in the bookings list") % {"count": holds_count},
            empty=_("None of your holds expires today."),
        ),
        departures_table(
            user,
            day,
            today=today,
            now=now,
            key="counter-departures",
            title=_("Departures today %(where)s") % {"where": where},
            url=flights_url,
            show_origin=station is None,
        ),
    ]
    return Section("counter", _("At the counter"), subtitle, figures, tables)


# --- Finance ------------------------------------------------------------------------------------------------


def finance_section(user, *, today, now):
    queue = dashboards.refund_queue(limit=REFUNDS_SHOWN)
    lines, total = dashboards.cash_up(today)
    window, days = dashboards.sales_and_refunds(today)
    waiting_url = allowed(user, "refunds.view_refund", "refunds_refund_changelist", status__exact="requested")
    unpaid_url = allowed(user, "refunds.view_refund", "refunds_refund_changelist", status__exact="approved")
    cash_up_url = allowed(
        user, "reporting.view_cashupreport", "reporting_cashupreport_changelist", **report_query(today, today)
    )
    figures = [
        Figure(
            _("Refunds to approve"),
            f"{queue.waiting}",
            waiting_url,
            _("%(amount)s to return; oldest requested %(ago)s ago")
            % {"amount": amount(queue.waiting_amount), "ago": timesince(queue.oldest_request, now)}
            if queue.waiting
            else _("Nothing waiting."),
            key="finance-waiting",
        ),
        Figure(
            _("Approved, not paid"),
            f"{queue.unpaid}",
            unpaid_url,
            _("%(amount)s to pay; oldest approved %(ago)s ago")
            % {"amount": amount(queue.unpaid_amount), "ago": timesince(queue.oldest_approval, now)}
            if queue.unpaid
            else _("Nothing to pay."),
            key="finance-unpaid",
        ),
        Figure(
            _("Cash-up today: net"),
            amount(total.net),
            cash_up_url,
            _("%(taken)s taken, %(paid)s paid out") % {"taken": amount(total.taken), "paid": amount(total.paid_out)},
            key="finance-net",
        ),
    ]
    refund_rows = [
        [
            link(
                allowed(user, "refunds.view_refund", "refunds_refund_change", refund.pk),
                business_datetime(refund.requested_at),
            ),
            refund.ticket.number or "",
            refund.ticket.passenger.iata_name,
            str(refund.ticket.flight),
            refund.get_kind_display(),
            number(amount(refund.amount)),
            refund.requested_by.get_username(),
        ]
        for refund in queue.oldest
    ]

    def method_link(line, text):
        if cash_up_url is None:
            return text
        query = report_query(today, today, **({"method": line.method} if line.method else {}))
        return link(admin_url("reporting_cashupreport_changelist", **query), text)

    cash_rows = [
        [
            method_link(line, line.label or _("Total")),
            number(line.payments),
            number(amount(line.taken)),
            number(line.refunds),
            number(amount(line.paid_out)),
            number(amount(line.net)),
        ]
        for line in [*lines, total]
    ]
    sales_url = allowed(
        user,
        "reporting.view_salesreport",
        "reporting_salesreport_changelist",
        **report_query(window.first, window.last, breakdown="route"),
    )
    refunds_url = allowed(
        user,
        "reporting.view_refundreport",
        "reporting_refundreport_changelist",
        **report_query(window.first, window.last),
    )
    # Chart.js draws in what unfold reads from one CSS variable (getPropertyValue): no fallback inside var().
    sales_colour, refunds_colour = "var(--color-primary-600)", "var(--color-red-400)"
    chart_data = {
        "labels": [formats.date_format(d.day, "j M") for d in days],
        "datasets": [
            {
                "label": _("Sales"),
                "data": [float(d.sales) for d in days],
                "backgroundColor": sales_colour,
                "displayYAxis": True,
            },
            {"label": _("Refunds"), "data": [float(d.refunds) for d in days], "backgroundColor": refunds_colour},
        ],
    }
    chart = Chart(
        key="finance-chart",
        title=_("Sales and refunds, last %(days)s days (%(currency)s)")
        % {"days": window.days, "currency": settings.CURRENCY},
        data=json.dumps(chart_data),
        links=[(t, u) for t, u in ((_("Sales report"), sales_url), (_("Refunds report"), refunds_url)) if u],
        legend=[(_("Sales: tickets issued"), sales_colour), (_("Refunds: requested"), refunds_colour)],
    )
    tables = [
        Table(
            key="finance-waiting",
            title=_("Waiting longest for approval"),
            headers=[_("Requested"), _("Ticket"), _("Passenger"), _("Flight"), _("Kind"), _("Amount"), _("By")],
            rows=refund_rows,
            url=waiting_url,
            link_text=_("All %(count)s refunds to approve") % {"count": queue.waiting},
            empty=_("No refund is waiting for approval."),
        ),
        Table(
            key="finance-cash-up",
            title=_("Cash-up today, every drawer"),
            headers=[_("Method"), _("Payments"), _("Taken"), _("Refunds"), _("Paid out"), _("Net")],
            rows=cash_rows,
            url=cash_up_url,
            link_text=_("Payments and cash-up report"),
        ),
    ]
    return Section("finance", _("Finance"), "", figures, tables, chart)


# --- Admin --------------------------------------------------------------------------------------------------


def admin_section(user, *, today, now):
    window, full, full_count = dashboards.full_flights(today, limit=FULL_FLIGHTS_SHOWN)
    day = dashboards.departures(today, limit=NETWORK_DEPARTURES_SHOWN, shown_from=now - RECENT)
    sales = dashboards.sales_against_last_week(now)
    last_import = dashboards.last_schedule_import()
    full_url = allowed(
        user,
        "fleet.view_flight",
        "fleet_flight_changelist",
        status__exact="scheduled",
        fuller_than=str(dashboards.FULL_PERCENT),
        **range_query("scheduled_departure", window.first, window.last),
    )
    flights_url = allowed(
        user, "fleet.view_flight", "fleet_flight_changelist", **range_query("scheduled_departure", today, today)
    )

    def sales_url(day_):
        return allowed(
            user,
            "reporting.view_salesreport",
            "reporting_salesreport_changelist",
            **report_query(day_, day_, breakdown="route"),
        )

    if sales.change is None:
        against = _("Nothing sold by this time on %(day)s.") % {"day": formats.date_format(sales.last_week, "D j M")}
    else:
        against = _("%(change)s against %(amount)s by this time on %(day)s") % {
            "change": f"{sales.change:+} %",
            "amount": amount(sales.last_week_sold_by_now),
            "day": formats.date_format(sales.last_week, "D j M"),
        }
    import_url = allowed(user, "fleet.view_scheduleline", "fleet_scheduleline_changelist")
    figures = [
        Figure(
            _("Over %(percent)s %% full, next %(days)s days")
            % {"percent": dashboards.FULL_PERCENT, "days": window.days},
            f"{full_count}",
            full_url,
            _("Scheduled flights from %(first)s to %(last)s")
            % {"first": formats.date_format(window.first, "j M"), "last": formats.date_format(window.last, "j M")},
            key="admin-full",
        ),
        Figure(
            _("Departures today"),
            f"{day.count}",
            flights_url,
            _("Load factor %(factor)s; %(cancelled)s cancelled")
            % {"factor": share(day.load_factor), "cancelled": day.cancelled},
            key="admin-departures",
            progress=day.load_factor,
        ),
        Figure(
            _("Sales today"),
            amount(sales.sold),
            sales_url(sales.today),
            against,
            key="admin-sales-today",
        ),
        Figure(
            _("Same day last week"),
            amount(sales.last_week_sold),
            sales_url(sales.last_week),
            ngettext("%(count)s ticket, the whole day", "%(count)s tickets, the whole day", sales.last_week_tickets)
            % {"count": sales.last_week_tickets},
            key="admin-sales-last-week",
        ),
        Figure(
            _("Last schedule import"),
            business_datetime(last_import.at) if last_import else _("None yet"),
            import_url,
            _("by %(user)s") % {"user": last_import.by or _("unknown")} if last_import else "",
            key="admin-import",
        ),
    ]
    full_rows = [
        [
            link(allowed(user, "fleet.view_flight", "fleet_flight_change", flight.pk), flight.designator),
            f"{flight.origin.code}–{flight.destination.code}",
            format_local_time(flight.scheduled_departure, flight.origin.time_zone, flight.flight_date),
            formats.date_format(flight.flight_date, "D j M"),
            number(f"{flight.seats_sold} / {flight.capacity}"),
            number(share(percent(flight.seats_sold, flight.capacity))),
        ]
        for flight in full
    ]
    tables = [
        Table(
            key="admin-full",
            title=_("Filling up: over %(percent)s %% sold, next %(days)s days")
            % {"percent": dashboards.FULL_PERCENT, "days": window.days},
            headers=[_("Flight"), _("Route"), _("Departs (local)"), _("Date"), _("Sold / seats"), _("Load factor")],
            rows=full_rows,
            url=full_url,
            link_text=_("All %(count)s in the flight list") % {"count": full_count},
            empty=_("No flight is over %(percent)s %% full.") % {"percent": dashboards.FULL_PERCENT},
        ),
        departures_table(
            user,
            day,
            today=today,
            now=now,
            key="admin-departures",
            title=_("Next departures today, every station"),
            url=flights_url,
            show_origin=True,
        ),
    ]
    return Section("admin", _("Network and sales"), "", figures, tables)
