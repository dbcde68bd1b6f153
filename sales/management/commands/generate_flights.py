import datetime as dt
import math
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from backoffice.system import system_user
from fleet.models import AircraftType, Airport, Flight
from fleet.services import airport_reference, block_minutes
from fleet.timezones import local_to_utc
from sales.models import Cabin, FareClass

# Created only when the database has none.
AIRCRAFT_TYPES = [
    # IATA code, name, seats (F, J, W, Y)
    ("320", "Airbus A320", (0, 12, 0, 150)),
    ("321", "Airbus A321", (0, 16, 0, 180)),
    ("77W", "Boeing 777-300ER", (8, 58, 28, 266)),
    ("AT7", "ATR 72", (0, 0, 0, 70)),
    ("E90", "Embraer 190", (0, 12, 0, 88)),
]
FARE_CLASSES = [
    ("J", Cabin.BUSINESS, "Business"),
    ("Y", Cabin.ECONOMY, "Economy flexible"),
    ("B", Cabin.ECONOMY, "Economy"),
    ("M", Cabin.ECONOMY, "Economy saver"),
    ("K", Cabin.ECONOMY, "Economy light"),
]
CABIN_SEATS = {
    Cabin.FIRST: "seats_first",
    Cabin.BUSINESS: "seats_business",
    Cabin.PREMIUM_ECONOMY: "seats_premium_economy",
    Cabin.ECONOMY: "seats_economy",
}
CABIN_RANK = {Cabin.FIRST: 0, Cabin.BUSINESS: 1, Cabin.PREMIUM_ECONOMY: 2, Cabin.ECONOMY: 3}
CABIN_FARE_FACTOR = {Cabin.FIRST: 6.0, Cabin.BUSINESS: 3.5, Cabin.PREMIUM_ECONOMY: 1.8, Cabin.ECONOMY: 1.0}
HUBS = 12
# How many times a day a city pair is flown, drawn with these odds.
DAILY_FREQUENCIES = (1, 1, 1, 2, 2, 3, 4, 6)
CHUNK = 25_000

FLIGHT_COLUMNS = (
    "id, carrier, number, suffix, flight_date, leg_number, origin_id, destination_id, "
    "scheduled_departure, scheduled_arrival, aircraft_type_id, capacity, seats_sold, status"
)
# Each new flight gets the buckets of its route (route index -> fare class, price, seats).
INSERT_BUCKETS = """
    INSERT INTO sales_farebucket (flight_id, fare_class_id, price, seats_allocated, seats_sold)
    SELECT flight.id, template.fare_class_id, template.price, template.seats_allocated, 0
    FROM unnest(%s::bigint[], %s::integer[]) AS flight(id, route)
    JOIN unnest(%s::integer[], %s::bigint[], %s::numeric[], %s::integer[])
        AS template(route, fare_class_id, price, seats_allocated) ON template.route = flight.route
"""


@dataclass
class Route:
    """One flight number, flown every day at the same local time."""

    number: int
    origin: Airport
    destination: Airport
    departure_time: dt.time
    block: dt.timedelta
    aircraft_type: AircraftType
    buckets: list  # (fare class id, price, seats allocated)


class Command(BaseCommand):
    help = (
        "Generate synthetic flights with fare buckets for load tests, fast (PostgreSQL COPY; PostgreSQL only). "
        "A network of daily flight numbers, out and back, between airports of the database (loaded with "
        "load_airports first if there are none), each flight with 3 to 6 fare buckets (fewer only if there are "
        "fewer fare classes); aircraft types and fare classes are created if there are none. Flight numbers "
        "already used in the date range are left alone. The same --seed gives the same network. All in one "
        "transaction. Generated flights and buckets get no history rows: they are synthetic load-test data, "
        "not business events; every later change to them made through the services records its history as usual."
    )

    def add_arguments(self, parser):
        parser.add_argument("--flights", type=int, required=True, help="How many flights to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--days", type=int, default=365, help="Days of operation (default 365).")
        parser.add_argument(
            "--start", type=dt.date.fromisoformat, default=None, help="First flight date (default tomorrow)."
        )
        parser.add_argument(
            "--airports", type=int, default=400, help="How many airports the network serves (default 400)."
        )

    def handle(self, *args, flights, seed, days, start, airports, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_flights loads with PostgreSQL's COPY: it runs on PostgreSQL only.")
        if flights < 1 or days < 1 or airports < 2:
            raise CommandError("--flights and --days must be at least 1, --airports at least 2.")
        started = time.perf_counter()
        start = start or timezone.localdate() + dt.timedelta(days=1)
        end = start + dt.timedelta(days=days - 1)
        rng = random.Random(seed)
        user = system_user()

        with transaction.atomic():
            if not Airport.objects.exists():
                self.stdout.write("No airports yet: loading them with load_airports.")
                call_command("load_airports", stdout=self.stdout)
            aircraft_types = self._aircraft_types(user)
            fare_classes = self._fare_classes(user)
            numbers = self._free_numbers(start, end)
            needed = math.ceil(flights / days)
            if needed > len(numbers):
                raise CommandError(
                    f"{flights} flights over {days} days need {needed} daily flight numbers; "
                    f"{settings.AIRLINE_CODE} has {len(numbers)} free from {start} to {end}. Give more --days."
                )
            served = self._airports(rng, airports)
            routes = self._routes(rng, served, numbers[:needed], aircraft_types, fare_classes)
            writing = time.perf_counter()
            flights_created, buckets_created = self._load(routes, start, days, flights)
            committing = time.perf_counter()
        done = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE fleet_flight")
            cursor.execute("ANALYZE sales_farebucket")
        self.stdout.write(
            f"Created {flights_created:,} flights and {buckets_created:,} fare buckets, {len(routes):,} daily "
            f"flight numbers between {len(served)} airports from {start} to {end}, in {done - started:.1f} s: "
            f"{committing - writing:.1f} s writing, {done - committing:.1f} s committing (foreign keys are "
            f"checked then), then ANALYZE {time.perf_counter() - done:.1f} s."
        )

    def _save(self, instance, user):
        instance._history_user = user
        instance.save()
        return instance

    def _aircraft_types(self, user):
        if not AircraftType.objects.exists():
            for code, name, (first, business, premium, economy) in AIRCRAFT_TYPES:
                aircraft_type = AircraftType(
                    code=code,
                    name=name,
                    seats_first=first,
                    seats_business=business,
                    seats_premium_economy=premium,
                    seats_economy=economy,
                )
                self._save(aircraft_type, user)
            self.stdout.write(f"Created {len(AIRCRAFT_TYPES)} aircraft types.")
        return list(AircraftType.objects.order_by("code"))

    def _fare_classes(self, user):
        if not FareClass.objects.exists():
            for code, cabin, name in FARE_CLASSES:
                self._save(FareClass(code=code, cabin=cabin, name=name), user)
            self.stdout.write(f"Created {len(FARE_CLASSES)} fare classes.")
        # Within a cabin, the class created first is taken as the dearest.
        return sorted(FareClass.objects.all(), key=lambda fare_class: (CABIN_RANK[fare_class.cabin], fare_class.pk))

    def _free_numbers(self, start, end):
        """Flight numbers the airline does not use on any date of the range: they cannot collide."""
        used = set(
            Flight.objects.filter(
                carrier=settings.AIRLINE_CODE, suffix="", flight_date__range=(start, end)
            ).values_list("number", flat=True)
        )
        return [number for number in range(1, 10000) if number not in used]

    def _airports(self, rng, count):
        """Airports whose position airportsdata knows (block times come from the distance), chosen by the seed."""
        known = [airport for airport in Airport.objects.order_by("code") if airport_reference(airport.code)]
        if len(known) < 2:
            raise CommandError("The network needs at least two airports known to airportsdata: run load_airports.")
        return rng.sample(known, min(count, len(known)))

    def _routes(self, rng, airports, numbers, aircraft_types, fare_classes):
        """Hub-and-spoke city pairs in random order until the numbers run out.

        Each pair is flown 1 to 6 times a day, each time out and back under two consecutive
        free numbers, as airlines number a rotation.
        """
        hubs, others = airports[:HUBS], airports[HUBS:] or airports[:HUBS]
        pairs = {tuple(sorted((hub, other), key=lambda a: a.code)) for hub in hubs for other in others + hubs}
        pairs = sorted((pair for pair in pairs if pair[0] != pair[1]), key=lambda pair: (pair[0].code, pair[1].code))
        rng.shuffle(pairs)
        numbers = iter(numbers)
        routes = []
        for first, second in _cycle(pairs):
            block = dt.timedelta(minutes=block_minutes(first, second))
            aircraft_type = rng.choice(aircraft_types)
            buckets = self._buckets(rng, aircraft_type, fare_classes, block)
            for _ in range(rng.choice(DAILY_FREQUENCIES)):
                for origin, destination in ((first, second), (second, first)):
                    number = next(numbers, None)
                    if number is None:
                        return routes
                    departure = dt.time(rng.randint(6, 22), rng.randrange(0, 60, 5))
                    routes.append(Route(number, origin, destination, departure, block, aircraft_type, buckets))
        return routes

    def _buckets(self, rng, aircraft_type, fare_classes, block):
        capacity = aircraft_type.total_seats
        on_board = [fc for fc in fare_classes if getattr(aircraft_type, CABIN_SEATS[fc.cabin])] or fare_classes
        chosen = sorted(
            rng.sample(on_board, min(rng.randint(3, 6), len(on_board))),
            key=lambda fc: (CABIN_RANK[fc.cabin], fc.pk),
        )
        base_fare = 30 + 0.9 * block.total_seconds() / 60
        buckets = []
        for rank, fare_class in enumerate(chosen):
            # Each class below the dearest of its cabin costs 18% less, down to 30% of it.
            dearer_in_cabin = sum(1 for fc in chosen[:rank] if fc.cabin == fare_class.cabin)
            factor = CABIN_FARE_FACTOR[fare_class.cabin] * max(0.3, 1 - 0.18 * dearer_in_cabin)
            price = Decimal(f"{base_fare * factor:.0f}.00")
            cabin_seats = getattr(aircraft_type, CABIN_SEATS[fare_class.cabin]) or capacity
            seats = min(capacity, max(1, round(cabin_seats * rng.uniform(0.3, 1.0))))
            buckets.append((fare_class.pk, price, seats))
        return buckets

    def _load(self, routes, start, days, total):
        """COPY the flights (day after day, every route), then give them their route's buckets; returns the counts.

        Flight ids are drawn from the table's sequence first, so that the buckets can be
        written by one INSERT ... SELECT per chunk instead of from Python row by row.
        """
        carrier = settings.AIRLINE_CODE
        templates = [
            (index, fare_class_id, price, seats)
            for index, route in enumerate(routes)
            for fare_class_id, price, seats in route.buckets
        ]
        template_columns = [list(column) for column in zip(*templates, strict=True)]
        flights_done = buckets_done = 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence('fleet_flight', 'id')")
            sequence = cursor.fetchone()[0]
            schedule = (
                (start + dt.timedelta(days=offset), index, route)
                for offset in range(days)
                for index, route in enumerate(routes)
            )
            while flights_done < total:
                chunk = [next(schedule) for _ in range(min(CHUNK, total - flights_done))]
                cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(chunk)])
                ids = [row[0] for row in cursor.fetchall()]
                with cursor.copy(f"COPY fleet_flight ({FLIGHT_COLUMNS}) FROM STDIN") as copy:
                    for flight_id, (day, _, route) in zip(ids, chunk, strict=True):
                        departure = local_to_utc(day, route.departure_time, route.origin.time_zone)
                        copy.write_row(
                            (
                                flight_id,
                                carrier,
                                route.number,
                                "",
                                day,
                                1,
                                route.origin.pk,
                                route.destination.pk,
                                departure,
                                departure + route.block,
                                route.aircraft_type.pk,
                                route.aircraft_type.total_seats,
                                0,
                                Flight.Status.SCHEDULED.value,
                            )
                        )
                cursor.execute(INSERT_BUCKETS, [ids, [index for _, index, _ in chunk], *template_columns])
                flights_done += len(chunk)
                buckets_done += cursor.rowcount
        return flights_done, buckets_done


def _cycle(items):
    while True:
        yield from items
