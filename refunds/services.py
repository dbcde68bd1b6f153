"""Refunds: quote, request, approve or reject, mark paid; and the airline cancelling a flight.

Each operation is one transaction that locks what it changes (the ticket, or the
refund) before it reads its state, so pressing a button twice, or two people
acting at once, leaves exactly one outcome.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from backoffice import locks
from backoffice.history import bulk_create_with_history
from backoffice.money import ZERO, to_cents
from backoffice.rules import ALLOWED, first_refusal, refuse
from fleet.models import Flight
from refunds.exceptions import RefundAlreadyRequested, RefundError, RefundNotAllowed
from refunds.models import Refund, RefundRule
from sales import listing as sales_listing
from sales import services as sales
from sales.exceptions import TicketNotChangeable, TryAgain
from sales.models import Booking, Payment, Ticket

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class RefundQuote:
    ticket: Ticket
    kind: str
    fare_paid: Decimal
    fee_kept: Decimal
    taxes_returned: Decimal
    amount: Decimal
    explanation: str

    @property
    def currency(self):
        return settings.CURRENCY


def _fee(fixed, percent, fare):
    """The higher of a fixed fee and a percentage of the fare, never more than the fare."""
    by_percent = to_cents(fare * percent / HUNDRED)
    return min(max(to_cents(fixed), by_percent), fare)


def _kind_for(ticket):
    flight = ticket.flight
    if ticket.status == Ticket.Status.NO_SHOW:
        return Refund.Kind.NO_SHOW
    if ticket.status == Ticket.Status.VOID:
        return Refund.Kind.VOID
    if flight.status == Flight.Status.CANCELLED:
        return Refund.Kind.INVOLUNTARY
    return Refund.Kind.VOLUNTARY


def _refundable(ticket, kind, now):
    """Whether a refund of this kind fits the ticket and its flight (refunds already requested aside)."""

    def no(message):
        return refuse(RefundNotAllowed(message))

    if ticket.status in (Ticket.Status.HELD, Ticket.Status.CANCELLED):
        return no(f"The seat of {ticket.passenger.iata_name} was never issued: there is nothing to refund.")
    if ticket.status == Ticket.Status.REFUNDED:
        return no(f"Ticket {ticket.number} is already refunded.")
    if ticket.status == Ticket.Status.SURRENDERED:
        return no(f"Ticket {ticket.number} was surrendered for a refund already.")
    if ticket.status == Ticket.Status.FLOWN:
        return no(f"Ticket {ticket.number} was flown: it cannot be refunded.")
    if kind == Refund.Kind.VOID and ticket.status != Ticket.Status.VOID:
        return no(f"Ticket {ticket.number} is not void.")
    if ticket.status == Ticket.Status.VOID and kind != Refund.Kind.VOID:
        return no(f"Ticket {ticket.number} is void: its refund is the void refund.")
    if kind == Refund.Kind.NO_SHOW and ticket.status != Ticket.Status.NO_SHOW:
        return no(f"Ticket {ticket.number} is not a no-show.")
    if kind in (Refund.Kind.VOLUNTARY, Refund.Kind.INVOLUNTARY):
        if ticket.status != Ticket.Status.OPEN:
            return no(f"Ticket {ticket.number} is {ticket.get_status_display().lower()}.")
        if ticket.flight.status == Flight.Status.DEPARTED or (
            kind == Refund.Kind.VOLUNTARY and ticket.flight.scheduled_departure <= now
        ):
            return no(f"{ticket.flight} has left: ticket {ticket.number} is refunded only if it is marked no-show.")
        if kind == Refund.Kind.INVOLUNTARY and ticket.flight.status != Flight.Status.CANCELLED:
            return no(f"{ticket.flight} is not cancelled: an involuntary refund needs a cancelled flight.")
    return ALLOWED


def _live_refund(ticket):
    """The ticket's refund that is not rejected, if any; read from a prefetch when there is one."""
    return next((r for r in ticket.refunds.all() if r.status != Refund.Status.REJECTED), None)


def can_request_refund(ticket, *, kind=None, now=None):
    """Whether this ticket can have a refund (of `kind`, else the one its state calls for) requested now."""
    now = now or timezone.now()
    existing = _live_refund(ticket)
    if existing is not None:
        return refuse(
            RefundAlreadyRequested(
                f"Ticket {ticket.number} already has a refund, {existing.get_status_display().lower()}.",
                refund=existing,
            )
        )
    return _refundable(ticket, kind or _kind_for(ticket), now)


def can_refund_booking(booking, *, tickets, now=None):
    """Whether "Cancel and refund" may run: every open ticket of the booking can be refunded now.

    `tickets`: every ticket of the booking, with its flight and refunds.
    """
    now = now or timezone.now()
    open_tickets = [t for t in tickets if t.status == Ticket.Status.OPEN]
    if not open_tickets:
        live = sorted((r for t in tickets for r in t.refunds.all() if r.status != Refund.Status.REJECTED), key=_pk)
        if live:
            return refuse(RefundAlreadyRequested(f"The refunds of {booking} are already requested.", refund=live[0]))
        return refuse(RefundNotAllowed(f"{booking} has no open ticket to refund."))
    if booking.status != Booking.Status.TICKETED:
        return refuse(RefundNotAllowed(f"{booking} is {booking.get_status_display().lower()}: nothing to refund."))
    return first_refusal(*(can_request_refund(t, now=now) for t in open_tickets))


def _pk(row):
    return row.pk


def quote(*, ticket, kind=None, now=None):
    """What the passenger gets back, and why. Writes nothing."""
    now = now or timezone.now()
    kind = kind or _kind_for(ticket)
    _refundable(ticket, kind, now).check()
    fare, taxes = ticket.fare_amount, ticket.tax_amount
    if kind in (Refund.Kind.VOID, Refund.Kind.INVOLUNTARY):
        fee = ZERO
        why = (
            "Void: everything is returned, with no fee."
            if kind == Refund.Kind.VOID
            else ("The airline cancelled the flight: everything is returned, with no fee.")
        )
    else:
        rule = RefundRule.objects.filter(fare_class_id=ticket.fare_bucket.fare_class_id).first()
        if rule is None or not rule.refundable:
            fee = fare
            why = f"Class {ticket.fare_bucket.fare_class.code} is non-refundable: only the taxes are returned."
        elif kind == Refund.Kind.NO_SHOW:
            fee = _fee(rule.no_show_fee, rule.no_show_fee_percent, fare)
            why = "No-show fee applies."
        elif ticket.flight.scheduled_departure - now <= dt.timedelta(hours=rule.late_window_hours):
            fee = _fee(rule.late_fee, rule.late_fee_percent, fare)
            why = f"Within {rule.late_window_hours} h of departure: the late cancellation fee applies."
        else:
            fee = _fee(rule.cancellation_fee, rule.cancellation_fee_percent, fare)
            why = "Cancellation fee applies."
    amount = fare - fee + taxes
    return RefundQuote(
        ticket=ticket,
        kind=kind,
        fare_paid=fare,
        fee_kept=fee,
        taxes_returned=taxes,
        amount=amount,
        explanation=why,
    )


def quote_ticket(*, ticket, now=None):
    """The quotes of a ticket and of its lap infant's on that flight, which goes with it. Writes nothing."""
    now = now or timezone.now()
    can_request_refund(ticket, now=now).check()
    infants = [t for t in sales.lap_infant_tickets(ticket, status=ticket.status, lock=False) if _live_refund(t) is None]
    quotes = [quote(ticket=t, now=now) for t in (ticket, *infants)]
    return quotes, sum((q.amount for q in quotes), start=ZERO)


def _lock_seats_of(tickets):
    """Lock the flights and buckets whose seats these tickets hold (the one order, backoffice/locks.py).

    Called under the booking's lock, before any ticket is locked: tickets come after buckets.
    """
    rows = list(tickets.filter(holds_seat=True).values_list("flight_id", "fare_bucket_id"))
    locks.lock_in_order(flights={f for f, _ in rows}, buckets={b for _, b in rows})


def _lock_ticket(ticket_id):
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("flight", "passenger", "fare_bucket__fare_class", "booking")
        .get(pk=ticket_id)
    )


def _new_refund(ticket, **fields):
    """An unsaved refund of `ticket` (its passenger's name copied for the list's search)."""
    passenger = ticket.passenger
    return Refund(
        ticket=ticket, passenger_surname=passenger.surname, passenger_given_names=passenger.given_names, **fields
    )


def _create_refund(ticket, kind, user, now):
    can_request_refund(ticket, kind=kind, now=now).check()
    figures = quote(ticket=ticket, kind=kind, now=now)
    refund = _new_refund(
        ticket,
        kind=kind,
        ticket_total=ticket.total_amount,
        fare_paid=figures.fare_paid,
        fee_kept=figures.fee_kept,
        taxes_returned=figures.taxes_returned,
        amount=figures.amount,
        requested_by=user,
        requested_at=now,
    )
    refund._history_user = user
    try:
        with transaction.atomic():
            refund.save()
    except IntegrityError as error:
        # Someone else's request for the same ticket won the race: theirs is the refund.
        existing = Refund.objects.exclude(status=Refund.Status.REJECTED).get(ticket=ticket)
        raise RefundAlreadyRequested(f"Ticket {ticket.number} already has a refund.", refund=existing) from error
    return refund


def _close_booking_if_empty(booking, user):
    live = Ticket.LIVE_STATUSES
    if (
        booking.status in (Booking.Status.HELD, Booking.Status.TICKETED)
        and not booking.tickets.filter(status__in=live).exists()
    ):
        booking.status = Booking.Status.CANCELLED
        booking._history_user = user
        booking.save()


def _without_live_refund(tickets):
    live = Refund.objects.filter(ticket__in=tickets).exclude(status=Refund.Status.REJECTED)
    taken = set(live.values_list("ticket_id", flat=True))
    return [t for t in tickets if t.pk not in taken]


def _surrender(ticket, kind, user, now):
    """Request the refund of a locked ticket and of its lap infant's on that flight; returns the refunds."""
    refunds = [_create_refund(ticket, kind, user, now)]
    infants = _without_live_refund(sales.lap_infant_tickets(ticket, status=ticket.status))
    refunds += [_create_refund(infant, kind, user, now) for infant in infants]
    if kind in (Refund.Kind.VOLUNTARY, Refund.Kind.INVOLUNTARY):
        sales.close_tickets([ticket, *infants], Ticket.Status.SURRENDERED, user)
        _close_booking_if_empty(ticket.booking, user)
    return refunds


@sales.sales_operation
def request_refund(*, ticket, requested_by, kind=None, now=None):
    """Surrender a ticket for a refund: voluntary or involuntary ones release the seat at once.

    The ticket becomes `surrendered` (unusable, whatever Finance decides) and `refunded`
    when the refund is paid. A no-show keeps its seat (the aircraft left with it); a void
    ticket's seat was released when it was voided. The ticket of the infant on the
    passenger's lap on that flight goes with it, with its own refund. Returns this
    ticket's refund; a second press raises `RefundAlreadyRequested` naming it.
    """
    now = now or timezone.now()
    sales.locked_booking(ticket.booking_id)
    # The ticket's seat and its lap infant's (same booking, same flight).
    _lock_seats_of(Ticket.objects.filter(booking_id=ticket.booking_id, flight_id=ticket.flight_id))
    ticket = _lock_ticket(ticket.pk)
    return _surrender(ticket, kind or _kind_for(ticket), requested_by, now)[0]


def can_void(ticket, *, now=None):
    """Whether the ticket may be voided now: open, issued on this business day, its flight not left."""
    now = now or timezone.now()
    existing = _live_refund(ticket)
    if existing is not None:
        return refuse(
            RefundAlreadyRequested(f"Ticket {ticket.number} is already voided and refunded.", refund=existing)
        )
    if ticket.status != Ticket.Status.OPEN:
        return refuse(
            TicketNotChangeable(f"Ticket {ticket} is {ticket.get_status_display().lower()}: it cannot be voided.")
        )
    if timezone.localdate(ticket.issued_at) != sales.business_today(now):
        return refuse(
            TicketNotChangeable(
                f"Ticket {ticket} was issued on {timezone.localdate(ticket.issued_at):%d %b %Y}: only tickets issued "
                "today can be voided; refund it instead."
            )
        )
    if ticket.flight.status != Flight.Status.SCHEDULED or ticket.flight.scheduled_departure <= now:
        return refuse(TicketNotChangeable(f"{ticket.flight} has left: ticket {ticket} cannot be voided."))
    return ALLOWED


@sales.sales_operation
def void_ticket(*, ticket, agent, now=None):
    """Void a ticket issued today and request its refund of everything paid, no fee, in one step.

    The ticket of the infant on the passenger's lap on that flight is voided and refunded with it;
    the seats are released; a booking left with no live ticket is cancelled. Returns this ticket's
    refund; a second press raises `RefundAlreadyRequested` naming it.
    """
    now = now or timezone.now()
    booking = sales.locked_booking(ticket.booking_id)
    _lock_seats_of(Ticket.objects.filter(booking_id=ticket.booking_id, flight_id=ticket.flight_id))
    ticket = _lock_ticket(ticket.pk)
    can_void(ticket, now=now).check()
    voided = [ticket, *sales.lap_infant_tickets(ticket, status=Ticket.Status.OPEN)]
    sales.close_tickets(voided, Ticket.Status.VOID, agent)
    if not booking.tickets.filter(status__in=[Ticket.Status.OPEN, Ticket.Status.HELD]).exists():
        sales.save_changes(booking, agent, status=Booking.Status.CANCELLED)
    refunds = [_create_refund(t, Refund.Kind.VOID, agent, now) for t in voided]
    return refunds[0]


def _locked_refund(refund_id):
    return Refund.objects.select_for_update().select_related("ticket").get(pk=refund_id)


def can_decide_refund(refund, *, user):
    """Whether `user` may approve or reject this refund now: still requested, and not their own request."""
    if refund.status != Refund.Status.REQUESTED:
        return refuse(RefundNotAllowed(f"This refund is already {refund.get_status_display().lower()}."))
    if refund.requested_by_id == user.pk:
        return refuse(RefundNotAllowed("You requested this refund: another person must approve or reject it."))
    return ALLOWED


def can_mark_refund_paid(refund):
    if refund.status == Refund.Status.PAID:
        return refuse(RefundNotAllowed("This refund is already paid."))
    if refund.status != Refund.Status.APPROVED:
        return refuse(
            RefundNotAllowed(f"This refund is {refund.get_status_display().lower()}: only an approved refund is paid.")
        )
    return ALLOWED


@sales.sales_operation
def approve_refund(*, refund, approver, now=None):
    refund = _locked_refund(refund.pk)
    can_decide_refund(refund, user=approver).check()
    refund.status = Refund.Status.APPROVED
    refund.decided_by = approver
    refund.decided_at = now or timezone.now()
    refund._history_user = approver
    refund.save()
    return refund


@sales.sales_operation
def reject_refund(*, refund, approver, reason, now=None):
    reason = " ".join((reason or "").split())
    if not reason:
        raise RefundNotAllowed("Give the reason for the rejection.", field="reason")
    refund = _locked_refund(refund.pk)
    can_decide_refund(refund, user=approver).check()
    refund.status = Refund.Status.REJECTED
    refund.decided_by = approver
    refund.decided_at = now or timezone.now()
    refund.rejection_reason = reason[:1000]
    refund._history_user = approver
    refund.save()
    return refund


@sales.sales_operation
def mark_refund_paid(*, refund, user, method, reference="", now=None):
    if method not in Payment.Method.values:
        raise RefundNotAllowed("Choose how the money was returned.", field="method")
    reference = (reference or "").strip()
    if method != Payment.Method.CASH and not reference:
        raise RefundNotAllowed("A card or bank transfer refund needs its reference.", field="reference")
    refund = _locked_refund(refund.pk)
    can_mark_refund_paid(refund).check()
    refund.status = Refund.Status.PAID
    refund.paid_by = user
    refund.paid_at = now or timezone.now()
    refund.method = method
    refund.reference = reference[:60]
    refund._history_user = user
    refund.save()
    # The money went back: a surrendered ticket is now refunded. Void and no-show tickets keep
    # their status, which says why they were refunded (docs/decisions.md).
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=refund.ticket_id)
    if ticket.status == Ticket.Status.SURRENDERED:
        sales.save_changes(ticket, user, status=Ticket.Status.REFUNDED)
        sales_listing.record_status([ticket])
    return refund


def decide_many(*, refunds, approver, approve, reason=""):
    """Bulk approve or reject, each refund on its own: returns (done, [(refund, error message)])."""
    done, refused = [], []
    for refund in sorted(refunds, key=lambda r: r.pk):
        try:
            if approve:
                done.append(approve_refund(refund=refund, approver=approver))
            else:
                done.append(reject_refund(refund=refund, approver=approver, reason=reason))
        except RefundError as error:
            refused.append((refund, str(error)))
    return done, refused


@dataclass
class FlightCancellation:
    flight: Flight
    refunds_requested: int
    seats_released: int
    holds_cancelled: int
    # Held bookings paid in full but not yet issued: the counter rebooks them or returns the money.
    paid_holds: list


def can_cancel_flight(flight):
    """Whether the airline may cancel this flight now: it is still scheduled."""
    if flight.status != Flight.Status.SCHEDULED:
        return refuse(RefundNotAllowed(f"{flight} is {flight.get_status_display().lower()}: it cannot be cancelled."))
    return ALLOWED


class _LateBooking(Exception):
    """A booking took a seat on the flight between reading its bookings and locking the flight."""


# Tries at locking a flight's bookings, then the flight, before the cancellation says "try again".
CANCEL_LOCK_TRIES = 3


def _lock_for_cancellation(flight_id):
    """Lock, in the one order (backoffice/locks.py): every booking with a live ticket on the flight,
    then the flight and the other flights whose seats the cancellation gives back (those of the
    held bookings, cancelled whole), then their buckets. Returns the flight, locked.

    A booking made between reading the bookings and locking the flight is found once the flight
    is locked; it cannot be locked then without breaking the order, so the locks are let go
    (the savepoint rolled back) and taken again with it.
    """
    live = [Ticket.Status.OPEN, Ticket.Status.HELD]
    booking_ids = set()
    for _ in range(CANCEL_LOCK_TRIES):
        booking_ids |= set(
            Ticket.objects.filter(flight_id=flight_id, status__in=live).values_list("booking_id", flat=True)
        )
        try:
            with transaction.atomic():
                locks.lock_in_order(bookings=booking_ids)
                # Under the bookings' locks their tickets hold still.
                seats = list(
                    Ticket.objects.filter(booking_id__in=booking_ids, holds_seat=True)
                    .filter(Q(flight_id=flight_id) | Q(status=Ticket.Status.HELD))
                    .values_list("flight_id", "fare_bucket_id")
                )
                locked = locks.lock_in_order(flights={flight_id, *(f for f, _ in seats)}, buckets={b for _, b in seats})
                late = set(
                    Ticket.objects.filter(flight_id=flight_id, status__in=live).values_list("booking_id", flat=True)
                )
                if late - booking_ids:
                    booking_ids |= late
                    raise _LateBooking
                return locked.flights[flight_id]
        except _LateBooking:
            continue
    raise TryAgain("Bookings are being made on this flight right now. Please try again in a moment.")


@sales.sales_operation
def cancel_flight(*, flight, user, now=None):
    """The airline cancels a flight: every open ticket gets an involuntary refund request
    and its seat back; seats held unpaid on it are released. All or nothing."""
    now = now or timezone.now()
    flight = _lock_for_cancellation(flight.pk)
    can_cancel_flight(flight).check()
    flight.status = Flight.Status.CANCELLED
    flight._history_user = user
    flight.save()

    open_tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(flight=flight, status=Ticket.Status.OPEN)
        .select_related("fare_bucket", "passenger")
        .order_by("pk")
    )
    already = set(
        Refund.objects.filter(ticket__in=open_tickets)
        .exclude(status=Refund.Status.REJECTED)
        .values_list("ticket_id", flat=True)
    )
    refunds = [
        _new_refund(
            ticket,
            kind=Refund.Kind.INVOLUNTARY,
            ticket_total=ticket.total_amount,
            fare_paid=ticket.fare_amount,
            fee_kept=ZERO,
            taxes_returned=ticket.tax_amount,
            amount=ticket.total_amount,
            requested_by=user,
            requested_at=now,
        )
        for ticket in open_tickets
        if ticket.pk not in already
    ]
    bulk_create_with_history(refunds, Refund, batch_size=500, user=user)
    released = sum(1 for t in open_tickets if t.holds_seat)
    sales.close_tickets(open_tickets, Ticket.Status.SURRENDERED, user)
    for booking in Booking.objects.filter(tickets__in=open_tickets).distinct():
        _close_booking_if_empty(booking, user)

    # A booking held unpaid on this flight cannot travel as booked: it is cancelled whole,
    # seats on its other flights included, and the passenger rebooks.
    held_ids = set(Ticket.objects.filter(flight=flight, status=Ticket.Status.HELD).values_list("booking_id", flat=True))
    # Locked already (_lock_for_cancellation), with their seats' flights and buckets.
    held = list(Booking.objects.filter(pk__in=held_ids, status=Booking.Status.HELD).order_by("pk"))
    paid = []
    for booking in held:
        tickets = list(booking.tickets.filter(status=Ticket.Status.HELD))
        released += sum(1 for t in tickets if t.holds_seat and t.flight_id == flight.pk)
        sales.close_tickets(tickets, Ticket.Status.CANCELLED, user)
        booking.status = Booking.Status.CANCELLED
        booking._history_user = user
        booking.save()
        if booking.amount_paid > 0:
            paid.append(booking.record_locator)
    return FlightCancellation(
        flight=flight,
        refunds_requested=len(refunds),
        seats_released=released,
        holds_cancelled=len(held),
        paid_holds=paid,
    )


@sales.sales_operation
def request_booking_refunds(*, booking, requested_by, now=None):
    """Cancel a ticketed booking at the passenger's request: a refund request per open ticket."""
    now = now or timezone.now()
    booking = sales.locked_booking(booking)
    _lock_seats_of(booking.tickets.filter(status=Ticket.Status.OPEN))
    tickets = list(booking.tickets.select_related("flight", "passenger").prefetch_related("refunds").order_by("pk"))
    can_refund_booking(booking, tickets=tickets, now=now).check()
    refunds = []
    for ticket in (t for t in tickets if t.status == Ticket.Status.OPEN):
        ticket = _lock_ticket(ticket.pk)
        if ticket.status == Ticket.Status.OPEN:  # not a lap infant's that went with their adult's
            refunds += _surrender(ticket, _kind_for(ticket), requested_by, now)
    return refunds


def quote_booking(*, booking, now=None):
    """The quote for every open ticket of a booking, and their total."""
    now = now or timezone.now()
    tickets = list(
        booking.tickets.select_related("flight", "passenger", "fare_bucket__fare_class")
        .prefetch_related("refunds")
        .order_by("passenger__position", "flight__scheduled_departure")
    )
    can_refund_booking(booking, tickets=tickets, now=now).check()
    quotes = [quote(ticket=ticket, now=now) for ticket in tickets if ticket.status == Ticket.Status.OPEN]
    return quotes, sum((q.amount for q in quotes), start=ZERO)
