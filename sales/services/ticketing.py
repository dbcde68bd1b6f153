"""Issuing a paid booking's tickets: their numbers, and whether they may be issued now."""

from django.conf import settings
from django.db import connection
from django.utils import timezone

from backoffice.history import bulk_history_update
from backoffice.rules import ALLOWED, refuse
from fleet.models import Flight
from sales import listing, summaries
from sales.exceptions import FlightNotBookable, NotFullyPaid, TicketNotChangeable
from sales.models import Booking, Ticket
from sales.services.holds import hold_lapsed
from sales.services.operation import locked_booking, sales_operation, save_changes


def business_today(now=None):
    return timezone.localdate(now or timezone.now())


def _next_ticket_serials(count):
    """Serial numbers from a database sequence (PostgreSQL) or, on SQLite, after the highest issued."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval('sales_ticket_serial') FROM generate_series(1, %s)", [count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite runs one writer at a time (BEGIN IMMEDIATE), so the maximum cannot move under us.
        cursor.execute("SELECT MAX(CAST(SUBSTR(number, 4) AS INTEGER)) FROM sales_ticket")
        start = (cursor.fetchone()[0] or 0) + 1
        return list(range(start, start + count))


def can_issue(booking, *, tickets, now=None):
    """`tickets`: the booking's tickets, with their flights."""
    now = now or timezone.now()
    if booking.status == Booking.Status.TICKETED:
        return refuse(TicketNotChangeable(f"The tickets of {booking} are already issued."))
    lapsed = hold_lapsed(booking, now)
    if not lapsed:
        return lapsed
    if booking.status != Booking.Status.HELD:
        return refuse(TicketNotChangeable(f"{booking} is {booking.get_status_display().lower()}: nothing to issue."))
    if booking.balance_due > 0:
        return refuse(
            NotFullyPaid(
                f"{booking} still owes {booking.balance_due} {settings.CURRENCY}: take the payment before issuing."
            )
        )
    gone = sorted(
        {
            str(t.flight)
            for t in tickets
            if t.status == Ticket.Status.HELD and t.flight.status != Flight.Status.SCHEDULED
        }
    )
    if gone:
        return refuse(
            FlightNotBookable(f"{', '.join(gone)} was cancelled or has left: these tickets cannot be issued.")
        )
    return ALLOWED


@sales_operation
def issue_tickets(*, booking, agent, now=None):
    now = now or timezone.now()
    booking = locked_booking(booking)
    tickets = list(
        booking.tickets.filter(status=Ticket.Status.HELD)
        # The passenger, airports and class for the sales listing's rows (sales/listing.py).
        .select_related("flight__origin", "flight__destination", "fare_bucket__fare_class", "passenger")
        .order_by("passenger__position", "flight_id")
    )
    can_issue(booking, tickets=tickets, now=now).check()
    for ticket, serial in zip(tickets, _next_ticket_serials(len(tickets)), strict=True):
        ticket.number = f"{settings.TICKET_ACCOUNTING_CODE}{serial:010d}"
        ticket.status = Ticket.Status.OPEN
        ticket.issued_at = now
        ticket.issued_by = agent
    Ticket.objects.bulk_update(tickets, ["number", "status", "issued_at", "issued_by"])
    bulk_history_update(tickets, Ticket, user=agent)
    summaries.record_issue(tickets, agent=agent, now=now)
    listing.record_issue(tickets, booking=booking)
    save_changes(booking, agent, status=Booking.Status.TICKETED)
    return tickets
