"""Printed documents: the itinerary receipt a passenger takes away, the passenger manifest operations work from.

PDFs are A4, rendered by WeasyPrint from `sales/templates/sales/documents/`. They fetch nothing from
the network: only inline `data:` URIs are allowed. Flight times are printed in each airport's local
time with its zone, everything else (bookings, payments, "printed at") in the business time zone.
Each document reads the database in a fixed number of queries, whatever the number of passengers.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from backoffice.csv_safety import csv_rows
from backoffice.money import grouped
from fleet.models import Flight
from fleet.timezones import format_local
from sales import services
from sales.models import Passenger, Ticket
from sales.selectors import booking_page

NOT_ISSUED = "not issued"

# The PDF prints an infant right under their adult; a spreadsheet re-sorts rows, so the CSV names the adult.
MANIFEST_COLUMNS = ("No.", "Passenger", "Type", "On lap of", "Record locator", "Ticket", "Class", "Status")


def _business_time(instant):
    return format_local(instant, settings.BUSINESS_TIME_ZONE)


def _printed_line(printed_by):
    text = f"Printed {_business_time(timezone.now())} ({settings.BUSINESS_TIME_ZONE})"
    if printed_by is not None:
        text += f" by {printed_by.get_full_name() or printed_by.get_username()}"
    return text


def _render_pdf(template, context, *, printed_by):
    context = {
        "airline_name": settings.AIRLINE_NAME,
        "airline_code": settings.AIRLINE_CODE,
        "currency": settings.CURRENCY,
        "printed": _printed_line(printed_by),
        **context,
    }
    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


@dataclass(frozen=True)
class Leg:
    """One flight as a document prints it."""

    designator: str
    date: str
    origin_code: str
    origin_name: str
    destination_code: str
    destination_name: str
    departure: str
    arrival: str
    cancelled: bool

    @classmethod
    def of(cls, flight):
        return cls(
            designator=flight.designator + (f" leg {flight.leg_number}" if flight.leg_number > 1 else ""),
            date=f"{flight.flight_date:%a %d %b %Y}",
            origin_code=flight.origin.code,
            origin_name=flight.origin.name,
            destination_code=flight.destination.code,
            destination_name=flight.destination.name,
            departure=format_local(flight.scheduled_departure, flight.origin.time_zone),
            arrival=format_local(flight.scheduled_arrival, flight.destination.time_zone),
            cancelled=flight.status == Flight.Status.CANCELLED,
        )


# --- Itinerary receipt ------------------------------------------------------


@dataclass
class ReceiptTicket:
    flight: str
    route: str
    number: str
    status: str
    fare: str
    taxes: list  # (code, name, amount)
    total: str
    live: bool


@dataclass
class ReceiptPassenger:
    position: int
    name: str
    passenger_type: str
    type_label: str
    lap_of: str
    tickets: list = field(default_factory=list)


def itinerary_receipt_pdf(booking, *, printed_by=None):
    """The A4 itinerary receipt of one booking: flights, passengers, tickets, fares, taxes, payments."""
    booking = booking_page(booking.pk)
    tickets = list(booking.tickets.all())

    flights = {}
    classes = {}
    for ticket in tickets:
        flights.setdefault(ticket.flight_id, ticket.flight)
        classes.setdefault(ticket.flight_id, set()).add(ticket.fare_bucket.fare_class.code)
    legs = [
        (Leg.of(flight), ", ".join(sorted(classes[flight.pk])))
        for flight in sorted(flights.values(), key=lambda f: f.scheduled_departure)
    ]

    passengers = {
        p.pk: ReceiptPassenger(
            position=p.position,
            name=p.iata_name,
            passenger_type=p.passenger_type,
            type_label=p.get_passenger_type_display(),
            lap_of=f"{p.infant_of.position}. {p.infant_of.iata_name}" if p.infant_of_id else "",
        )
        for p in booking.passengers.all()
    }
    for ticket in tickets:
        flight = ticket.flight
        passengers[ticket.passenger_id].tickets.append(
            ReceiptTicket(
                flight=flight.designator,
                route=f"{flight.origin.code}-{flight.destination.code} {flight.flight_date:%d %b}",
                number=ticket.number or NOT_ISSUED,
                status=ticket.get_status_display(),
                fare=grouped(ticket.fare_amount),
                taxes=[(line.code, line.name, grouped(line.amount)) for line in ticket.tax_lines.all()],
                total=grouped(ticket.total_amount),
                live=ticket.status in Ticket.LIVE_STATUSES,  # the others are printed greyed out
            )
        )

    payments = [
        {
            "received_at": _business_time(payment.received_at),
            "method": payment.get_method_display(),
            "reference": payment.reference,
            "agent": payment.agent.get_username(),
            "amount": grouped(payment.amount),
        }
        for payment in booking.payments.all()
    ]
    context = {
        "booking": booking,
        "booked_at": _business_time(booking.created_at),
        "hold_deadline": _business_time(booking.hold_deadline) if services.current_hold_deadline(booking) else "",
        "owes": services.amount_due(booking) is not None,
        "business_time_zone": settings.BUSINESS_TIME_ZONE,
        "legs": legs,
        "passengers": sorted(passengers.values(), key=lambda p: p.position),
        "payments": payments,
        "total": grouped(booking.total_amount),
        "paid": grouped(booking.amount_paid),
        "balance_due": grouped(booking.balance_due),
    }
    return _render_pdf("sales/documents/itinerary_receipt.html", context, printed_by=printed_by)


# --- Passenger manifest -----------------------------------------------------


@dataclass(frozen=True)
class ManifestLine:
    sequence: int
    name: str
    passenger_type: str
    lap_of: str
    record_locator: str
    ticket_number: str
    fare_class: str
    status: str

    def cells(self):
        return (
            self.sequence,
            self.name,
            self.passenger_type,
            self.lap_of,
            self.record_locator,
            self.ticket_number,
            self.fare_class,
            self.status,
        )


def _manifest(flight):
    """The flight with its route and aircraft, and its manifest lines, in two queries.

    Passengers come by surname; an infant comes right under the adult whose lap it sits on.
    """
    flight = Flight.objects.select_related("origin", "destination", "aircraft_type").get(pk=flight.pk)
    tickets = list(
        Ticket.objects.filter(flight=flight, status__in=Ticket.LIVE_STATUSES)
        .select_related("passenger__infant_of", "booking", "fare_bucket__fare_class")
        .order_by("passenger__surname", "passenger__given_names", "booking__record_locator", "passenger__position")
    )
    seated = {t.passenger_id for t in tickets if t.passenger.passenger_type != Passenger.Type.INFANT}
    infant_on_lap = {t.passenger.infant_of_id: t for t in tickets if t.passenger.infant_of_id in seated}
    ordered = []
    for ticket in tickets:
        if ticket.passenger.infant_of_id in seated:
            continue  # printed under their adult
        ordered.append(ticket)
        if ticket.passenger_id in infant_on_lap:
            ordered.append(infant_on_lap[ticket.passenger_id])
    lines = [
        ManifestLine(
            sequence=sequence,
            name=ticket.passenger.iata_name,
            passenger_type=ticket.passenger.passenger_type,
            lap_of=ticket.passenger.infant_of.iata_name if ticket.passenger.infant_of_id else "",
            record_locator=ticket.booking.record_locator,
            ticket_number=ticket.number or NOT_ISSUED,
            fare_class=ticket.fare_bucket.fare_class.code,
            status=ticket.get_status_display(),
        )
        for sequence, ticket in enumerate(ordered, start=1)
    ]
    return flight, lines


def passenger_manifest_pdf(flight, *, printed_by=None):
    """The A4 passenger manifest of one flight: everyone holding a seat or a lap, or who travelled."""
    flight, lines = _manifest(flight)
    by_type = Counter(line.passenger_type for line in lines)
    by_status = Counter(line.status for line in lines)
    context = {
        "flight": flight,
        "leg": Leg.of(flight),
        "lines": lines,
        "by_type": [(code, label, by_type[code]) for code, label in Passenger.Type.choices],
        "by_status": [
            (str(label), by_status[str(label)])
            for value, label in Ticket.Status.choices
            if value in Ticket.LIVE_STATUSES
        ],
        "seats_on_manifest": sum(n for code, n in by_type.items() if code != Passenger.Type.INFANT),
        "total_on_manifest": len(lines),
    }
    return _render_pdf("sales/documents/passenger_manifest.html", context, printed_by=printed_by)


def passenger_manifest_csv(flight):
    """The manifest as CSV lines (header first), Excel-safe, for a StreamingHttpResponse.

    The database is read here, before the first line is sent.
    """
    _, lines = _manifest(flight)
    return csv_rows([MANIFEST_COLUMNS, *(line.cells() for line in lines)])
