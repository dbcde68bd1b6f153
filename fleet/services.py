"""Writes to reference data and flights. Each function is one transaction."""

import math
from dataclasses import dataclass
from functools import lru_cache

import airportsdata
from django.db import transaction

from backoffice import locks
from backoffice.history import bulk_create_with_history
from backoffice.rules import ALLOWED, refuse
from fleet.exceptions import CapacityBelowSeatsSold, FlightNotChangeable, UnknownAirport
from fleet.models import AircraftType, Airport, City, Flight, StaffStation
from fleet.signals import flights_created
from fleet.timezones import local_to_utc


@lru_cache(maxsize=1)
def _airportsdata():
    """(airports by IATA code, metropolitan city code by airport code, metropolitan names)."""
    airports = airportsdata.load("IATA")
    metro_of = {}
    metro_names = {}
    for city_code, metro in airportsdata.load_iata_macs().items():
        metro_names[city_code] = (metro["name"], metro["country"])
        for airport_code in metro["airports"]:
            metro_of[airport_code] = city_code
    return airports, metro_of, metro_names


def airport_reference(code):
    """What airportsdata knows of an IATA airport code, or None."""
    airports, _, _ = _airportsdata()
    return airports.get(code)


def _city_for(record):
    """(code, name, country) of the IATA city an airportsdata record belongs to."""
    _, metro_of, metro_names = _airportsdata()
    city_code = metro_of.get(record["iata"])
    if city_code:
        name, country = metro_names[city_code]
        return city_code, name, country
    return record["iata"], record["city"] or record["name"], record["country"]


def _set_history_user(instance, user):
    # Outside a request (commands, cron) simple-history cannot see who acted: say it.
    instance._history_user = user


@transaction.atomic
def get_or_create_airport(*, code, user):
    """The airport with this IATA code, created from airportsdata if the database lacks it."""
    code = (code or "").strip().upper()
    airport = Airport.objects.select_related("city").filter(code=code).first()
    if airport:
        return airport
    record = airport_reference(code)
    if record is None:
        raise UnknownAirport(f"{code or '(empty)'} is not an IATA airport code known to airportsdata.")
    city_code, city_name, country = _city_for(record)
    city = City.objects.filter(code=city_code).first()
    if city is None:
        city = City(code=city_code, name=city_name, country=country)
        _set_history_user(city, user)
        city.save()
    airport = Airport(code=code, name=record["name"], city=city, time_zone=record["tz"])
    airport.full_clean()
    _set_history_user(airport, user)
    airport.save()
    return airport


@transaction.atomic
def set_station(*, staff, airport, user):
    """Make `airport` (None: no station) the station of the staff member `staff`, with history by `user`."""
    station = StaffStation.objects.select_for_update().filter(user=staff).first() or StaffStation(user=staff)
    if station.pk and station.airport_id == (airport.pk if airport else None):
        return station
    station.airport = airport
    _set_history_user(station, user)
    station.save()
    return station


@dataclass
class LoadResult:
    cities_created: int
    airports_created: int
    airports_skipped: int


@transaction.atomic
def load_airports(*, user):
    """Create every IATA airport and city airportsdata knows that the database lacks.

    Existing rows are left as they are (an Admin may have corrected them), so
    running it twice changes nothing.
    """
    airports, _, _ = _airportsdata()
    existing_airports = set(Airport.objects.values_list("code", flat=True))
    cities = {city.code: city for city in City.objects.all()}
    new_cities = {}
    pending = []
    skipped = 0
    for code, record in sorted(airports.items()):
        if code in existing_airports:
            continue
        if len(code) != 3 or not code.isalpha() or not record.get("tz"):
            skipped += 1
            continue
        city_code, city_name, country = _city_for(record)
        if city_code not in cities and city_code not in new_cities:
            new_cities[city_code] = City(code=city_code, name=city_name[:100], country=country)
        pending.append((code, record, city_code))
    bulk_create_with_history(list(new_cities.values()), City, batch_size=1000, user=user)
    cities.update({city.code: city for city in City.objects.filter(code__in=new_cities)})
    new_airports = [
        Airport(code=code, name=record["name"][:120], city=cities[city_code], time_zone=record["tz"])
        for code, record, city_code in pending
    ]
    bulk_create_with_history(new_airports, Airport, batch_size=1000, user=user)
    return LoadResult(cities_created=len(new_cities), airports_created=len(new_airports), airports_skipped=skipped)


def lock_flight(flight_id):
    """The flight row, locked for the rest of the transaction (the one order's helper, backoffice/locks.py)."""
    flight = locks.lock_in_order(flights=[flight_id]).flights.get(flight_id)
    if flight is None:
        raise Flight.DoesNotExist(f"No flight {flight_id}.")
    return flight


def can_change_flight(flight):
    """A flight that left or was cancelled is a record, no longer a plan: nobody edits it."""
    if flight.pk and flight.status != Flight.Status.SCHEDULED:
        return refuse(
            FlightNotChangeable(f"{flight} is {flight.get_status_display().lower()}: it can no longer be changed.")
        )
    return ALLOWED


@transaction.atomic
def save_flight(*, flight, user):
    """Create or change a flight.

    Seats sold move under the booking services' locks, never from here: the
    current count is read under the row lock and kept, and capacity may not go
    below it. A new flight is announced (`fleet.signals.flights_created`): sales
    puts it on sale with its route's fares, in this same transaction.
    """
    new = flight.pk is None
    if not new:
        current = lock_flight(flight.pk)
        can_change_flight(current).check()
        flight.seats_sold = current.seats_sold
    if flight.capacity is not None and flight.capacity < flight.seats_sold:
        raise CapacityBelowSeatsSold(f"Capacity cannot go below the {flight.seats_sold} seats already sold.")
    flight.full_clean()
    _set_history_user(flight, user)
    flight.save()
    if new:
        flights_created.send(sender=Flight, flights=[flight], user=user)
    return flight


def block_minutes(origin, destination):
    """A plausible block time from the great-circle distance: 30 min taxi, 800 km/h cruise."""
    a, b = airport_reference(origin.code), airport_reference(destination.code)
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    central = math.acos(
        min(1.0, math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(lon2 - lon1))
    )
    km = 6371 * central
    return int(round((30 + km / 800 * 60) / 5) * 5)


@dataclass
class PlannedLeg:
    """One dated leg of a flight, in local times."""

    carrier: str
    number: int
    suffix: str
    leg_number: int
    flight_date: object
    origin: Airport
    destination: Airport
    departure_date: object
    departure_time: object
    arrival_date: object
    arrival_time: object
    aircraft_type: object
    capacity: int | None = None

    def key(self):
        return (self.carrier, self.number, self.suffix, self.flight_date, self.leg_number)


@transaction.atomic
def create_flights(*, legs, user):
    """Create the planned legs that do not exist yet, with history; returns how many were created.

    Local times become UTC per date with each airport's own zone. The new flights are announced
    (`flights_created`), as `save_flight` announces one.
    """
    legs = list(legs)
    if not legs:
        return 0
    dates = {leg.flight_date for leg in legs}
    existing = set(
        Flight.objects.filter(flight_date__in=dates).values_list(
            "carrier", "number", "suffix", "flight_date", "leg_number"
        )
    )
    new = []
    for leg in legs:
        if leg.key() in existing:
            continue
        existing.add(leg.key())
        flight = Flight(
            carrier=leg.carrier,
            number=leg.number,
            suffix=leg.suffix,
            leg_number=leg.leg_number,
            flight_date=leg.flight_date,
            origin=leg.origin,
            destination=leg.destination,
            scheduled_departure=local_to_utc(leg.departure_date, leg.departure_time, leg.origin.time_zone),
            scheduled_arrival=local_to_utc(leg.arrival_date, leg.arrival_time, leg.destination.time_zone),
            aircraft_type=leg.aircraft_type,
            capacity=leg.capacity or leg.aircraft_type.total_seats,
        )
        new.append(flight)
    new = bulk_create_with_history(new, Flight, batch_size=2000, user=user)
    flights_created.send(sender=Flight, flights=new, user=user)
    return len(new)


@transaction.atomic
def create_aircraft_types(*, types, user):
    """Create aircraft types from (IATA code, name, Seating) triples, with history by `user`."""
    created = []
    for code, name, seating in types:
        aircraft_type = AircraftType(
            code=code,
            name=name,
            seats_first=seating.first,
            seats_business=seating.business,
            seats_premium_economy=seating.premium_economy,
            seats_economy=seating.economy,
        )
        aircraft_type.full_clean()
        _set_history_user(aircraft_type, user)
        aircraft_type.save()
        created.append(aircraft_type)
    return created
