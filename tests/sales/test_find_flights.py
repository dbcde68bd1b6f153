"""Find flights as a counter agent uses it, on whichever database the suite runs on.

The demo runs on SQLite: a search that only works on PostgreSQL fails the first thing an agent does.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fleet.models import Airport
from fleet.services import get_or_create_airport
from sales.selectors import airports_for
from tests.factories import FareBucketFactory, FareClassFactory, flight_leaving

pytestmark = pytest.mark.django_db

SEARCH = reverse("admin:sales_booking_search")


@pytest.fixture
def paris_london(db):
    """Two Paris airports and one London airport, flights both ways on two days."""
    cdg, ory, lhr = (get_or_create_airport(code=code, user=None) for code in ("CDG", "ORY", "LHR"))
    y = FareClassFactory(code="Y")
    out_day = timezone.localdate() + dt.timedelta(days=10)
    back_day = out_day + dt.timedelta(days=4)
    legs = [(cdg, lhr, out_day, 7, 1001), (ory, lhr, out_day, 9, 1003), (lhr, cdg, back_day, 17, 1002)]
    for origin, destination, day, hour, number in legs:
        flight = flight_leaving(day, hour, number=number, origin=origin, destination=destination)
        FareBucketFactory(flight=flight, fare_class=y, price=Decimal("120.00"))
    return out_day, back_day


def test_city_to_city_with_a_return_lists_both_ways(paris_london, counter_user, client):
    out_day, back_day = paris_london
    client.force_login(counter_user)
    response = client.get(
        SEARCH,
        {"origin": "PAR", "destination": "lon", "date": out_day, "return_date": back_day, "adults": 2, "children": 1},
    )
    assert response.status_code == 200
    outbound = [(row["flight"].origin.code, row["flight"].number) for row in response.context["outbound"]]
    inbound = [(row["flight"].origin.code, row["flight"].number) for row in response.context["inbound"]]
    assert outbound == [("CDG", 1001), ("ORY", 1003)]
    assert inbound == [("LHR", 1002)]
    html = response.content.decode()
    assert "CDG–LHR" in html and "ORY–LHR" in html and "LHR–CDG" in html
    assert "120.00 EUR" in html


def test_airport_to_airport_one_way(paris_london, counter_user, client):
    out_day, _ = paris_london
    client.force_login(counter_user)
    response = client.get(SEARCH, {"origin": "ORY", "destination": "LHR", "date": out_day, "adults": 1})
    assert response.status_code == 200
    assert [row["flight"].number for row in response.context["outbound"]] == [1003]
    assert response.context.get("inbound") is None


def test_an_unknown_code_is_a_message_on_its_field(paris_london, counter_user, client):
    out_day, _ = paris_london
    client.force_login(counter_user)
    response = client.get(SEARCH, {"origin": "PAR", "destination": "QQQ", "date": out_day, "adults": 1})
    assert response.status_code == 200
    assert "QQQ is neither an airport nor a city we know." in response.context["form"].errors["destination"][0]


def test_a_city_code_stands_for_its_airports_in_code_order(paris_london):
    assert [a.code for a in airports_for(" par ")] == ["CDG", "ORY"]
    assert [a.code for a in airports_for("LHR")] == ["LHR"]
    assert Airport.objects.count() == 3
