import pytest

from backoffice.system import system_user
from fleet import services
from fleet.exceptions import CapacityBelowSeatsSold, UnknownAirport
from fleet.models import Airport, City
from tests.factories import FlightFactory

pytestmark = pytest.mark.django_db


def test_load_airports_creates_real_airports_with_metropolitan_cities_and_history():
    result = services.load_airports(user=system_user())
    assert result.airports_created > 7000
    lhr = Airport.objects.select_related("city").get(code="LHR")
    assert (lhr.city.code, lhr.time_zone) == ("LON", "Europe/London")
    assert set(City.objects.get(code="LON").airports.values_list("code", flat=True)) >= {
        "LHR",
        "LGW",
        "LCY",
        "LTN",
        "STN",
    }
    run = Airport.objects.select_related("city").get(code="RUN")
    assert (run.city.code, run.city.country, run.time_zone) == ("RUN", "RE", "Indian/Reunion")
    assert Airport.history.count() == Airport.objects.count()
    assert set(Airport.history.values_list("history_user__username", flat=True)) == {"system"}


def test_load_airports_twice_changes_nothing():
    services.load_airports(user=system_user())
    counts = (Airport.objects.count(), City.objects.count(), Airport.history.count(), City.history.count())
    again = services.load_airports(user=system_user())
    assert (again.airports_created, again.cities_created) == (0, 0)
    assert counts == (
        Airport.objects.count(),
        City.objects.count(),
        Airport.history.count(),
        City.history.count(),
    )


def test_unknown_airport_code_is_refused_and_nothing_written():
    with pytest.raises(UnknownAirport, match="QQQ is not an IATA airport code known to airportsdata"):
        services.get_or_create_airport(code="QQQ", user=system_user())
    assert not Airport.objects.exists() and not City.objects.exists()


def test_save_flight_refuses_capacity_below_seats_sold(admin_role_user):
    flight = FlightFactory(capacity=100, seats_sold=80)
    flight.capacity = 79
    with pytest.raises(CapacityBelowSeatsSold, match="80 seats already sold"):
        services.save_flight(flight=flight, user=admin_role_user)
    flight.refresh_from_db()
    assert flight.capacity == 100
