"""A new flight goes on sale with its route's fares, however it is created: the flight form,
fleet's services, or a schedule import. Fleet announces the flights it creates; sales opens them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.system import system_user
from fleet import schedule
from fleet import services as fleet
from fleet.models import Flight
from sales.models import FareBucket, RouteFare
from tests.factories import AircraftTypeFactory, AirportFactory, FareClassFactory
from tests.fleet.test_admin import flight_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def route(db):
    cdg = AirportFactory(code="CDG", time_zone="Europe/Paris")
    lhr = AirportFactory(code="LHR", time_zone="Europe/London")
    aircraft = AircraftTypeFactory(code="320", seats_business=0, seats_economy=150)
    for code, price, seats in (("Y", "150.00", 100), ("M", "90.00", 400)):
        RouteFare.objects.create(
            origin=cdg,
            destination=lhr,
            fare_class=FareClassFactory(code=code),
            price=Decimal(price),
            seats_allocated=seats,
        )
    return cdg, lhr, aircraft


def buckets(flight):
    """{class: (price, seats allocated, seats sold)}; allocations are capped at the flight's capacity."""
    return {
        b.fare_class.code: (b.price, b.seats_allocated, b.seats_sold)
        for b in FareBucket.objects.filter(flight=flight).select_related("fare_class")
    }


ON_SALE = {"Y": (Decimal("150.00"), 100, 0), "M": (Decimal("90.00"), 150, 0)}


def test_a_flight_saved_by_its_service_goes_on_sale(route, admin_role_user):
    cdg, lhr, aircraft = route
    departure = timezone.now() + dt.timedelta(days=20)
    flight = Flight(
        carrier="XB",
        number=1021,
        flight_date=timezone.localdate(departure),
        origin=cdg,
        destination=lhr,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(minutes=80),
        aircraft_type=aircraft,
        capacity=150,
    )
    fleet.save_flight(flight=flight, user=admin_role_user)
    assert buckets(flight) == ON_SALE

    # Saving it again changes the flight, not its buckets.
    FareBucket.objects.filter(flight=flight, fare_class__code="Y").update(price=Decimal("99.00"))
    flight.capacity = 140
    fleet.save_flight(flight=flight, user=admin_role_user)
    assert buckets(flight)["Y"] == (Decimal("99.00"), 100, 0)


def test_a_flight_added_in_the_admin_goes_on_sale(route, admin_role_user, client):
    client.force_login(admin_role_user)
    assert client.post(reverse("admin:fleet_flight_add"), flight_form(*route)).status_code == 302
    assert buckets(Flight.objects.get()) == ON_SALE


def test_flights_planned_in_bulk_go_on_sale(route):
    cdg, lhr, aircraft = route
    day = timezone.localdate() + dt.timedelta(days=30)
    legs = [
        fleet.PlannedLeg("XB", 1021, "", 1, date, cdg, lhr, date, dt.time(10), date, dt.time(10, 20), aircraft)
        for date in (day, day + dt.timedelta(days=1))
    ]
    assert fleet.create_flights(legs=legs, user=system_user()) == 2
    assert [buckets(flight) for flight in Flight.objects.all()] == [ON_SALE, ON_SALE]


def test_flights_of_an_imported_schedule_go_on_sale(route):
    csv = f"{','.join(schedule.TABLE_COLUMNS)}\nXB 1021,1,CDG,LHR,10:00,10:20,,1234567,2027-05-03,2027-05-04,320,\n"
    summary = schedule.import_schedule(schedule.read_file(csv.encode(), name="s.csv"), user=system_user())
    assert summary.refused == [] and summary.flights_created == 2
    assert [buckets(flight) for flight in Flight.objects.all()] == [ON_SALE, ON_SALE]
