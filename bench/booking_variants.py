"""Three ways to sell one seat, compared by bench/booking_throughput.py.

- `ServiceBooking`: the real thing, `sales.services.book(...)`.
- `NaiveBooking`: what the ORM makes easy: lock the flight first, then save every
  row one by one (history written by simple-history's post_save signals).
- `CeilingBooking`: a hand-written psycopg transaction: one read, one statement
  inserting the booking, passenger, ticket, tax lines and their history rows, and
  the conditional seat updates (with their history) last, so the flight's row lock
  is held for the shortest time possible.

Each writes the same rows: 1 booking, 1 passenger, 1 ticket, the tax lines, +1 seat
sold on the flight and on the bucket, and one history row for each of those.

Import this module only after django.setup().
"""

import secrets
import time

import psycopg
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg import errors

from backoffice.money import to_cents
from fleet.models import Flight
from sales import inventory
from sales.exceptions import BucketClosed, SoldOut, TryAgain
from sales.models import Booking, FareBucket, Passenger, Tax, Ticket, TicketTax
from sales.pricing import fare_for, taxes_for
from sales.services import (
    LOCATOR_ALPHABET,
    SALES_CLOSE_BEFORE_DEPARTURE,
    PassengerRequest,
    SegmentRequest,
    book,
    hold_deadline,
)

BOOKED, FULL, RETRY = "booked", "full", "retry"

SURNAME, GIVEN_NAMES, TITLE = "MARTIN", "ANNE", "MS"
CONTACT = {"contact_name": "Anne Martin", "contact_email": "anne@example.com", "contact_phone": "+33 1 23 45 67 89"}
ADULT = Passenger.Type.ADULT


def new_locator():
    return "".join(secrets.choice(LOCATOR_ALPHABET) for _ in range(6))


class ServiceBooking:
    name = "service"

    def __init__(self, *, flight_id, fare_class, agent_id, database_url):
        self.segments = [SegmentRequest(flight_id=flight_id, fare_class=fare_class)]
        self.passengers = [PassengerRequest(surname=SURNAME, given_names=GIVEN_NAMES, title=TITLE)]
        self.agent = User.objects.get(pk=agent_id)

    def book(self):
        try:
            book(segments=self.segments, passengers=self.passengers, agent=self.agent, **CONTACT)
        except (SoldOut, BucketClosed):
            return FULL
        except TryAgain:
            return RETRY
        return BOOKED

    def backend_pid(self):
        connection.ensure_connection()
        return connection.connection.info.backend_pid

    def close(self):
        pass


class NaiveBooking:
    name = "naive"

    def __init__(self, *, flight_id, fare_class, agent_id, database_url):
        self.flight_id = flight_id
        self.fare_class = fare_class
        self.agent = User.objects.get(pk=agent_id)

    def _save(self, instance):
        instance._history_user = self.agent
        instance.save()
        return instance

    def book(self):
        now = timezone.now()
        try:
            with transaction.atomic():
                flight = Flight.objects.select_for_update().get(pk=self.flight_id)
                if flight.seats_sold + 1 > flight.capacity:
                    return FULL
                bucket = FareBucket.objects.select_related("fare_class", "flight__origin__city").get(
                    flight_id=self.flight_id, fare_class__code=self.fare_class
                )
                if bucket.seats_sold + 1 > bucket.seats_allocated:
                    return FULL
                taxes = taxes_for(bucket.flight, ADULT, list(Tax.objects.all()))
                fare = fare_for(bucket.price, ADULT)
                tax_total = to_cents(sum((tax.amount for tax in taxes), start=to_cents(0)))
                booking = self._save(
                    Booking(
                        record_locator=new_locator(),
                        agent=self.agent,
                        created_at=now,
                        hold_deadline=hold_deadline(now=now, first_departure=flight.scheduled_departure),
                        total_amount=fare + tax_total,
                        **CONTACT,
                    )
                )
                passenger = self._save(
                    Passenger(booking=booking, position=1, surname=SURNAME, given_names=GIVEN_NAMES, title=TITLE)
                )
                ticket = self._save(
                    Ticket(
                        booking=booking,
                        passenger=passenger,
                        flight=flight,
                        fare_bucket=bucket,
                        holds_seat=True,
                        fare_amount=fare,
                        tax_amount=tax_total,
                        total_amount=fare + tax_total,
                    )
                )
                for tax in taxes:
                    self._save(TicketTax(ticket=ticket, code=tax.code, name=tax.name, amount=to_cents(tax.amount)))
                flight.seats_sold += 1
                self._save(flight)
                bucket.seats_sold += 1
                self._save(bucket)
        except IntegrityError:
            # A record locator drawn twice (about one chance in a million per booking): draw again.
            return RETRY
        return BOOKED

    def backend_pid(self):
        connection.ensure_connection()
        return connection.connection.info.backend_pid

    def close(self):
        pass


def _history_insert(model, source, history_type):
    """INSERT ... SELECT of the history rows simple-history writes for the rows in CTE `source`."""
    historical = model.history.model
    tracked = [field.column for field in historical.tracked_fields]
    bookkeeping = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    every_column = {field.column for field in historical._meta.concrete_fields} - {"history_id"}
    if every_column != set(tracked + bookkeeping):
        raise RuntimeError(f"{historical._meta.db_table} has columns this benchmark does not know about.")
    columns = ", ".join(f'"{column}"' for column in tracked)
    return (
        f"INSERT INTO {historical._meta.db_table} ({columns}, {', '.join(bookkeeping)}) "
        f"SELECT {columns}, %(now)s, '', '{history_type}', %(agent)s FROM {source}"
    )


# Bucket, price and the taxes that apply to the flight's origin (airport or country), in one read.
_READ = """
    SELECT bucket.id, bucket.price, flight.scheduled_departure, tax.code, tax.name, tax.amount
    FROM sales_farebucket bucket
    JOIN sales_fareclass fare_class ON fare_class.id = bucket.fare_class_id
    JOIN fleet_flight flight ON flight.id = bucket.flight_id
    JOIN fleet_airport origin ON origin.id = flight.origin_id
    JOIN fleet_city city ON city.id = origin.city_id
    LEFT JOIN sales_tax tax ON tax.departure_airport_id = flight.origin_id
        OR (tax.departure_airport_id IS NULL AND tax.departure_country = city.country)
    WHERE bucket.flight_id = %(flight)s AND fare_class.code = %(fare_class)s
    ORDER BY tax.code
"""


def _insert_sale():
    return f"""
    WITH booking AS (
        INSERT INTO sales_booking (record_locator, status, contact_name, contact_email, contact_phone, agent_id,
                                   created_at, hold_deadline, total_amount, amount_paid)
        VALUES (%(locator)s, 'held', %(contact_name)s, %(contact_email)s, %(contact_phone)s, %(agent)s,
                %(now)s, %(hold_deadline)s, %(total)s, 0)
        RETURNING *
    ), booking_history AS (
        {_history_insert(Booking, "booking", "+")}
    ), passenger AS (
        INSERT INTO sales_passenger (booking_id, position, surname, given_names, title, passenger_type, infant_of_id)
        SELECT id, 1, %(surname)s, %(given_names)s, %(title)s, 'ADT', NULL FROM booking
        RETURNING *
    ), passenger_history AS (
        {_history_insert(Passenger, "passenger", "+")}
    ), ticket AS (
        INSERT INTO sales_ticket (number, booking_id, passenger_id, flight_id, fare_bucket_id, status, holds_seat,
                                  fare_amount, tax_amount, total_amount, issued_at, issued_by_id)
        SELECT NULL, booking_id, id, %(flight)s, %(bucket)s, 'held', true, %(fare)s, %(tax)s, %(total)s, NULL, NULL
        FROM passenger
        RETURNING *
    ), ticket_history AS (
        {_history_insert(Ticket, "ticket", "+")}
    ), tax_line AS (
        INSERT INTO sales_tickettax (ticket_id, code, name, amount)
        SELECT ticket.id, line.code, line.name, line.amount
        FROM ticket, unnest(%(tax_codes)s::text[], %(tax_names)s::text[], %(tax_amounts)s::numeric[])
            AS line(code, name, amount)
        RETURNING *
    ), tax_line_history AS (
        {_history_insert(TicketTax, "tax_line", "+")}
    )
    SELECT id FROM booking
    """


def _take_seat():
    flight = f"""
    WITH taken AS (
        UPDATE fleet_flight SET seats_sold = seats_sold + %(seats)s
        WHERE id = %(flight)s AND seats_sold + %(seats)s <= capacity
          AND status = 'scheduled' AND scheduled_departure > %(latest_sale)s
        RETURNING *
    )
    {_history_insert(Flight, "taken", "~")} RETURNING history_id
    """
    bucket = f"""
    WITH taken AS (
        UPDATE sales_farebucket SET seats_sold = seats_sold + %(seats)s
        WHERE id = %(bucket)s AND seats_sold + %(seats)s <= seats_allocated
        RETURNING *
    )
    {_history_insert(FareBucket, "taken", "~")} RETURNING history_id
    """
    return flight, bucket


class _Full(Exception):
    pass


class CeilingBooking:
    name = "ceiling"

    def __init__(self, *, flight_id, fare_class, agent_id, database_url):
        self.flight_id = flight_id
        self.fare_class = fare_class
        self.agent_id = agent_id
        self.connection = psycopg.connect(database_url, options="-c lock_timeout=5000")
        self.insert_sale = _insert_sale()
        self.take_flight_seat, self.take_bucket_seat = _take_seat()
        # Set to a list to record (start time, statement) of every statement sent.
        self.trace = None

    def _execute(self, cursor, statement, params):
        if self.trace is not None:
            self.trace.append((time.perf_counter(), statement))
        cursor.execute(statement, params)

    def book(self):
        now = timezone.now()
        try:
            with self.connection.transaction(), self.connection.cursor() as cursor:
                self._execute(cursor, _READ, {"flight": self.flight_id, "fare_class": self.fare_class})
                rows = cursor.fetchall()
                if not rows:
                    raise _Full
                bucket_id, price, departure = rows[0][:3]
                taxes = [(code, name, to_cents(amount)) for _, _, _, code, name, amount in rows if code is not None]
                fare = fare_for(price, ADULT)
                tax_total = to_cents(sum((amount for _, _, amount in taxes), start=to_cents(0)))
                params = {
                    "flight": self.flight_id,
                    "bucket": bucket_id,
                    "agent": self.agent_id,
                    "now": now,
                    "latest_sale": now + SALES_CLOSE_BEFORE_DEPARTURE,
                    "seats": 1,
                    "locator": new_locator(),
                    "hold_deadline": hold_deadline(now=now, first_departure=departure),
                    "fare": fare,
                    "tax": tax_total,
                    "total": fare + tax_total,
                    "surname": SURNAME,
                    "given_names": GIVEN_NAMES,
                    "title": TITLE,
                    "tax_codes": [code for code, _, _ in taxes],
                    "tax_names": [name for _, name, _ in taxes],
                    "tax_amounts": [amount for _, _, amount in taxes],
                    **CONTACT,
                }
                self._execute(cursor, self.insert_sale, params)
                self._execute(cursor, self.take_flight_seat, params)
                if cursor.fetchone() is None:
                    raise _Full
                self._execute(cursor, self.take_bucket_seat, params)
                if cursor.fetchone() is None:
                    raise _Full
        except _Full:
            return FULL
        except (errors.LockNotAvailable, errors.DeadlockDetected, errors.UniqueViolation):
            return RETRY
        return BOOKED

    def backend_pid(self):
        return self.connection.info.backend_pid

    def close(self):
        self.connection.close()


def take_seats_in_one_statement_per_counter(*, seats_by_bucket, sales_close_before, now, user):
    """What-if for `sales.inventory.take_seats`: each conditional UPDATE writes its own history row in the
    same statement, so the flight's row lock is held for two round trips and no Python before COMMIT."""
    take_flight, take_bucket = _take_seat()
    params = {"now": now, "agent": user.pk, "latest_sale": now + sales_close_before}
    flights = {bucket.flight_id: bucket.flight for bucket in seats_by_bucket}
    with connection.cursor() as cursor:
        for flight_id in sorted(flights):
            seats = sum(count for bucket, count in seats_by_bucket.items() if bucket.flight_id == flight_id)
            cursor.execute(take_flight, {**params, "flight": flight_id, "seats": seats})
            if cursor.fetchone() is None:
                raise inventory._why_flight_refused(flights[flight_id], seats, params["latest_sale"])
        for bucket in sorted(seats_by_bucket, key=lambda b: (b.flight_id, b.pk)):
            seats = seats_by_bucket[bucket]
            cursor.execute(take_bucket, {**params, "bucket": bucket.pk, "seats": seats})
            if cursor.fetchone() is None:
                raise inventory._why_bucket_refused(bucket, seats)


class ServiceWhatIfBooking(ServiceBooking):
    """The service with `take_seats_in_one_statement_per_counter` patched in (this process only)."""

    name = "what-if"

    def __init__(self, **job):
        super().__init__(**job)
        self.original = inventory.take_seats
        inventory.take_seats = take_seats_in_one_statement_per_counter

    def close(self):
        inventory.take_seats = self.original


VARIANTS = {variant.name: variant for variant in (ServiceBooking, NaiveBooking, CeilingBooking, ServiceWhatIfBooking)}
