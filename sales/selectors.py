"""Reads that matter at the counter: availability search, finding bookings and tickets, the booking page."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import CharField, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, Replace
from django.db.models.lookups import Contains
from django.utils import timezone

from fleet.models import Airport, Flight
from fleet.selectors import clean_search_text
from fleet.timezones import zone
from sales.models import Booking, FareBucket, Passenger, Payment, Ticket, TicketTax
from sales.services import SALES_CLOSE_BEFORE_DEPARTURE, iata_capitals

MAX_WINDOW_DAYS = 7


class UnknownLocation(ValueError):
    pass


def airports_for(code):
    """Airports that an IATA city or airport code stands for."""
    code = (code or "").strip().upper()
    # Two index lookups in one query; an OR across the join would scan both tables.
    airports = list(_by_code_or_city([code]))
    if not airports:
        raise UnknownLocation(f"{code or '(empty)'} is neither an airport nor a city we know.")
    return airports


@dataclass
class FareOffer:
    bucket_id: int
    fare_class: str
    cabin: str
    price: object
    seats_left: int


@dataclass
class FlightOffer:
    flight: Flight
    seats_left: int
    fares: list = field(default_factory=list)

    @property
    def bookable(self):
        return any(f.seats_left > 0 for f in self.fares) and self.seats_left > 0


def search_availability(*, origin, destination, date, window_days=0, seats=1, now=None):
    """Flights from `origin` to `destination` (city or airport codes) departing
    on local dates `date` +/- `window_days`, still on sale, with each booking
    class's price and seats left. Three queries whatever the volume (two when nothing flies).
    """
    now = now or timezone.now()
    window_days = max(0, min(int(window_days), MAX_WINDOW_DAYS))
    origins, destinations = _endpoints(origin, destination)
    first_day = date - dt.timedelta(days=window_days)
    last_day = date + dt.timedelta(days=window_days)
    # Local dates at the origin, whatever its zone: widen to UTC, then keep the exact local days.
    start = min(dt.datetime.combine(first_day, dt.time.min, tzinfo=zone(a.time_zone)) for a in origins)
    end = max(dt.datetime.combine(last_day, dt.time.max, tzinfo=zone(a.time_zone)) for a in origins)
    start = max(start, now + SALES_CLOSE_BEFORE_DEPARTURE)
    flights = list(
        Flight.objects.filter(
            origin__in=origins,
            destination__in=destinations,
            scheduled_departure__gte=start,
            scheduled_departure__lte=end,
            status=Flight.Status.SCHEDULED,
        )
        .select_related("origin", "destination", "aircraft_type")
        .order_by("scheduled_departure")
    )
    flights = [
        f for f in flights if first_day <= f.scheduled_departure.astimezone(zone(f.origin.time_zone)).date() <= last_day
    ]
    if not flights:
        return []
    offers = {f.pk: FlightOffer(flight=f, seats_left=f.capacity - f.seats_sold) for f in flights}
    # Plain rows, not model instances: this is the hot path of the counter.
    buckets = (
        FareBucket.objects.filter(flight_id__in=offers)
        .order_by("fare_class__cabin", "price")
        .values_list(
            "pk", "flight_id", "fare_class__code", "fare_class__cabin", "price", "seats_allocated", "seats_sold"
        )
    )
    for pk, flight_id, code, cabin, price, allocated, sold in buckets:
        offer = offers[flight_id]
        left = min(allocated - sold, offer.seats_left)
        offer.fares.append(
            FareOffer(bucket_id=pk, fare_class=code, cabin=cabin, price=price, seats_left=left if left >= seats else 0)
        )
    return list(offers.values())


def _by_code_or_city(codes):
    """Airports whose own code or whose city's code is one of `codes`, by code: two index lookups in one UNION.

    Each part drops Airport's default ordering: SQLite refuses ORDER BY inside a compound statement.
    """
    by_airport = Airport.objects.filter(code__in=codes)
    by_city = Airport.objects.filter(city__code__in=codes)
    parts = [part.annotate(city_code=F("city__code")).order_by() for part in (by_airport, by_city)]
    return parts[0].union(parts[1]).order_by("code")


def _endpoints(origin, destination):
    """The airports behind two city or airport codes, in one query."""
    codes = [(origin or "").strip().upper(), (destination or "").strip().upper()]
    found = list(_by_code_or_city(codes))
    ends = []
    for code in codes:
        airports = [a for a in found if code in (a.code, a.city_code)]
        if not airports:
            raise UnknownLocation(f"{code or '(empty)'} is neither an airport nor a city we know.")
        ends.append(airports)
    return ends


# --- Finding bookings and tickets -------------------------------------------------

_RECORD_LOCATOR = re.compile(r"[A-HJ-NP-Z2-9]{6}")
_TICKET_NUMBER = re.compile(r"\d{13}")
_PHONE = re.compile(r"\+?[0-9 ()./-]+")
_PHONE_PUNCTUATION = (" ", "(", ")", ".", "/", "-", "+")
MIN_PHONE_DIGITS = 6


@dataclass(frozen=True)
class SearchText:
    """What a person typed in a list's search box, read every way the desk means it."""

    text: str

    @classmethod
    def of(cls, term):
        return cls(clean_search_text(term))

    @property
    def record_locator(self):
        locator = self.text.upper()
        return locator if _RECORD_LOCATOR.fullmatch(locator) else None

    @property
    def ticket_number(self):
        number = self.text.replace(" ", "")
        return number if _TICKET_NUMBER.fullmatch(number) else None

    @property
    def email(self):
        return self.text if "@" in self.text and len(self.text) >= 3 else None

    @property
    def phone_digits(self):
        """The significant digits: no international `+`/`00` or national trunk `0` prefix, which
        the stored number may write differently (`+33 6 11...` is `06 11...` dialled in France)."""
        if not _PHONE.fullmatch(self.text):
            return None
        digits = re.sub(r"\D", "", self.text).lstrip("0")
        return digits if len(digits) >= MIN_PHONE_DIGITS else None

    def passenger_name(self, path=""):
        """A condition on passengers (through `path`): the surname as IATA writes it (accents and
        apostrophes gone), or `SURNAME/GIVEN NAMES`; each is the beginning of the stored name."""
        surname, _, given_names = self.text.partition("/")
        surname, given_names = iata_capitals(surname), iata_capitals(given_names)
        if not surname:
            return None
        name = Q(**{f"{path}surname__startswith": surname})
        return name & Q(**{f"{path}given_names__startswith": given_names}) if given_names else name


def _digits_only(field_name):
    expression = F(field_name)
    for character in _PHONE_PUNCTUATION:
        expression = Replace(expression, Value(character), Value(""))
    return expression


def with_first_flight(bookings):
    """Bookings with their first flight's designator, departure and origin time zone, in the same query.

    `first_designator`, `first_departure` and `first_departure_zone` are None for a booking without tickets.
    """
    first = Ticket.objects.filter(booking=OuterRef("pk")).order_by("flight__scheduled_departure", "flight_id")
    return bookings.annotate(
        first_designator=Subquery(
            first.annotate(
                designator=Concat("flight__carrier", Value(" "), Cast("flight__number", CharField()), "flight__suffix")
            ).values("designator")[:1]
        ),
        first_departure=Subquery(first.values("flight__scheduled_departure")[:1]),
        first_departure_zone=Subquery(first.values("flight__origin__time_zone")[:1]),
    )


# A search reads at most this many of the newest matches of each kind (name, surname, ...): a surname
# borne by one passenger in sixty is 140,000 bookings at 10 M tickets, and the desk reads the first page.
SEARCH_MATCHES_PER_KIND = 500


def _union(parts):
    """One UNION of the parts (querysets of keys, newest first), each cut to its newest
    SEARCH_MATCHES_PER_KIND where the database allows LIMIT inside a UNION (PostgreSQL; not SQLite,
    the demo's thousands of rows)."""
    parts = [part for part in parts if isinstance(part, QuerySet)]  # not `if part`: that would run it
    if not parts:
        return None
    if connections[parts[0].db].features.supports_slicing_ordering_in_compound:
        parts = [part[:SEARCH_MATCHES_PER_KIND] for part in parts]
    else:
        parts = [part.order_by() for part in parts]
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def matching(queryset, ids):
    """`queryset` restricted to the keys of a UNION of index lookups, or to nothing when there is none.

    An OR across tables (or of EXISTS) can only be read by scanning the whole list; each part of the
    UNION is one index lookup, or a walk down the newest rows when the text is common
    (tests/sales/test_list_queries.py, bench/lists_at_scale.py). The keys are read first, once (one
    query, at most SEARCH_MATCHES_PER_KIND a part): as a subquery, the list's count and its page would
    each run the UNION again, and the planner may join every row of the list before keeping the few
    found (refunds: 8.9 s)."""
    union = _union(ids)
    if union is None:
        return queryset.none()
    return queryset.filter(pk__in=[key for row in union for key in row.values()])


def _keys(rows, key="pk"):
    """The keys `key` of `rows`, newest first (keys grow with time)."""
    return rows.order_by(f"-{key}").values(key)


def booking_search(queryset, term):
    """Bookings for what the desk types: a record locator, a ticket number, a passenger's surname
    (`Pecheur` finds PECHEUR, typed Pêcheur), the contact's name, e-mail or phone in any spacing.
    One condition on the bookings (their keys among those the text finds, no join): no duplicates,
    and the list keeps its query count."""
    search = SearchText.of(term)
    if not search.text:
        return queryset
    name = search.passenger_name()
    ids = _keys
    bookings = Booking.objects.all()
    return matching(
        queryset,
        [
            ids(bookings.filter(contact_name__icontains=search.text)),
            search.record_locator and ids(bookings.filter(record_locator=search.record_locator)),
            search.ticket_number and ids(Ticket.objects.filter(number=search.ticket_number), "booking_id"),
            search.email and ids(bookings.filter(contact_email__icontains=search.email)),
            # Thirteen digits are a ticket number, not a phone (no index reads a phone in any spacing).
            not search.ticket_number
            and search.phone_digits
            and ids(bookings.filter(Contains(_digits_only("contact_phone"), search.phone_digits))),
            name and ids(Passenger.objects.filter(name), "booking_id"),
        ],
    )


def ticket_match_parts(rows, term, path=""):
    """The parts of a search of `rows` (tickets, or records with a ticket at `path`) for a record locator or
    a ticket number: querysets of keys, newest first, for `matching`; none when the text is neither.
    A passenger's name is each list's own part (tickets below; refunds keep a copy of the name)."""
    search = SearchText.of(term)
    rows = rows.order_by("-pk")
    return [
        search.record_locator and rows.filter(**{f"{path}booking__record_locator": search.record_locator}).values("pk"),
        search.ticket_number and rows.filter(**{f"{path}number": search.ticket_number}).values("pk"),
    ]


def ticket_search(queryset, term):
    """Tickets for a record locator, a ticket number or a passenger's surname (as for bookings)."""
    search = SearchText.of(term)
    if not search.text:
        return queryset
    name = search.passenger_name()
    # The newest passengers of that name first (a walk down the passengers, one in sixty of them
    # matching a common surname), then their tickets: not a walk down the tickets checking each passenger.
    passengers = name and Passenger.objects.filter(name).order_by("-pk").values("pk")[:SEARCH_MATCHES_PER_KIND]
    tickets = Ticket.objects.all()
    return matching(
        queryset,
        [
            *ticket_match_parts(tickets, term),
            name and tickets.filter(passenger__in=passengers).order_by("-pk").values("pk"),
        ],
    )


def payment_search(queryset, term):
    """Payments of a booking (its record locator) or with a reference, typed whole in any case."""
    search = SearchText.of(term)
    if not search.text:
        return queryset
    payments = Payment.objects.order_by("-pk")
    return matching(
        queryset,
        [
            search.record_locator and payments.filter(booking__record_locator=search.record_locator).values("pk"),
            payments.filter(reference__in={search.text, search.text.upper()}).values("pk"),
        ],
    )


def booking_page(booking_id):
    """A booking with everything its page shows, in a fixed number of queries."""
    return (
        Booking.objects.select_related("agent")
        .prefetch_related(
            Prefetch("passengers", queryset=Passenger.objects.select_related("infant_of").order_by("position")),
            Prefetch(
                "tickets",
                queryset=Ticket.objects.select_related(
                    "passenger", "flight__origin", "flight__destination", "fare_bucket__fare_class", "issued_by"
                )
                .prefetch_related(Prefetch("tax_lines", queryset=TicketTax.objects.order_by("code")))
                .order_by("passenger__position", "flight__scheduled_departure"),
            ),
            Prefetch("payments", queryset=Payment.objects.select_related("agent").order_by("received_at")),
        )
        .get(pk=booking_id)
    )


def _live_seats(key):
    return Coalesce(
        Subquery(
            Ticket.objects.filter(**{key: OuterRef("pk")}, holds_seat=True)
            .values(key)
            .annotate(seats=Count("pk"))
            .values("seats")
        ),
        0,
    )


def inventory_mismatches():
    """Flights and fare buckets whose seats sold differ from the live tickets holding a seat."""
    flights = (
        Flight.objects.annotate(live_seats=_live_seats("flight")).exclude(seats_sold=F("live_seats")).order_by("pk")
    )
    buckets = (
        FareBucket.objects.select_related("flight", "fare_class")
        .annotate(live_seats=_live_seats("fare_bucket"))
        .exclude(seats_sold=F("live_seats"))
        .order_by("pk")
    )
    return list(flights), list(buckets)
