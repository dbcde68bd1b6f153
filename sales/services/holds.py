"""Holds: how long a booking waits for its payment, cancelling a held booking or one of its seats, and
expiring the holds whose deadline has passed."""

import datetime as dt

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from backoffice import locks
from backoffice.money import to_cents
from backoffice.rules import ALLOWED, refuse
from sales import inventory
from sales.exceptions import HoldExpired, TicketNotChangeable
from sales.models import Booking, Ticket
from sales.services.closing import close_tickets, lap_infant_tickets, lock_seats
from sales.services.operation import locked_booking, sales_operation, save_changes

# A hold never runs past this point before the first departure (PRODUCT.md).
HOLD_ENDS_BEFORE_DEPARTURE = dt.timedelta(hours=2)


def hold_deadline(*, now, first_departure):
    """The hold duration from now, but never later than 2 h before the first departure."""
    return min(now + dt.timedelta(hours=settings.HOLD_DURATION_HOURS), first_departure - HOLD_ENDS_BEFORE_DEPARTURE)


def current_hold_deadline(booking):
    """The time the seats are held until, for a booking on hold; None once it is ticketed, cancelled or expired."""
    return booking.hold_deadline if booking.status == Booking.Status.HELD else None


def hold_lapsed(booking, now):
    if booking.status == Booking.Status.HELD and booking.total_amount and booking.balance_due == 0:
        return ALLOWED  # Paid in full: no longer waiting on its deadline, only on issue.
    if booking.status == Booking.Status.EXPIRED:
        return refuse(
            HoldExpired(f"The hold on {booking} expired at {timezone.localtime(booking.hold_deadline):%d %b %H:%M}.")
        )
    if booking.status == Booking.Status.HELD and booking.hold_deadline <= now:
        return refuse(
            HoldExpired(
                f"The hold on {booking} expired at {timezone.localtime(booking.hold_deadline):%d %b %H:%M}; "
                "its seats are being released."
            )
        )
    return ALLOWED


def can_cancel_booking(booking):
    if booking.status != Booking.Status.HELD:
        return refuse(
            TicketNotChangeable(
                f"{booking} is {booking.get_status_display().lower()}: only a held booking is cancelled here; "
                "issued tickets are voided or refunded."
            )
        )
    if booking.amount_paid > 0:
        return refuse(
            TicketNotChangeable(
                f"{booking} is paid: issue its tickets, then cancel and refund them from the booking page."
            )
        )
    return ALLOWED


def _total_without(tickets, closing):
    """The booking's total once `closing` are cancelled: what its other live tickets cost."""
    closing = {t.pk for t in closing}
    return to_cents(
        sum(
            (t.total_amount for t in tickets if t.status != Ticket.Status.CANCELLED and t.pk not in closing),
            start=to_cents(0),
        )
    )


def can_cancel_seat(ticket, *, booking, tickets):
    """`tickets`: every ticket of the booking, with its passenger (the lap infant's seat goes too)."""
    if ticket.status != Ticket.Status.HELD or booking.status != Booking.Status.HELD:
        return refuse(
            TicketNotChangeable(
                f"This ticket is {ticket.get_status_display().lower()}: only a seat not yet issued is cancelled here."
            )
        )
    laps = [
        t
        for t in tickets
        if t.status == Ticket.Status.HELD
        and t.flight_id == ticket.flight_id
        and t.passenger.infant_of_id == ticket.passenger_id
    ]
    if _total_without(tickets, [ticket, *laps]) < booking.amount_paid:
        return refuse(
            TicketNotChangeable(
                f"{booking} has {booking.amount_paid} {settings.CURRENCY} paid, more than would remain: "
                "issue its tickets, then refund the seat."
            )
        )
    return ALLOWED


@sales_operation
def cancel_booking(*, booking, agent, now=None):
    """Cancel a held booking: its seats are free at once."""
    booking = locked_booking(booking)
    can_cancel_booking(booking).check()
    tickets = _locked_held_tickets(booking)
    close_tickets(tickets, Ticket.Status.CANCELLED, agent)
    save_changes(booking, agent, status=Booking.Status.CANCELLED)
    return booking


@sales_operation
def cancel_ticket(*, ticket, agent, now=None):
    """Take one passenger off one flight of a held booking, releasing the seat."""
    booking = locked_booking(ticket.booking_id)
    # Under the booking's lock its tickets hold still: read, checked, then locked after their seats.
    tickets = list(booking.tickets.select_related("passenger"))
    ticket = next(t for t in tickets if t.pk == ticket.pk)
    can_cancel_seat(ticket, booking=booking, tickets=tickets).check()
    closing = [ticket, *lap_infant_tickets(ticket, status=Ticket.Status.HELD, lock=False)]
    lock_seats(closing)
    closing = list(Ticket.objects.select_for_update(of=("self",)).filter(pk__in=[t.pk for t in closing]).order_by("pk"))
    remaining = _total_without(tickets, closing)
    close_tickets(closing, Ticket.Status.CANCELLED, agent)
    live = booking.tickets.exclude(status=Ticket.Status.CANCELLED).exists()
    save_changes(
        booking,
        agent,
        total_amount=remaining,
        status=booking.status if live else Booking.Status.CANCELLED,
    )
    return closing


def _locked_held_tickets(booking):
    """The held tickets of a locked booking, locked after their flights and buckets (the one order)."""
    tickets = list(booking.tickets.filter(status=Ticket.Status.HELD).order_by("pk"))
    lock_seats(tickets)
    return list(Ticket.objects.select_for_update(of=("self",)).filter(pk__in=[t.pk for t in tickets]).order_by("pk"))


def expire_hold(*, booking_id, user, now=None):
    """Expire one booking if its hold has lapsed. Returns True if it did."""
    now = now or timezone.now()
    with transaction.atomic():
        # A booking another agent holds is left for the next run (skip_locked), not waited for.
        booking = locks.lock_in_order(bookings=[booking_id], skip_locked=True).bookings.get(booking_id)
        if booking is None or not (
            booking.status == Booking.Status.HELD and booking.hold_deadline <= now and booking.amount_paid == 0
        ):
            return False
        tickets = _locked_held_tickets(booking)
        close_tickets(tickets, Ticket.Status.CANCELLED, user)
        save_changes(booking, user, status=Booking.Status.EXPIRED)
        return True


def expire_holds(*, user, now=None):
    """Release the seats of every lapsed hold, one booking per transaction. Safe to run at any time."""
    now = now or timezone.now()
    expired = 0
    # A hold paid in full is waiting to be issued, not expiring.
    due = Booking.objects.filter(status=Booking.Status.HELD, hold_deadline__lte=now, amount_paid=0).order_by("pk")
    for booking_id in due.values_list("pk", flat=True).iterator():
        try:
            expired += expire_hold(booking_id=booking_id, user=user, now=now)
        except OperationalError as error:
            if not inventory.is_lock_error(error):
                raise
            # A flight busy with a sale: the next run takes it.
    return expired


def expire_if_due(booking, *, user, now=None):
    """The lazy check: touching a lapsed hold releases its seats first."""
    now = now or timezone.now()
    if booking.status == Booking.Status.HELD and booking.hold_deadline <= now and booking.amount_paid == 0:
        expire_hold(booking_id=booking.pk, user=user, now=now)
        booking.refresh_from_db()
    return booking
