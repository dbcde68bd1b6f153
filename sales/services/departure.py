"""Departure: a flight marked departed (its open tickets flown), and the passengers who did not travel."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from backoffice import locks
from backoffice.history import bulk_history_update
from backoffice.rules import ALLOWED, refuse
from fleet.models import Flight
from fleet.timezones import format_local
from sales import inventory, listing
from sales.exceptions import TicketNotChangeable
from sales.models import Booking, Ticket
from sales.services.operation import sales_operation, save_changes

# A flight may be marked departed from this long before its scheduled time (docs/decisions.md).
DEPARTURE_FROM_BEFORE = dt.timedelta(hours=1)


def can_depart(flight, *, now=None):
    """Whether the flight may be marked departed now (from an hour before, no seat still held unpaid)."""
    now = now or timezone.now()
    if flight.status != Flight.Status.SCHEDULED:
        return refuse(TicketNotChangeable(f"{flight} is {flight.get_status_display().lower()}: it cannot depart."))
    if flight.scheduled_departure - DEPARTURE_FROM_BEFORE > now:
        return refuse(
            TicketNotChangeable(
                f"{flight} is scheduled at {format_local(flight.scheduled_departure, flight.origin.time_zone)}: "
                "it can be marked departed from an hour before."
            )
        )
    held = Booking.objects.filter(tickets__flight=flight, tickets__status=Ticket.Status.HELD).distinct().count()
    if held:
        return refuse(
            TicketNotChangeable(
                f"{held} booking(s) on {flight} are still held unpaid: cancel them or let them expire first."
            )
        )
    return ALLOWED


@sales_operation
def depart_flight(*, flight, agent, now=None):
    """The flight has left: its open tickets become flown."""
    now = now or timezone.now()
    # One flight, then its tickets (after it, as backoffice/locks.py has it).
    flight = locks.lock_in_order(flights=[flight.pk], select_related={"flights": ["origin"]}).flights.get(flight.pk)
    if flight is None:
        raise Flight.DoesNotExist
    can_depart(flight, now=now).check()
    save_changes(flight, agent, status=Flight.Status.DEPARTED)
    tickets = list(flight.tickets.filter(status=Ticket.Status.OPEN))
    for ticket in tickets:
        ticket.status = Ticket.Status.FLOWN
    Ticket.objects.bulk_update(tickets, ["status"])
    bulk_history_update(tickets, Ticket, user=agent)
    listing.record_status(tickets)
    return len(tickets)


@sales_operation
def mark_no_show(*, tickets, agent):
    """Passengers who did not travel on a departed flight."""
    ids = {t.pk for t in tickets}
    # A lap infant does not travel without their adult: their ticket on that flight is a no-show too.
    laps = Q(pk__in=[])
    for passenger_id, flight_id in Ticket.objects.filter(pk__in=ids).values_list("passenger_id", "flight_id"):
        laps |= Q(passenger__infant_of_id=passenger_id, flight_id=flight_id)
    ids |= set(Ticket.objects.filter(laps, status=Ticket.Status.FLOWN).values_list("pk", flat=True))
    locked = inventory.locked_rows_in_order(Ticket.objects.select_related("flight").filter(pk__in=ids))
    for ticket in locked:
        if ticket.flight.status != Flight.Status.DEPARTED:
            raise TicketNotChangeable(f"{ticket.flight} has not departed: no-shows are marked after departure.")
        if ticket.status != Ticket.Status.FLOWN:
            raise TicketNotChangeable(
                f"Ticket {ticket} is {ticket.get_status_display().lower()}: only a flown ticket becomes a no-show."
            )
        ticket.status = Ticket.Status.NO_SHOW
    Ticket.objects.bulk_update(locked, ["status"])
    bulk_history_update(locked, Ticket, user=agent)
    listing.record_status(locked)
    return locked
