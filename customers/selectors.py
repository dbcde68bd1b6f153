"""Reads of the customer site: finding a booking from what a passenger knows, and what its page shows."""

from dataclasses import dataclass, field

from django.conf import settings

from backoffice.rules import first_refusal
from fleet.timezones import format_local
from refunds import services as refund_services
from sales import services as sales_services
from sales.documents import Leg
from sales.models import Booking, Passenger, Ticket
from sales.selectors import booking_page


def booking_by_locator_and_surname(record_locator, surname):
    """The booking with this record locator and a passenger of this surname (both as IATA writes them), or None."""
    return (
        Booking.objects.filter(
            record_locator=record_locator,
            pk__in=Passenger.objects.filter(surname=surname).values("booking_id"),
        )
        .only("pk")
        .first()
    )


@dataclass
class TicketLine:
    flight: str
    route: str
    number: str
    status: str
    total: object
    live: bool


@dataclass
class PassengerLine:
    position: int
    name: str
    type_label: str
    lap_of: str
    tickets: list = field(default_factory=list)


@dataclass
class PaymentLine:
    received_at: str
    method: str
    amount: object


@dataclass
class BookingSummary:
    """What a passenger sees of a booking: no agent names, no internal notes."""

    booking: Booking
    legs: list
    passengers: list
    payments: list

    @property
    def currency(self):
        return settings.CURRENCY


def booking_summary(booking_id):
    """The booking's itinerary (local times with zones), passengers and their tickets, and payments."""
    booking = booking_page(booking_id)
    tickets = list(booking.tickets.all())
    flights = {}
    for ticket in tickets:
        flights.setdefault(ticket.flight_id, ticket.flight)
    legs = [Leg.of(flight) for flight in sorted(flights.values(), key=lambda f: (f.scheduled_departure, f.pk))]
    passengers = {
        p.pk: PassengerLine(
            position=p.position,
            name=p.iata_name,
            type_label=p.get_passenger_type_display(),
            lap_of=p.infant_of.iata_name if p.infant_of_id else "",
        )
        for p in booking.passengers.all()
    }
    for ticket in tickets:
        flight = ticket.flight
        passengers[ticket.passenger_id].tickets.append(
            TicketLine(
                flight=flight.designator,
                route=f"{flight.origin.code}–{flight.destination.code} {flight.flight_date:%d %b %Y}",
                number=ticket.number or "",
                status=ticket.get_status_display(),
                total=ticket.total_amount,
                live=ticket.status in Ticket.LIVE_STATUSES,
            )
        )
    payments = [
        PaymentLine(
            received_at=format_local(payment.received_at, settings.BUSINESS_TIME_ZONE),
            method=payment.get_method_display(),
            amount=payment.amount,
        )
        for payment in booking.payments.all()
    ]
    return BookingSummary(
        booking=booking,
        legs=legs,
        passengers=sorted(passengers.values(), key=lambda p: p.position),
        payments=payments,
    )


@dataclass
class RefundOffers:
    """What the booking's page offers, as the services' own rules say (never worked out here)."""

    booking_refund: object  # Allowed
    passengers: dict  # position -> Allowed for that passenger's open tickets
    cancel_hold: object  # Allowed


def booking_tickets(booking):
    """Every ticket of the booking with what the rules read: flight, passenger, fare class, refunds."""
    return list(
        booking.tickets.select_related("flight", "passenger", "fare_bucket__fare_class")
        .prefetch_related("refunds")
        .order_by("passenger__position", "flight__scheduled_departure", "pk")
    )


def passenger_open_tickets(tickets, position):
    """A passenger's open tickets; a lap infant's go with their adult's, so an infant has none of their own."""
    return [
        t
        for t in tickets
        if t.passenger.position == position and t.status == Ticket.Status.OPEN and t.passenger.takes_seat
    ]


def refund_offers(booking, tickets, *, now=None):
    positions = sorted({t.passenger.position for t in tickets if t.passenger.takes_seat})
    passengers = {}
    for position in positions:
        own = passenger_open_tickets(tickets, position)
        if own:
            passengers[position] = first_refusal(*(refund_services.can_request_refund(t, now=now) for t in own))
    return RefundOffers(
        booking_refund=refund_services.can_refund_booking(booking, tickets=tickets, now=now),
        passengers=passengers,
        cancel_hold=sales_services.can_cancel_booking(booking),
    )
