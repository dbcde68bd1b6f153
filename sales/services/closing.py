"""Closing tickets (a hold cancelled or expired, a ticket voided or refunded): their seats given back, and a
lap infant's ticket taken with its adult's. Run in the caller's transaction, under its locks."""

from backoffice import locks
from backoffice.history import bulk_history_update
from sales import inventory, listing
from sales.models import Ticket


def lock_seats(tickets):
    """Lock the flights, then the fare buckets, whose seats these tickets hold (backoffice/locks.py).

    Called under the booking's lock and before any ticket is locked: tickets come after buckets.
    """
    holding = [t for t in tickets if t.holds_seat]
    locks.lock_in_order(flights={t.flight_id for t in holding}, buckets={t.fare_bucket_id for t in holding})


def close_tickets(tickets, status, user):
    """Give back the seats of these tickets and set their status. Runs in the caller's transaction, which
    has locked their booking, then their flights and buckets (`lock_seats`), then the tickets."""
    inventory.release_seats(tickets=tickets, user=user)
    for ticket in tickets:
        ticket.status = status
        ticket.holds_seat = False
    Ticket.objects.bulk_update(tickets, ["status", "holds_seat"])
    bulk_history_update(tickets, Ticket, user=user)
    listing.record_status(tickets)


def lap_infant_tickets(ticket, *, status, lock=True):
    """The ticket, in this status, of the infant on this ticket's passenger's lap on the same flight.

    A lap infant's ticket follows its adult's (PRODUCT.md): every operation that voids, surrenders
    or cancels an adult's ticket takes these with it, locked (`lock=False` to only show them).
    """
    tickets = Ticket.objects.select_for_update(of=("self",)) if lock else Ticket.objects.all()
    return list(
        tickets.select_related("flight", "passenger", "fare_bucket__fare_class", "booking")
        .filter(
            booking_id=ticket.booking_id,
            passenger__infant_of_id=ticket.passenger_id,
            flight_id=ticket.flight_id,
            status=status,
        )
        .order_by("pk")
    )
