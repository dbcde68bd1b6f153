import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.csv_safety import FORMULA_TRIGGERS
from backoffice.money import HALF_CENT, ZERO
from fleet.models import MAX_SEATS, Airport, Flight, country_code, seats_within_any_aircraft

money_field_options = {"max_digits": 12, "decimal_places": 2}
# The most an Admin may set as one fare, one tax or one fixed fee: far above any real one, and low enough
# that nine passengers on a long trip stay well inside the money columns.
MAX_FARE = Decimal("99999.99")
amount_in_range = [
    MinValueValidator(ZERO, _("Enter an amount of 0.00 or more.")),
    MaxValueValidator(MAX_FARE, _("Enter an amount of at most %(limit_value)s.")),
]


def validate_phone_number(value):
    """A phone number as people write it: digits with spaces, dots, dashes or brackets, and an optional
    leading +; 6 to 15 digits (E.164 allows 15)."""
    digits = sum(ch.isdigit() for ch in value)
    if not re.fullmatch(r"\+?[0-9(][0-9 ()./-]{0,28}", value) or not 6 <= digits <= 15:
        raise ValidationError(
            _("%(value)s is not a phone number: digits, with an optional + first, e.g. +33 1 23 45 67 89."),
            params={"value": value[:40]},
            code="invalid_phone",
        )


fare_class_code = RegexValidator(r"^[A-Z]$", _("Enter one capital letter, e.g. Y."))
record_locator_validator = RegexValidator(r"^[A-HJ-NP-Z2-9]{6}$", _("Six letters and digits, without 0, O, 1 or I."))


class Cabin(models.TextChoices):
    FIRST = "F", _("First")
    BUSINESS = "J", _("Business")
    PREMIUM_ECONOMY = "W", _("Premium economy")
    ECONOMY = "Y", _("Economy")


class FareClass(models.Model):
    """A booking class: one letter, in one cabin."""

    code = models.CharField(_("booking class"), max_length=1, unique=True, validators=[fare_class_code])
    cabin = models.CharField(_("cabin"), max_length=1, choices=Cabin.choices)
    name = models.CharField(_("name"), max_length=60)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fare class")
        verbose_name_plural = _("fare classes")
        ordering = ["cabin", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class RouteFare(models.Model):
    """What a new flight's fare buckets start from, per route and booking class."""

    origin = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="+", verbose_name=_("origin"))
    destination = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="+", verbose_name=_("destination"))
    fare_class = models.ForeignKey(FareClass, on_delete=models.PROTECT, verbose_name=_("fare class"))
    price = models.DecimalField(_("adult fare"), **money_field_options, validators=amount_in_range)
    seats_allocated = models.PositiveSmallIntegerField(_("seats allocated"), validators=[seats_within_any_aircraft])

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("route fare")
        verbose_name_plural = _("route fare table")
        ordering = ["origin__code", "destination__code", "fare_class__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "destination", "fare_class"],
                name="routefare_unique_route_class",
                violation_error_message=_("This route already has a fare in that class."),
            ),
            models.CheckConstraint(condition=Q(price__gte=0) & Q(price__lte=MAX_FARE), name="routefare_price_in_range"),
            models.CheckConstraint(condition=Q(seats_allocated__lte=MAX_SEATS), name="routefare_allocation_in_range"),
            models.CheckConstraint(
                condition=~Q(origin=F("destination")), name="routefare_origin_differs_from_destination"
            ),
        ]

    def __str__(self):
        return f"{self.origin.code}-{self.destination.code} {self.fare_class.code}"


class FareBucket(models.Model):
    """Seats and price of one booking class on one flight."""

    flight = models.ForeignKey(Flight, on_delete=models.PROTECT, related_name="fare_buckets", verbose_name=_("flight"))
    fare_class = models.ForeignKey(FareClass, on_delete=models.PROTECT, verbose_name=_("fare class"))
    price = models.DecimalField(_("adult fare"), **money_field_options, validators=amount_in_range)
    seats_allocated = models.PositiveSmallIntegerField(_("seats allocated"), validators=[seats_within_any_aircraft])
    seats_sold = models.PositiveSmallIntegerField(_("seats sold"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fare bucket")
        verbose_name_plural = _("fare buckets")
        ordering = ["flight", "fare_class__cabin", "-price"]
        constraints = [
            models.UniqueConstraint(
                fields=["flight", "fare_class"],
                name="farebucket_unique_flight_class",
                violation_error_message=_("This flight already has a bucket in that class."),
            ),
            models.CheckConstraint(
                condition=Q(seats_sold__gte=0) & Q(seats_sold__lte=F("seats_allocated")),
                name="farebucket_sold_within_allocation",
                violation_error_message=_("Seats sold must stay between 0 and the seats allocated."),
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0) & Q(price__lte=MAX_FARE), name="farebucket_price_in_range"
            ),
            models.CheckConstraint(condition=Q(seats_allocated__lte=MAX_SEATS), name="farebucket_allocation_in_range"),
        ]

    def __str__(self):
        return f"{self.flight} {self.fare_class.code}"

    @property
    def seats_left(self):
        return self.seats_allocated - self.seats_sold


class Tax(models.Model):
    """A fixed amount per passenger and departure, from a country or one airport."""

    code = models.CharField(_("code"), max_length=3, validators=[RegexValidator(r"^[A-Z0-9]{2,3}$")])
    name = models.CharField(_("name"), max_length=80)
    amount = models.DecimalField(_("amount"), **money_field_options, validators=amount_in_range)
    departure_country = models.CharField(
        _("departure country"), max_length=2, blank=True, default="", validators=[country_code]
    )
    departure_airport = models.ForeignKey(
        Airport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("departure airport"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tax")
        verbose_name_plural = _("taxes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(amount__lte=MAX_FARE), name="tax_amount_in_range"),
            models.CheckConstraint(
                condition=(Q(departure_country="") & Q(departure_airport__isnull=False))
                | (~Q(departure_country="") & Q(departure_airport__isnull=True)),
                name="tax_country_or_airport",
                violation_error_message=_("A tax applies to a departure country or to one airport, not both."),
            ),
        ]

    def __str__(self):
        where = self.departure_airport.code if self.departure_airport_id else self.departure_country
        return f"{self.code} {self.name} ({where})"


class Booking(models.Model):
    """A PNR."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        TICKETED = "ticketed", _("Ticketed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    record_locator = models.CharField(
        _("record locator"), max_length=6, unique=True, validators=[record_locator_validator]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.HELD)
    contact_name = models.CharField(_("contact name"), max_length=100)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=30, validators=[validate_phone_number])
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("agent")
    )
    created_at = models.DateTimeField(_("booked at"))
    hold_deadline = models.DateTimeField(_("hold deadline"))
    total_amount = models.DecimalField(_("total"), **money_field_options, default=ZERO)
    amount_paid = models.DecimalField(_("paid"), **money_field_options, default=ZERO)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["held", "ticketed", "cancelled", "expired"]), name="booking_status_known"
            ),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="booking_total_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("total_amount")),
                name="booking_paid_within_total",
                violation_error_message=_("Payments cannot exceed the booking's total."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "hold_deadline"], name="booking_hold_idx"),
            # The admin list: newest first, whole or by status or agent (tests/sales/test_list_queries.py).
            models.Index(fields=["created_at"], name="booking_created_idx"),
            models.Index(fields=["status", "created_at"], name="booking_status_created_idx"),
            models.Index(fields=["agent", "created_at"], name="booking_agent_created_idx"),
            # (PostgreSQL: trigram indexes on the contact's name and e-mail, sales/migrations/0008.)
        ]

    def __str__(self):
        return self.record_locator

    @property
    def balance_due(self):
        return self.total_amount - self.amount_paid


class Passenger(models.Model):
    class Type(models.TextChoices):
        ADULT = "ADT", _("Adult (12+)")
        CHILD = "CHD", _("Child (2-11)")
        INFANT = "INF", _("Infant (under 2, on lap)")

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="passengers", verbose_name=_("booking"))
    position = models.PositiveSmallIntegerField(_("passenger number"))
    surname = models.CharField(_("surname"), max_length=40)
    given_names = models.CharField(_("given names"), max_length=40)
    title = models.CharField(_("title"), max_length=4, blank=True, default="")
    passenger_type = models.CharField(_("type"), max_length=3, choices=Type.choices, default=Type.ADULT)
    infant_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="infant",
        verbose_name=_("travelling on the lap of"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("passenger")
        verbose_name_plural = _("passengers")
        ordering = ["booking", "position"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "position"], name="passenger_unique_position"),
            models.CheckConstraint(condition=Q(position__gte=1) & Q(position__lte=9), name="passenger_at_most_nine"),
            models.CheckConstraint(
                condition=(Q(passenger_type="INF") & Q(infant_of__isnull=False))
                | (~Q(passenger_type="INF") & Q(infant_of__isnull=True)),
                name="passenger_infant_on_an_adult_lap",
            ),
        ]

    def __str__(self):
        return self.iata_name

    @property
    def iata_name(self):
        """`SURNAME/GIVEN NAMES TITLE`, as IATA writes it."""
        name = f"{self.surname}/{self.given_names}"
        return f"{name} {self.title}" if self.title else name

    @property
    def takes_seat(self):
        return self.passenger_type != self.Type.INFANT


class TicketStatus(models.TextChoices):
    HELD = "held", _("Held (not issued)")
    OPEN = "open", _("Open")
    FLOWN = "flown", _("Flown")
    NO_SHOW = "no_show", _("No-show")
    VOID = "void", _("Void")
    # A refund was requested: the seat is free and the ticket unusable, whatever Finance decides.
    SURRENDERED = "surrendered", _("Surrendered")
    # Its refund was paid.
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled before issue")


# A ticket in one of these states stands for a passenger holding a seat (or a lap) or who travelled: it may
# hold a seat, it is printed on the manifest, and it is the one a refund or a void acts on. The others
# (void, surrendered, refunded, cancelled) are history.
LIVE_TICKET_STATUSES = [TicketStatus.HELD, TicketStatus.OPEN, TicketStatus.FLOWN, TicketStatus.NO_SHOW]


class Ticket(models.Model):
    """One passenger on one flight, with the price frozen when it was sold.

    A ticket exists from the moment its seat is taken; its number is given
    when it is issued (paid in full).
    """

    Status = TicketStatus
    LIVE_STATUSES = LIVE_TICKET_STATUSES

    number = models.CharField(_("ticket number"), max_length=13, unique=True, null=True, blank=True)
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="tickets")
    passenger = models.ForeignKey(Passenger, on_delete=models.PROTECT, related_name="tickets")
    flight = models.ForeignKey(Flight, on_delete=models.PROTECT, related_name="tickets")
    fare_bucket = models.ForeignKey(FareBucket, on_delete=models.PROTECT, related_name="tickets")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.HELD)
    # True while this ticket counts in the flight's and the bucket's seats sold.
    holds_seat = models.BooleanField(_("holds a seat"))
    fare_amount = models.DecimalField(_("fare"), **money_field_options)
    tax_amount = models.DecimalField(_("taxes"), **money_field_options)
    total_amount = models.DecimalField(_("total"), **money_field_options)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        # Indexed with issued_at below (ticket_agent_issued_idx), which serves the foreign key too.
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["booking", "passenger__position", "flight__scheduled_departure"]
        constraints = [
            models.UniqueConstraint(fields=["passenger", "flight"], name="ticket_one_per_passenger_flight"),
            models.CheckConstraint(
                condition=Q(fare_amount__gte=0) & Q(tax_amount__gte=0),
                name="ticket_amounts_not_negative",
            ),
            models.CheckConstraint(
                # Within half a cent, not equal: SQLite keeps decimals as binary floats.
                condition=LessThan(Abs(F("total_amount") - F("fare_amount") - F("tax_amount")), HALF_CENT),
                name="ticket_total_is_fare_plus_taxes",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__regex=r"^[0-9]{13}$"),
                name="ticket_number_13_digits",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["held", "cancelled"]) | Q(number__isnull=False),
                name="ticket_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(holds_seat=False) | Q(status__in=LIVE_TICKET_STATUSES),
                name="ticket_seat_only_while_live",
            ),
        ]
        indexes = [
            models.Index(fields=["flight", "holds_seat"], name="ticket_flight_seat_idx"),
            # The sales listing and its CSV: a range of issue times, in listing order (pages by keys, COUNT).
            # (PostgreSQL: with the id, so that a deep page's keys are read from the index alone.)
            models.Index(fields=["issued_at", "number"], include=["id"], name="ticket_issued_number_idx"),
            # Sales by one agent (the sales report's agent filter, the counter's home page).
            models.Index(fields=["issued_by", "issued_at"], name="ticket_agent_issued_idx"),
            # The admin list by status, newest first.
            models.Index(fields=["status", "id"], name="ticket_status_idx"),
        ]

    def __str__(self):
        return self.number or f"{self.booking.record_locator} {self.flight}"


class TicketTax(models.Model):
    """One tax line of a ticket, frozen at sale."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="tax_lines")
    code = models.CharField(_("code"), max_length=3)
    name = models.CharField(_("name"), max_length=80)
    amount = models.DecimalField(_("amount"), **money_field_options)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket tax")
        verbose_name_plural = _("ticket taxes")
        ordering = ["ticket", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="tickettax_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.code} {self.amount}"


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    # Indexed with received_at below (payment_booking_first_idx), which serves the foreign key too.
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments", db_index=False)
    amount = models.DecimalField(_("amount"), **money_field_options)
    method = models.CharField(_("method"), max_length=13, choices=Method.choices)
    reference = models.CharField(_("reference"), max_length=60, blank=True, default="")
    # Indexed with received_at below (payment_agent_received_idx), which serves the foreign key too.
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    received_at = models.DateTimeField(_("received at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["booking", "received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(method__in=["cash", "card", "bank_transfer"]), name="payment_method_known"
            ),
        ]
        indexes = [
            # The cash-up listing and its CSV: a range of times.
            models.Index(fields=["received_at"], name="payment_received_idx"),
            # The admin list: by method, newest first; a payment found by its reference.
            models.Index(fields=["method", "received_at"], name="payment_method_received_idx"),
            models.Index(fields=["reference"], name="payment_reference_idx"),
            # One agent's drawer (the cash-up's agent filter, the counter's home page).
            models.Index(fields=["agent", "received_at"], name="payment_agent_received_idx"),
            # A booking's first payment, its form of payment in the sales listing (PostgreSQL: read from the
            # index alone, a million times for a million-row CSV).
            models.Index(fields=["booking", "received_at", "id"], include=["method"], name="payment_booking_first_idx"),
        ]

    def __str__(self):
        return f"{self.booking.record_locator} {self.amount} {self.get_method_display()}"


# --- Daily summaries --------------------------------------------------------------------
# Sums of tickets issued and payments taken per business day, kept by sales/summaries.py in the
# sale's own transaction, read by the sales report and the cash-up (reporting/selectors.py), which
# cannot sum a month of tickets row by row within a second. Derived data, no history of their own
# (docs/decisions.md): `manage.py rebuild_sales_summaries` remakes them from the tickets and payments.

summary_key = {"on_delete": models.PROTECT, "related_name": "+", "db_index": False}


class _DailySales(models.Model):
    day = models.DateField(_("business day"))
    tickets = models.PositiveIntegerField(_("tickets"), default=0)
    fare = models.DecimalField(_("fare"), **money_field_options, default=ZERO)
    taxes = models.DecimalField(_("taxes"), **money_field_options, default=ZERO)
    total = models.DecimalField(_("total"), **money_field_options, default=ZERO)

    class Meta:
        abstract = True


class DailyRouteSales(_DailySales):
    """Tickets issued per business day, route (the flight's origin and destination) and fare class."""

    origin = models.ForeignKey(Airport, **summary_key)
    destination = models.ForeignKey(Airport, **summary_key)
    fare_class = models.ForeignKey(FareClass, **summary_key)

    class Meta:
        verbose_name = _("daily sales by route")
        verbose_name_plural = _("daily sales by route")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "origin", "destination", "fare_class"], name="dailyroutesales_one_per_key"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.origin_id}-{self.destination_id} {self.fare_class_id}: {self.tickets}"


class DailyAgentSales(_DailySales):
    """Tickets issued per business day, issuing agent and fare class."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, **summary_key)
    fare_class = models.ForeignKey(FareClass, **summary_key)

    class Meta:
        verbose_name = _("daily sales by agent")
        verbose_name_plural = _("daily sales by agent")
        constraints = [
            models.UniqueConstraint(fields=["day", "agent", "fare_class"], name="dailyagentsales_one_per_key")
        ]

    def __str__(self):
        return f"{self.day} agent {self.agent_id} {self.fare_class_id}: {self.tickets}"


class DailyPayments(models.Model):
    """Payments taken per business day, agent and method."""

    day = models.DateField(_("business day"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, **summary_key)
    method = models.CharField(_("method"), max_length=13, choices=Payment.Method.choices)
    payments = models.PositiveIntegerField(_("payments"), default=0)
    amount = models.DecimalField(_("amount"), **money_field_options, default=ZERO)

    class Meta:
        verbose_name = _("daily payments")
        verbose_name_plural = _("daily payments")
        constraints = [models.UniqueConstraint(fields=["day", "agent", "method"], name="dailypayments_one_per_key")]

    def __str__(self):
        return f"{self.day} agent {self.agent_id} {self.method}: {self.payments}"


# --- The sales listing ------------------------------------------------------------------------
# One row per issued ticket with the sales listing's columns (reporting: "Each document" and its CSV),
# kept by sales/listing.py in the transaction that issues the ticket and in each one that changes a
# column it shows afterwards. A month of the listing is read from this one table, in its index's
# order, instead of a join of nine tables and a sort (bench/reports.py). Derived data like the daily
# summaries: no history of its own, no foreign key constraints in the database (docs/decisions.md);
# `manage.py rebuild_sales_summaries` remakes it from the tickets.

listing_key = {"on_delete": models.DO_NOTHING, "related_name": "+", "db_constraint": False}
# Codes and names that the listing's CSV writes as they are (reporting/pg_csv.py, plain_text): never empty, never
# starting with what a spreadsheet runs as a formula. True of every value the services write; enforced here.
PLAIN_TEXT_COLUMNS = ("number", "record_locator", "passenger", "passenger_type", "flight", "route", "fare_class_code")


def plain_text(name):
    condition = ~Q(**{name: ""})
    for trigger in FORMULA_TRIGGERS:
        condition &= ~Q(**{f"{name}__startswith": trigger})
    return models.CheckConstraint(condition=condition, name=f"issuedticket_{name}_plain")


class IssuedTicket(models.Model):
    """An issued ticket as the sales listing shows it: texts already composed, status and form of payment now."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="listing_row", db_constraint=False
    )
    number = models.CharField(_("ticket number"), max_length=13)
    issued_at = models.DateTimeField(_("issued at"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, **listing_key)
    agent_username = models.CharField(_("agent"), max_length=150)
    record_locator = models.CharField(_("record locator"), max_length=6)
    passenger = models.CharField(_("passenger"), max_length=90)
    passenger_type = models.CharField(_("type"), max_length=3)
    flight = models.CharField(_("flight"), max_length=20)
    route = models.CharField(_("route"), max_length=7)
    fare_class = models.ForeignKey(FareClass, db_index=False, **listing_key)
    fare_class_code = models.CharField(_("class"), max_length=1)
    fare = models.DecimalField(_("fare"), **money_field_options)
    taxes = models.DecimalField(_("taxes"), **money_field_options)
    total = models.DecimalField(_("total"), **money_field_options)
    form_of_payment = models.CharField(_("form of payment"), max_length=13, blank=True, default="")
    status = models.CharField(_("status"), max_length=12)

    class Meta:
        verbose_name = _("issued ticket (sales listing)")
        verbose_name_plural = _("issued tickets (sales listing)")
        indexes = [
            # The listing: a range of issue times in (issued_at, number) order; its keys from the index alone.
            models.Index(fields=["issued_at", "number"], include=["ticket"], name="issuedticket_listing_idx"),
            # The same for one agent.
            models.Index(fields=["agent", "issued_at", "number"], name="issuedticket_agent_idx"),
        ]
        constraints = [plain_text(name) for name in PLAIN_TEXT_COLUMNS]

    def __str__(self):
        return f"{self.number} {self.passenger} {self.flight}"
