"""Range limits on the values seats depend on: what the admin refuses (naming the field) on both
databases, and what the database itself refuses when the ORM is bypassed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from fleet.models import AircraftType, Flight, ScheduleLine
from tests.factories import AircraftTypeFactory, AirportFactory, FlightFactory
from tests.fleet.test_admin import ADD_FLIGHT, flight_form
from tests.fleet.test_constraints import raw_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def cdg_lhr():
    return AirportFactory(code="CDG"), AirportFactory(code="LHR", time_zone="Europe/London"), AircraftTypeFactory()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_a_leg_flight_date_outside_2000_to_2099_is_refused_on_its_field(client, admin_role_user, cdg_lhr, day):
    client.force_login(admin_role_user)
    response = client.post(ADD_FLIGHT, flight_form(*cdg_lhr, leg_number="2", flight_date=day))
    assert response.status_code == 200
    assert "2000" in str(response.context["adminform"].form.errors.get("flight_date")), response.context[
        "adminform"
    ].form.errors
    assert not Flight.objects.exists()


@pytest.mark.parametrize("capacity", ["1000", "32768", "99999999999999999999"])
def test_a_capacity_no_aircraft_has_is_refused_on_its_field(client, admin_role_user, cdg_lhr, capacity):
    client.force_login(admin_role_user)
    response = client.post(ADD_FLIGHT, flight_form(*cdg_lhr, capacity=capacity))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("capacity")
    assert not Flight.objects.exists()


def test_the_most_seats_an_aircraft_can_have_is_accepted(client, admin_role_user, cdg_lhr):
    client.force_login(admin_role_user)
    assert client.post(ADD_FLIGHT, flight_form(*cdg_lhr, capacity="999")).status_code == 302
    assert Flight.objects.get().capacity == 999


@pytest.mark.parametrize("seats", ["1000", "32768"])
def test_an_aircraft_type_with_more_seats_than_any_aircraft_is_refused(client, admin_role_user, seats):
    client.force_login(admin_role_user)
    data = {
        "code": "388",
        "name": "Airbus A380",
        "seats_first": "0",
        "seats_business": "0",
        "seats_premium_economy": "0",
        "seats_economy": seats,
    }
    response = client.post(reverse("admin:fleet_aircrafttype_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("seats_economy")
    assert not AircraftType.objects.exists()


def test_model_validation_names_each_field_out_of_range():
    existing = FlightFactory()
    flight = FlightFactory.build(
        origin=existing.origin,
        destination=existing.destination,
        aircraft_type=existing.aircraft_type,
        flight_date=dt.date(9999, 1, 1),
        capacity=32768,
    )
    with pytest.raises(ValidationError) as refused:
        flight.full_clean()
    assert {"flight_date", "capacity"} <= set(refused.value.message_dict)
    line = ScheduleLine(
        carrier="XB",
        number=1,
        origin=flight.origin,
        destination=flight.destination,
        departure_time=dt.time(7),
        arrival_time=dt.time(8),
        days_of_operation="1",
        valid_from=dt.date(1, 1, 1),
        valid_to=dt.date(9999, 12, 31),
        aircraft_type=flight.aircraft_type,
        capacity=1000,
    )
    with pytest.raises(ValidationError) as refused:
        line.full_clean()
    assert {"valid_from", "valid_to", "capacity"} <= set(refused.value.message_dict)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE fleet_flight SET capacity = 1000 WHERE id = %s",
        "UPDATE fleet_flight SET capacity = 0, seats_sold = 0 WHERE id = %s",
    ],
)
def test_the_database_refuses_a_capacity_out_of_range(sql):
    flight = FlightFactory(capacity=150)
    with pytest.raises(IntegrityError, match="flight_capacity_in_range"):
        raw_update(sql, [flight.pk])


def test_the_database_refuses_aircraft_seats_out_of_range():
    aircraft = AircraftTypeFactory()
    with pytest.raises(IntegrityError, match="aircrafttype_seats_in_range"):
        raw_update("UPDATE fleet_aircrafttype SET seats_economy = 1000 WHERE id = %s", [aircraft.pk])


def test_an_aircraft_type_whose_cabins_add_up_to_more_than_999_is_refused(client, admin_role_user):
    client.force_login(admin_role_user)
    data = {
        "code": "388",
        "name": "Airbus A380",
        "seats_first": "0",
        "seats_business": "500",
        "seats_premium_economy": "0",
        "seats_economy": "500",
    }
    response = client.post(reverse("admin:fleet_aircrafttype_add"), data)
    assert response.status_code == 200
    assert "more than 999 seats in all" in str(response.context["adminform"].form.errors.get("seats_economy"))
    assert not AircraftType.objects.exists()
