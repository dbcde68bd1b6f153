"""The database itself refuses impossible flights, even when the ORM is bypassed."""

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import FlightFactory

pytestmark = pytest.mark.django_db


def raw_update(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_seats_sold_cannot_exceed_capacity_even_in_raw_sql():
    flight = FlightFactory(capacity=150, seats_sold=150)
    with pytest.raises(IntegrityError, match="flight_seats_sold_within_capacity"):
        raw_update("UPDATE fleet_flight SET seats_sold = seats_sold + 1 WHERE id = %s", [flight.pk])
    flight.refresh_from_db()
    assert flight.seats_sold == 150


def test_capacity_cannot_drop_below_seats_sold_in_raw_sql():
    flight = FlightFactory(capacity=150, seats_sold=120)
    with pytest.raises(IntegrityError, match="flight_seats_sold_within_capacity"):
        raw_update("UPDATE fleet_flight SET capacity = 119 WHERE id = %s", [flight.pk])


def test_seats_sold_cannot_go_negative_in_raw_sql():
    flight = FlightFactory(seats_sold=0)
    with pytest.raises(IntegrityError):
        raw_update("UPDATE fleet_flight SET seats_sold = -1 WHERE id = %s", [flight.pk])


def test_arrival_must_follow_departure_in_raw_sql():
    flight = FlightFactory()
    with pytest.raises(IntegrityError, match="flight_arrival_after_departure"):
        raw_update("UPDATE fleet_flight SET scheduled_arrival = scheduled_departure WHERE id = %s", [flight.pk])


def test_origin_and_destination_differ_in_raw_sql():
    flight = FlightFactory()
    with pytest.raises(IntegrityError, match="flight_origin_differs_from_destination"):
        raw_update("UPDATE fleet_flight SET destination_id = origin_id WHERE id = %s", [flight.pk])


def test_one_flight_per_designator_date_and_leg():
    flight = FlightFactory(number=1021)
    FlightFactory(number=1021, flight_date=flight.flight_date, leg_number=2)
    FlightFactory(number=1021, suffix="A", flight_date=flight.flight_date)
    # PostgreSQL names the constraint; SQLite names its columns.
    by_name_or_columns = (
        r"flight_unique_designator_date_leg|"
        r"UNIQUE constraint failed: fleet_flight\.carrier, fleet_flight\.number, fleet_flight\.suffix, "
        r"fleet_flight\.flight_date, fleet_flight\.leg_number"
    )
    with pytest.raises(IntegrityError, match=by_name_or_columns), transaction.atomic():
        FlightFactory(number=1021, flight_date=flight.flight_date)
