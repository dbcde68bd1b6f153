"""Booking: the flights and classes chosen, priced, and a seat taken for every passenger on every flight, or
none; "pay now" books, takes the payment and issues in one transaction."""

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from backoffice.history import bulk_create_with_history
from backoffice.money import to_cents
from fleet.models import Flight
from sales import booking_sql, inventory
from sales.exceptions import FlightNotBookable, InvalidBooking, TryAgain
from sales.models import Booking, FareBucket, Passenger, Ticket, TicketTax
from sales.pricing import price_booking
from sales.services.holds import HOLD_ENDS_BEFORE_DEPARTURE, hold_deadline
from sales.services.on_sale import SALES_CLOSE_BEFORE_DEPARTURE, can_sell_on
from sales.services.operation import sales_operation
from sales.services.passengers import clean_contact, clean_passengers
from sales.services.payments import take_payment
from sales.services.ticketing import issue_tickets

MAX_SEGMENTS = 8


LOCATOR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0, O, 1 or I


@dataclass(frozen=True)
class SegmentRequest:
    flight_id: int
    fare_class: str


def _new_locator():
    return "".join(secrets.choice(LOCATOR_ALPHABET) for _ in range(6))


def _save_booking(booking, agent):
    """Insert with a fresh record locator, drawing again on the rare collision."""
    for _ in range(10):
        booking.record_locator = _new_locator()
        try:
            with transaction.atomic():
                booking._history_user = agent
                booking.save(force_insert=True)
            return booking
        except IntegrityError:
            if Booking.objects.filter(record_locator=booking.record_locator).exists():
                booking.pk = None
                continue
            raise
    raise TryAgain("Could not draw a free record locator. Please try again.")


def _chosen_buckets(segments, now):
    """The fare bucket of each segment, in departure order, refused if it cannot be sold now."""
    if not segments:
        raise InvalidBooking("Choose at least one flight.", field="segments")
    if len(segments) > MAX_SEGMENTS:
        raise InvalidBooking(f"A booking holds at most {MAX_SEGMENTS} flights.", field="segments")
    if len({s.flight_id for s in segments}) != len(segments):
        raise InvalidBooking("The same flight appears twice.", field="segments")

    buckets = {
        (b.flight_id, b.fare_class.code): b
        # No ORDER BY: Meta.ordering would sort by the flight and class for nothing.
        for b in FareBucket.objects.select_related("fare_class", "flight__origin__city")
        .filter(flight_id__in=[s.flight_id for s in segments])
        .order_by()
    }
    chosen = []
    for segment in segments:
        bucket = buckets.get((segment.flight_id, segment.fare_class))
        if bucket is None:
            flight = Flight.objects.filter(pk=segment.flight_id).first()
            if flight is None:
                raise InvalidBooking(f"Flight {segment.flight_id} does not exist.", field="segments")
            raise FlightNotBookable(f"{flight} is not sold in class {segment.fare_class}.")
        can_sell_on(bucket.flight, now=now).check()
        chosen.append(bucket)
    chosen.sort(key=lambda b: b.flight.scheduled_departure)
    for earlier, later in zip(chosen, chosen[1:], strict=False):
        if later.flight.scheduled_departure < earlier.flight.scheduled_arrival:
            raise InvalidBooking(f"{later.flight} leaves before {earlier.flight} arrives.", field="segments")
    return chosen


def quote_booking(*, segments, passenger_types, now=None):
    """What these passengers would pay on these flights, priced exactly as `book` prices them. Writes nothing.

    Seats are not checked: the quote holds none, and `book` says if they are gone.
    """
    now = now or timezone.now()
    chosen = _chosen_buckets(segments, now)
    return price_booking(buckets=chosen, passenger_types=passenger_types)


@sales_operation
def book(*, segments, passengers, contact_name, contact_email, contact_phone, agent, hold=True, now=None):
    """Take a seat for every passenger on every flight, or none.

    The booking is `held` until paid. `pay_now` books with `hold=False`, then takes
    the payment and issues the tickets in the same transaction.
    """
    now = now or timezone.now()
    people = clean_passengers(passengers)
    contact_name, contact_email, contact_phone = clean_contact(contact_name, contact_email, contact_phone)
    chosen = _chosen_buckets(segments, now)
    first_departure = chosen[0].flight.scheduled_departure
    deadline = hold_deadline(now=now, first_departure=first_departure)
    if hold and deadline <= now:
        raise FlightNotBookable(
            f"{chosen[0].flight} leaves in less than {HOLD_ENDS_BEFORE_DEPARTURE.seconds // 3600} hours: "
            "it can be sold only with payment now, not held."
        )
    price = price_booking(buckets=chosen, passenger_types=[person.passenger_type for person in people])

    if not hold:
        # Paid and issued in this same transaction: it never waits on a deadline.
        deadline = max(deadline, first_departure - SALES_CLOSE_BEFORE_DEPARTURE)
    booking = Booking(
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        agent=agent,
        created_at=now,
        hold_deadline=deadline,
        total_amount=price.total,
    )
    if connection.vendor == "postgresql":
        _insert_booking_sql(booking, people, chosen, price, agent)
    else:
        _insert_booking_orm(booking, people, chosen, price, agent)
    seats = sum(1 for person in people if person.takes_seat)
    inventory.take_seats(
        seats_by_bucket={bucket: seats for bucket in chosen},
        sales_close_before=SALES_CLOSE_BEFORE_DEPARTURE,
        now=now,
        user=agent,
    )
    return booking


@sales_operation
def pay_now(*, segments, passengers, contact_name, contact_email, contact_phone, method, reference="", agent, now=None):
    """Book, take the whole payment and issue the tickets: one transaction, all of it or nothing.

    The only way to sell within two hours of departure, where a hold would end before it starts.
    """
    booking = book(
        segments=segments,
        passengers=passengers,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        agent=agent,
        hold=False,
        now=now,
    )
    take_payment(booking=booking, amount=booking.total_amount, method=method, reference=reference, agent=agent, now=now)
    issue_tickets(booking=booking, agent=agent, now=now)
    booking.refresh_from_db()
    return booking


def _insert_booking_sql(booking, people, chosen, price, agent):
    """PostgreSQL: the booking's rows and history in one statement (sales/booking_sql.py)."""
    tickets, tax_lines = [], []
    for bucket in chosen:
        for person in people:
            line = price.line(bucket, person.passenger_type)
            tickets.append(
                (
                    person.position,
                    bucket.flight_id,
                    bucket.pk,
                    person.takes_seat,
                    line.fare,
                    line.tax_total,
                    line.total,
                )
            )
            tax_lines += [(person.position, bucket.flight_id, t.code, t.name, to_cents(t.amount)) for t in line.taxes]
    # The statement's VALUES rows, in the order booking_sql.insert_booking names them.
    rows = [(p.position, p.surname, p.given_names, p.title, p.passenger_type, p.lap) for p in people]
    for _ in range(10):
        booking.record_locator = _new_locator()
        booking_id = booking_sql.insert_booking(booking, people=rows, tickets=tickets, tax_lines=tax_lines, user=agent)
        if booking_id is not None:
            booking.pk = booking_id
            booking._state.adding = False
            return booking
    raise TryAgain("Could not draw a free record locator. Please try again.")


def _insert_booking_orm(booking, people, chosen, price, agent):
    """Elsewhere (the SQLite default): the same rows through the ORM."""
    booking = _save_booking(booking, agent)

    def passenger(person, **lap):
        return Passenger(
            booking=booking,
            position=person.position,
            surname=person.surname,
            given_names=person.given_names,
            title=person.title,
            passenger_type=person.passenger_type,
            **lap,
        )

    seated = [passenger(person) for person in people if person.takes_seat]
    seated = bulk_create_with_history(seated, Passenger, user=agent)
    by_position = {p.position: p for p in seated}
    infants = [passenger(person, infant_of=by_position[person.lap]) for person in people if not person.takes_seat]
    infants = bulk_create_with_history(infants, Passenger, user=agent) if infants else []
    everyone = sorted(seated + infants, key=lambda p: p.position)

    tickets = []
    for bucket in chosen:
        for passenger in everyone:
            line = price.line(bucket, passenger.passenger_type)
            tickets.append(
                Ticket(
                    booking=booking,
                    passenger=passenger,
                    flight=bucket.flight,
                    fare_bucket=bucket,
                    holds_seat=passenger.takes_seat,
                    fare_amount=line.fare,
                    tax_amount=line.tax_total,
                    total_amount=line.total,
                )
            )
    tickets = bulk_create_with_history(tickets, Ticket, user=agent)
    tax_lines = [
        TicketTax(ticket=ticket, code=tax.code, name=tax.name, amount=to_cents(tax.amount))
        for ticket in tickets
        for tax in price.line(ticket.fare_bucket, ticket.passenger.passenger_type).taxes
    ]
    if tax_lines:
        bulk_create_with_history(tax_lines, TicketTax, user=agent)
    return booking
