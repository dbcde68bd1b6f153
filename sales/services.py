"""Counter sales: every write here is one business operation in one transaction.

Each function takes keyword arguments and the acting user, records history
with that user, and raises a `SalesError` a counter agent can read; when it
raises, nothing it did is kept.
"""

import datetime as dt
import functools
import re
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from backoffice import db_faults, locks
from backoffice.history import bulk_create_with_history, bulk_history_update, copy_create_with_history
from backoffice.money import to_cents
from backoffice.rules import ALLOWED, refuse
from fleet.models import Flight
from fleet.timezones import format_local
from sales import booking_sql, inventory, listing, summaries
from sales.exceptions import (
    BucketNotChangeable,
    FlightNotBookable,
    HoldExpired,
    InvalidBooking,
    NotFullyPaid,
    PaymentRefused,
    TicketNotChangeable,
    TryAgain,
)
from sales.models import Booking, FareBucket, Passenger, Payment, RouteFare, Ticket, TicketTax, validate_phone_number
from sales.pricing import price_booking

MAX_PASSENGERS = 9
MAX_SEGMENTS = 8
TITLES = ("MR", "MRS", "MS", "MISS", "MSTR", "DR")
LOCATOR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0, O, 1 or I
# Counter sales close when check-in does (docs/decisions.md).
SALES_CLOSE_BEFORE_DEPARTURE = dt.timedelta(minutes=settings.CHECK_IN_CLOSES_MINUTES)
# A hold never runs past this point before the first departure (PRODUCT.md).
HOLD_ENDS_BEFORE_DEPARTURE = dt.timedelta(hours=2)
# A flight may be marked departed from this long before its scheduled time (docs/decisions.md).
DEPARTURE_FROM_BEFORE = dt.timedelta(hours=1)


def sales_operation(func):
    """One transaction; a lock wait that times out, a statement past its time limit or a connection the server
    dropped becomes a readable "try again" (nothing was written: the transaction is whole or not at all)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            if inventory.is_lock_error(error):
                raise TryAgain(
                    "Another agent is changing these seats right now. Please try again in a moment."
                ) from error
            message = db_faults.trouble(error)
            if message is not None:
                raise TryAgain(message) from error
            raise

    return wrapper


# --- Input ------------------------------------------------------------------


@dataclass(frozen=True)
class PassengerRequest:
    surname: str
    given_names: str
    title: str = ""
    passenger_type: str = Passenger.Type.ADULT
    # For an infant: the 1-based position of the adult whose lap it sits on.
    infant_of: int | None = None


@dataclass(frozen=True)
class SegmentRequest:
    flight_id: int
    fare_class: str


@dataclass(frozen=True)
class Person:
    """A passenger as the booking will store them: checked, in IATA capitals, at their position (1-based)."""

    position: int
    surname: str
    given_names: str
    title: str
    passenger_type: str
    # An infant's adult, by position; None for everyone else.
    lap: int | None

    @property
    def takes_seat(self):
        return self.passenger_type != Passenger.Type.INFANT


_NAME_ALLOWED = re.compile(r"^[A-Z]+(?: [A-Z]+)*$")


def iata_capitals(value):
    """Capitals without accents, as IATA writes names; apostrophes go, hyphens become spaces."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.upper().replace("'", "").replace("’", "").replace("-", " ")
    return " ".join(text.split())


def iata_name_part(value, label, *, field=None, passenger=None):
    """A surname or given names as stored: IATA capitals, checked. A refusal names `field` of `passenger`."""
    text = iata_capitals(value)
    at_fault = {"field": field, "passenger": passenger}
    if not text:
        raise InvalidBooking(f"{label}: enter a name.", **at_fault)
    if not _NAME_ALLOWED.match(text):
        raise InvalidBooking(f"{label}: only letters, spaces, hyphens and apostrophes, not {value!r}.", **at_fault)
    if len(text) > 40:
        raise InvalidBooking(f"{label}: at most 40 letters.", **at_fault)
    return text


def _clean_passengers(passengers):
    if not passengers:
        raise InvalidBooking("A booking needs at least one passenger.", field="passengers")
    if len(passengers) > MAX_PASSENGERS:
        raise InvalidBooking(
            f"A booking holds at most {MAX_PASSENGERS} passengers, not {len(passengers)}.", field="passengers"
        )
    cleaned = []
    laps = Counter()
    for position, request in enumerate(passengers, start=1):
        label = f"Passenger {position}"
        if request.passenger_type not in Passenger.Type.values:
            raise InvalidBooking(
                f"{label}: unknown passenger type {request.passenger_type!r}.",
                field="passenger_type",
                passenger=position,
            )
        title = (request.title or "").strip().upper().rstrip(".")
        if title and title not in TITLES:
            raise InvalidBooking(
                f"{label}: title must be one of {', '.join(TITLES)}.", field="title", passenger=position
            )
        surname = iata_name_part(request.surname, f"{label} surname", field="surname", passenger=position)
        given_names = iata_name_part(
            request.given_names, f"{label} given names", field="given_names", passenger=position
        )
        infant_of = request.infant_of
        if request.passenger_type == Passenger.Type.INFANT:
            adult = passengers[infant_of - 1] if infant_of and 1 <= infant_of <= len(passengers) else None
            if adult is None or adult.passenger_type != Passenger.Type.ADULT:
                raise InvalidBooking(
                    f"{label}: an infant travels on the lap of an adult on the same booking.",
                    field="infant_of",
                    passenger=position,
                )
            laps[infant_of] += 1
            if laps[infant_of] > 1:
                raise InvalidBooking(
                    f"{label}: passenger {infant_of} already has an infant on their lap.",
                    field="infant_of",
                    passenger=position,
                )
        else:
            infant_of = None
        cleaned.append(Person(position, surname, given_names, title, request.passenger_type, infant_of))
    return cleaned


def _clean_contact(name, email, phone):
    name = " ".join((name or "").split())
    if not name:
        raise InvalidBooking("Contact name: enter a name.", field="contact_name")
    try:
        if len(email or "") > 254:
            raise ValidationError("too long")
        validate_email(email or "")
    except ValidationError as error:
        raise InvalidBooking(f"Contact e-mail: {email!r} is not an e-mail address.", field="contact_email") from error
    phone = (phone or "").strip()
    try:
        validate_phone_number(phone)
    except ValidationError as error:
        raise InvalidBooking(f"Contact phone: {phone[:40]!r} is not a phone number.", field="contact_phone") from error
    return name[:100], email.strip(), phone


def hold_deadline(*, now, first_departure):
    """The hold duration from now, but never later than 2 h before the first departure."""
    return min(now + dt.timedelta(hours=settings.HOLD_DURATION_HOURS), first_departure - HOLD_ENDS_BEFORE_DEPARTURE)


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


# --- Booking ----------------------------------------------------------------


def can_sell_on(flight, *, now=None):
    """Whether the counter may sell seats on this flight now: scheduled, and sales not yet closed."""
    now = now or timezone.now()
    if flight.status != Flight.Status.SCHEDULED:
        return refuse(FlightNotBookable(f"{flight} is {flight.get_status_display().lower()}: it cannot be sold."))
    if flight.scheduled_departure <= now + SALES_CLOSE_BEFORE_DEPARTURE:
        minutes = int(SALES_CLOSE_BEFORE_DEPARTURE.total_seconds() // 60)
        return refuse(FlightNotBookable(f"Sales for {flight} have closed ({minutes} minutes before departure)."))
    return ALLOWED


@dataclass(frozen=True)
class CheckIn:
    """Where a departure's check-in at the airport counter stands, read from the clock (docs/decisions.md).

    `state` is one of CHECK_IN_STATES; `at` the local time it changes next (opening, closing), if any.
    """

    state: str
    at: object = None


CHECK_IN_STATES = ("not_open", "open", "closed", "departure_due", "departed", "cancelled")


def check_in(flight, *, now=None):
    """Not open yet, open, closed (with counter sales), departure due (the time has passed and nobody
    recorded it), departed or cancelled."""
    now = now or timezone.now()
    if flight.status == Flight.Status.CANCELLED:
        return CheckIn("cancelled")
    if flight.status == Flight.Status.DEPARTED:
        return CheckIn("departed")
    opens = flight.scheduled_departure - dt.timedelta(hours=settings.CHECK_IN_OPENS_HOURS)
    closes = flight.scheduled_departure - SALES_CLOSE_BEFORE_DEPARTURE
    if now < opens:
        return CheckIn("not_open", opens)
    if now < closes:
        return CheckIn("open", closes)
    if now < flight.scheduled_departure:
        return CheckIn("closed")
    return CheckIn("departure_due")


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
    people = _clean_passengers(passengers)
    contact_name, contact_email, contact_phone = _clean_contact(contact_name, contact_email, contact_phone)
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


def _locked_booking(booking):
    return Booking.objects.select_for_update().get(pk=booking.pk if isinstance(booking, Booking) else booking)


def _save(instance, user, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance._history_user = user
    instance.save()
    return instance


@sales_operation
def take_payment(*, booking, amount, method, reference="", agent, now=None):
    now = now or timezone.now()
    booking = _locked_booking(booking)
    can_take_payment(booking, now=now).check()
    if method not in Payment.Method.values:
        raise PaymentRefused(f"Unknown payment method {method!r}.", field="method")
    try:
        amount = to_cents(amount)
    except (ArithmeticError, TypeError, ValueError) as error:
        raise PaymentRefused(f"{amount!r} is not an amount.") from error
    if amount <= 0:
        raise PaymentRefused("A payment must be more than zero.")
    if amount > booking.balance_due:
        raise PaymentRefused(
            f"{amount} {settings.CURRENCY} is above the balance due of {booking.balance_due} {settings.CURRENCY}."
        )
    if amount < booking.balance_due:
        # A part payment on a hold could only be kept or lost when the hold ends (docs/decisions.md).
        raise PaymentRefused(
            f"A booking is paid in one payment of its balance due, {booking.balance_due} {settings.CURRENCY}."
        )
    reference = (reference or "").strip()
    if method != Payment.Method.CASH and not reference:
        raise PaymentRefused("A card or bank transfer payment needs its reference.", field="reference")
    payment = Payment(
        booking=booking, amount=amount, method=method, reference=reference[:60], agent=agent, received_at=now
    )
    _save(payment, agent)
    summaries.record_payment(payment)
    _save(booking, agent, amount_paid=booking.amount_paid + amount)
    return payment


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


@sales_operation
def issue_tickets(*, booking, agent, now=None):
    now = now or timezone.now()
    booking = _locked_booking(booking)
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
    _save(booking, agent, status=Booking.Status.TICKETED)
    return tickets


def close_tickets(tickets, status, user):
    """Give back the seats of these tickets and set their status. Runs in the caller's transaction."""
    inventory.release_seats(tickets=tickets, user=user)
    for ticket in tickets:
        ticket.status = status
        ticket.holds_seat = False
    Ticket.objects.bulk_update(tickets, ["status", "holds_seat"])
    bulk_history_update(tickets, Ticket, user=user)
    listing.record_status(tickets)


@sales_operation
def cancel_booking(*, booking, agent, now=None):
    """Cancel a held booking: its seats are free at once."""
    booking = _locked_booking(booking)
    can_cancel_booking(booking).check()
    tickets = list(booking.tickets.filter(status=Ticket.Status.HELD))
    close_tickets(tickets, Ticket.Status.CANCELLED, agent)
    _save(booking, agent, status=Booking.Status.CANCELLED)
    return booking


@sales_operation
def cancel_ticket(*, ticket, agent, now=None):
    """Take one passenger off one flight of a held booking, releasing the seat."""
    booking = _locked_booking(ticket.booking_id)
    ticket = Ticket.objects.select_for_update().select_related("passenger").get(pk=ticket.pk)
    tickets = list(booking.tickets.select_related("passenger"))
    can_cancel_seat(ticket, booking=booking, tickets=tickets).check()
    closing = [ticket, *lap_infant_tickets(ticket, status=Ticket.Status.HELD)]
    remaining = _total_without(tickets, closing)
    close_tickets(closing, Ticket.Status.CANCELLED, agent)
    live = booking.tickets.exclude(status=Ticket.Status.CANCELLED).exists()
    _save(
        booking,
        agent,
        total_amount=remaining,
        status=booking.status if live else Booking.Status.CANCELLED,
    )
    return closing


def business_today(now=None):
    return timezone.localdate(now or timezone.now())


# --- What is allowed now --------------------------------------------------
#
# One `can_*` function per operation (backoffice/rules.py): the operation calls it under its
# locks and raises its refusal; the pages call it to offer the button.


def amount_due(booking):
    """What the booking still owes, or None when it owes nothing any more (cancelled or expired)."""
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.EXPIRED):
        return None
    return booking.balance_due


def current_hold_deadline(booking):
    """The time the seats are held until, for a booking on hold; None once it is ticketed, cancelled or expired."""
    return booking.hold_deadline if booking.status == Booking.Status.HELD else None


def _hold_lapsed(booking, now):
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


def can_take_payment(booking, *, now=None):
    now = now or timezone.now()
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.EXPIRED):
        return refuse(PaymentRefused(f"{booking} is {booking.get_status_display().lower()}: it takes no payment."))
    lapsed = _hold_lapsed(booking, now)
    if not lapsed:
        return lapsed
    if booking.balance_due <= 0:
        return refuse(PaymentRefused(f"{booking} owes nothing."))
    return ALLOWED


def can_issue(booking, *, tickets, now=None):
    """`tickets`: the booking's tickets, with their flights."""
    now = now or timezone.now()
    if booking.status == Booking.Status.TICKETED:
        return refuse(TicketNotChangeable(f"The tickets of {booking} are already issued."))
    lapsed = _hold_lapsed(booking, now)
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


# --- Holds ------------------------------------------------------------------


def expire_hold(*, booking_id, user, now=None):
    """Expire one booking if its hold has lapsed. Returns True if it did."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(skip_locked=True)
            .filter(pk=booking_id, status=Booking.Status.HELD, hold_deadline__lte=now, amount_paid=0)
            .first()
        )
        if booking is None:
            return False
        tickets = list(booking.tickets.filter(status=Ticket.Status.HELD))
        close_tickets(tickets, Ticket.Status.CANCELLED, user)
        _save(booking, user, status=Booking.Status.EXPIRED)
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


# --- Departure --------------------------------------------------------------


@sales_operation
def depart_flight(*, flight, agent, now=None):
    """The flight has left: its open tickets become flown."""
    now = now or timezone.now()
    # One flight, then its tickets (after it, as backoffice/locks.py has it).
    flight = locks.lock_in_order(flights=[flight.pk], select_related={"flights": ["origin"]}).flights.get(flight.pk)
    if flight is None:
        raise Flight.DoesNotExist
    can_depart(flight, now=now).check()
    _save(flight, agent, status=Flight.Status.DEPARTED)
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


# --- Inventory set-up -------------------------------------------------------


@sales_operation
def save_fare_buckets(*, buckets, user, flight_is_new=False):
    """Create or change fare buckets, as an Admin edits them on the flight's page.

    A bucket keeps its booking class; its allocation may not go below the seats it has sold,
    read under the row lock (they move only with bookings, and are kept as they are). A flight has
    one bucket per class: a new bucket in a class it already has is refused on its class, except
    with `flight_is_new` (the flight was added with these rows, and its route's fares have just
    opened their classes): there the bucket typed takes the place of the route fare's
    (docs/decisions.md).
    """
    buckets = sorted(buckets, key=lambda b: (b.pk is None, b.pk or 0))
    added = [b for b in buckets if not b.pk]
    # The flights first (the fixed order): nobody adds a class to them meanwhile.
    inventory.locked_rows_in_order(Flight.objects.filter(pk__in={b.flight_id for b in added}))
    same_class = Q(pk__in=[b.pk for b in buckets if b.pk])
    for bucket in added:
        same_class |= Q(flight_id=bucket.flight_id, fare_class_id=bucket.fare_class_id)
    current = inventory.locked_rows_in_order(FareBucket.objects.filter(same_class).select_related("fare_class"))
    by_id = {b.pk: b for b in current}
    by_class = {(b.flight_id, b.fare_class_id): b for b in current}
    for bucket in added:
        opened = by_class.get((bucket.flight_id, bucket.fare_class_id))
        if opened is None:
            continue
        if not flight_is_new:
            raise BucketNotChangeable(
                f"This flight already has a bucket in class {opened.fare_class.code}: change that row.",
                field="fare_class",
                record=bucket,
            )
        bucket.pk = opened.pk
        by_id[opened.pk] = opened
    for bucket in buckets:
        if bucket.pk:
            was = by_id[bucket.pk]
            if bucket.fare_class_id != was.fare_class_id:
                raise BucketNotChangeable(
                    "A bucket keeps its booking class: add a bucket for another class.",
                    field="fare_class",
                    record=bucket,
                )
            if bucket.seats_allocated < was.seats_sold:
                raise BucketNotChangeable(
                    f"Cannot go below the {was.seats_sold} seats already sold.", field="seats_allocated", record=bucket
                )
            bucket.seats_sold = was.seats_sold
        _save(bucket, user)
    return buckets


def route_fare_table(routes=None):
    """The route fare table as {(origin id, destination id): [RouteFare, ...]}, for some routes or all."""
    fares = RouteFare.objects.all()
    if routes is not None:
        route_filter = Q()
        for origin_id, destination_id in routes:
            route_filter |= Q(origin_id=origin_id, destination_id=destination_id)
        fares = fares.filter(route_filter) if routes else fares.none()
    table = {}
    for fare in fares:
        table.setdefault((fare.origin_id, fare.destination_id), []).append(fare)
    return table


def open_sales_of_new_flights(sender, *, flights, user, **kwargs):
    """Receiver of fleet's `flights_created` (connected in `SalesConfig.ready`): new flights go on sale."""
    open_sales(flights=flights, user=user, new=True)


def open_sales(*, flights, user, table=None, new=False):
    """Give flights their fare buckets from the route fare table; flights that have buckets keep them.

    `flights` need `pk`, `origin_id`, `destination_id` and `capacity`; with `new=True` they are
    known to have none yet. Allocations are capped at the flight's capacity.
    """
    flights = list(flights)
    if not flights:
        return 0
    has_buckets = (
        set()
        if new
        else set(FareBucket.objects.filter(flight__in=flights).values_list("flight_id", flat=True).distinct())
    )
    if table is None:
        table = route_fare_table({(f.origin_id, f.destination_id) for f in flights})
    buckets = [
        {
            "flight_id": flight.pk,
            "fare_class_id": fare.fare_class_id,
            "price": fare.price,
            "seats_allocated": min(fare.seats_allocated, flight.capacity),
            "seats_sold": 0,
        }
        for flight in flights
        if flight.pk not in has_buckets
        for fare in table.get((flight.origin_id, flight.destination_id), [])
    ]
    copy_create_with_history(FareBucket, buckets, user=user)
    return len(buckets)
