import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fleet.timezones import validate_time_zone

iata_location_code = RegexValidator(r"^[A-Z]{3}$", _("Enter three capital letters, e.g. CDG."))
iata_carrier_code = RegexValidator(r"^(?=.*[A-Z])[A-Z0-9]{2}$", _("Enter a two-character airline code, e.g. XB."))
iata_aircraft_code = RegexValidator(r"^[A-Z0-9]{3}$", _("Enter a three-character IATA type code, e.g. 320."))
country_code = RegexValidator(r"^[A-Z]{2}$", _("Enter a two-letter ISO country code, e.g. FR."))
operational_suffix = RegexValidator(r"^[A-Z]?$", _("Enter one capital letter or leave it empty."))

# The most seats an aircraft has (the A380 is certified for 853): a cabin, a flight's capacity and a fare
# bucket's allocation stay within it, as the schedule import's capacity column does.
MAX_SEATS = 999
seats_within_any_aircraft = MaxValueValidator(MAX_SEATS, _("No aircraft has more than %(limit_value)s seats."))
at_least_one_seat = MinValueValidator(1, _("Give at least %(limit_value)s seat."))
# Flights are planned, sold and reported from 2000 to 2099: the flight form and the schedule import say
# the same, and a year 1 or 9999 would break the date arithmetic of every page that shows it.
FIRST_FLIGHT_DATE = dt.date(2000, 1, 1)
LAST_FLIGHT_DATE = dt.date(2099, 12, 31)
flight_date_range = [
    MinValueValidator(FIRST_FLIGHT_DATE, _("Enter a date between 2000 and 2099.")),
    MaxValueValidator(LAST_FLIGHT_DATE, _("Enter a date between 2000 and 2099.")),
]


class City(models.Model):
    """An IATA city: one airport's own code, or a metropolitan code grouping several."""

    code = models.CharField(_("IATA city code"), max_length=3, unique=True, validators=[iata_location_code])
    name = models.CharField(_("name"), max_length=100)
    country = models.CharField(_("country"), max_length=2, validators=[country_code])

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Airport(models.Model):
    code = models.CharField(_("IATA code"), max_length=3, unique=True, validators=[iata_location_code])
    name = models.CharField(_("name"), max_length=120)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="airports", verbose_name=_("city"))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("airport")
        verbose_name_plural = _("airports")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def zone(self):
        return ZoneInfo(self.time_zone)


class AircraftType(models.Model):
    code = models.CharField(_("IATA type code"), max_length=3, unique=True, validators=[iata_aircraft_code])
    name = models.CharField(_("name"), max_length=100)
    seats_first = models.PositiveSmallIntegerField(
        _("first (F) seats"), default=0, validators=[seats_within_any_aircraft]
    )
    seats_business = models.PositiveSmallIntegerField(
        _("business (J) seats"), default=0, validators=[seats_within_any_aircraft]
    )
    seats_premium_economy = models.PositiveSmallIntegerField(
        _("premium economy (W) seats"), default=0, validators=[seats_within_any_aircraft]
    )
    seats_economy = models.PositiveSmallIntegerField(
        _("economy (Y) seats"), default=0, validators=[seats_within_any_aircraft]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("aircraft type")
        verbose_name_plural = _("aircraft types")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_first__gt=0)
                | Q(seats_business__gt=0)
                | Q(seats_premium_economy__gt=0)
                | Q(seats_economy__gt=0),
                name="aircrafttype_has_seats",
                violation_error_message=_("An aircraft type needs at least one seat."),
            ),
            # Its total is a new flight's capacity.
            models.CheckConstraint(
                condition=LessThanOrEqual(
                    F("seats_first") + F("seats_business") + F("seats_premium_economy") + F("seats_economy"), MAX_SEATS
                ),
                name="aircrafttype_seats_in_range",
                violation_error_message=_("No aircraft has more than 999 seats."),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        cabins = [self.seats_first, self.seats_business, self.seats_premium_economy, self.seats_economy]
        if None not in cabins and sum(cabins) > MAX_SEATS:
            raise ValidationError(
                {"seats_economy": _("No aircraft has more than %(limit)s seats in all.") % {"limit": MAX_SEATS}}
            )

    @property
    def total_seats(self):
        return self.seats_first + self.seats_business + self.seats_premium_economy + self.seats_economy


class Flight(models.Model):
    """One leg: one take-off and one landing."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        DEPARTED = "departed", _("Departed")

    carrier = models.CharField(_("carrier"), max_length=2, validators=[iata_carrier_code])
    number = models.PositiveSmallIntegerField(
        _("flight number"), validators=[MinValueValidator(1), MaxValueValidator(9999)]
    )
    suffix = models.CharField(
        _("operational suffix"), max_length=1, blank=True, default="", validators=[operational_suffix]
    )
    flight_date = models.DateField(
        _("flight date"), help_text=_("Local departure date of the flight's first leg."), validators=flight_date_range
    )
    leg_number = models.PositiveSmallIntegerField(
        _("leg"), default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    origin = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="departures", verbose_name=_("origin"))
    destination = models.ForeignKey(
        Airport, on_delete=models.PROTECT, related_name="arrivals", verbose_name=_("destination")
    )
    scheduled_departure = models.DateTimeField(_("scheduled departure (UTC)"))
    scheduled_arrival = models.DateTimeField(_("scheduled arrival (UTC)"))
    aircraft_type = models.ForeignKey(
        AircraftType, on_delete=models.PROTECT, related_name="flights", verbose_name=_("aircraft type")
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), validators=[at_least_one_seat, seats_within_any_aircraft]
    )
    seats_sold = models.PositiveSmallIntegerField(_("seats sold"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("flight")
        verbose_name_plural = _("flights")
        ordering = ["scheduled_departure", "carrier", "number", "leg_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "number", "suffix", "flight_date", "leg_number"],
                name="flight_unique_designator_date_leg",
                violation_error_message=_("This flight and leg already exist on that date."),
            ),
            models.CheckConstraint(
                condition=Q(seats_sold__gte=0) & Q(seats_sold__lte=F("capacity")),
                name="flight_seats_sold_within_capacity",
                violation_error_message=_("Seats sold must stay between 0 and the capacity."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=MAX_SEATS),
                name="flight_capacity_in_range",
                violation_error_message=_("The capacity must be between 1 and 999 seats."),
            ),
            models.CheckConstraint(
                condition=Q(scheduled_arrival__gt=F("scheduled_departure")),
                name="flight_arrival_after_departure",
                violation_error_message=_("The arrival must come after the departure."),
            ),
            models.CheckConstraint(
                condition=~Q(origin=F("destination")),
                name="flight_origin_differs_from_destination",
                violation_error_message=_("Origin and destination must be different airports."),
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=9999),
                name="flight_number_1_to_9999",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled", "departed"]),
                name="flight_status_known",
            ),
        ]
        indexes = [
            # Availability search: origin and destination airports, departure window.
            models.Index(fields=["origin", "destination", "scheduled_departure"], name="flight_route_departure_idx"),
            models.Index(fields=["scheduled_departure"], name="flight_departure_idx"),
            # The load factor report: flights by flight date.
            models.Index(fields=["flight_date"], name="flight_date_idx"),
            # The admin list by status.
            models.Index(fields=["status", "scheduled_departure"], name="flight_status_departure_idx"),
            # Flights over so many per cent sold (fleet.selectors.fuller_than: the list's filter, the dashboard).
            models.Index(F("seats_sold") * 100 / F("capacity"), name="flight_percent_sold_idx"),
        ]

    def __str__(self):
        # A form sent back with its errors may hold a flight without a date or leg yet: it still has a name.
        day = f"{self.flight_date:%d%b%y}" if isinstance(self.flight_date, dt.date) else "(no date)"
        leg = f" leg {self.leg_number}" if isinstance(self.leg_number, int) and self.leg_number > 1 else ""
        return f"{self.designator} {day}".upper() + leg

    @property
    def designator(self):
        return f"{self.carrier} {self.number}{self.suffix}"

    @property
    def departure_local(self):
        return self.scheduled_departure.astimezone(self.origin.zone)

    @property
    def arrival_local(self):
        return self.scheduled_arrival.astimezone(self.destination.zone)

    @property
    def seats_left(self):
        return self.capacity - self.seats_sold


days_of_operation = RegexValidator(
    r"^(?=.*[1-7])[1 ][2 ][3 ][4 ][5 ][6 ][7 ]$",
    _("Seven positions, Monday to Sunday: the day's digit where it operates, a space where not, e.g. '1 3 5 7'."),
)


class ScheduleLine(models.Model):
    """One leg of a published schedule (SSIM-style); it expands into one flight per operating date."""

    class TimeMode(models.TextChoices):
        LOCAL = "local", _("Local times")
        UTC = "utc", _("UTC")

    carrier = models.CharField(_("carrier"), max_length=2, validators=[iata_carrier_code])
    number = models.PositiveSmallIntegerField(
        _("flight number"), validators=[MinValueValidator(1), MaxValueValidator(9999)]
    )
    suffix = models.CharField(
        _("operational suffix"), max_length=1, blank=True, default="", validators=[operational_suffix]
    )
    itinerary_variation = models.CharField(_("itinerary variation"), max_length=2, blank=True, default="")
    leg_number = models.PositiveSmallIntegerField(
        _("leg"), default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    origin = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="+", verbose_name=_("origin"))
    destination = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="+", verbose_name=_("destination"))
    departure_time = models.TimeField(_("departure time"))
    arrival_time = models.TimeField(_("arrival time"))
    time_mode = models.CharField(_("times are"), max_length=5, choices=TimeMode.choices, default=TimeMode.LOCAL)
    departure_day_offset = models.PositiveSmallIntegerField(
        _("departure day offset"), default=0, validators=[MaxValueValidator(2)]
    )
    arrival_day_offset = models.PositiveSmallIntegerField(
        _("arrival day offset"), null=True, blank=True, validators=[MaxValueValidator(2)]
    )
    days_of_operation = models.CharField(_("days of operation"), max_length=7, validators=[days_of_operation])
    valid_from = models.DateField(_("valid from"), validators=flight_date_range)
    valid_to = models.DateField(_("valid to"), validators=flight_date_range)
    aircraft_type = models.ForeignKey(
        AircraftType, on_delete=models.PROTECT, related_name="+", verbose_name=_("aircraft type")
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), null=True, blank=True, validators=[at_least_one_seat, seats_within_any_aircraft]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("schedule line")
        verbose_name_plural = _("schedule lines")
        ordering = ["carrier", "number", "suffix", "valid_from", "leg_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "number", "suffix", "itinerary_variation", "leg_number", "valid_from"],
                name="scheduleline_unique_leg_period",
            ),
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="scheduleline_period_order"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | (Q(capacity__gte=1) & Q(capacity__lte=MAX_SEATS)),
                name="scheduleline_capacity_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(origin=F("destination")), name="scheduleline_origin_differs_from_destination"
            ),
        ]

    def __str__(self):
        return f"{self.carrier} {self.number}{self.suffix} leg {self.leg_number} {self.valid_from}–{self.valid_to}"


class StaffStation(models.Model):
    """The airport a member of staff works at: the departures their home page shows (docs/decisions.md)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_station", verbose_name=_("user")
    )
    airport = models.ForeignKey(
        Airport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("station"),
        help_text=_("The airport this person works at. Empty: their home page shows departures from every station."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("station")

    def __str__(self):
        return self.airport.code if self.airport_id else "-"
