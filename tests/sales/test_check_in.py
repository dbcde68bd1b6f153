"""A departure's check-in, read from the clock: opens CHECK_IN_OPENS_HOURS before, closes with counter sales."""

import datetime as dt

import pytest

from fleet.models import Flight
from sales.services import check_in

DEPARTURE = dt.datetime(2021, 3, 10, 15, 0, tzinfo=dt.UTC)


def state_at(minutes_before, status=Flight.Status.SCHEDULED):
    flight = Flight(scheduled_departure=DEPARTURE, status=status)
    return check_in(flight, now=DEPARTURE - dt.timedelta(minutes=minutes_before))


@pytest.mark.parametrize(
    "minutes_before, state",
    [
        (181, "not_open"),
        (180, "open"),
        (46, "open"),
        (45, "closed"),
        (1, "closed"),
        (0, "departure_due"),
        (-120, "departure_due"),
    ],
)
def test_check_in_follows_the_clock(minutes_before, state, settings):
    settings.CHECK_IN_OPENS_HOURS = 3
    assert state_at(minutes_before).state == state


def test_the_opening_and_closing_times_are_given():
    assert state_at(200).at == DEPARTURE - dt.timedelta(hours=3)
    assert state_at(100).at == DEPARTURE - dt.timedelta(minutes=45)


def test_the_opening_is_a_setting(settings):
    settings.CHECK_IN_OPENS_HOURS = 24
    assert state_at(23 * 60).state == "open"


def test_a_departed_or_cancelled_flight_says_so_whatever_the_clock():
    assert state_at(300, Flight.Status.DEPARTED).state == "departed"
    assert state_at(-300, Flight.Status.CANCELLED).state == "cancelled"
