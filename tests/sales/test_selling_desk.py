"""Rough edges of selling at the desk (issue 8): the quote before "Book".

Refusals as a banner: tests/sales/test_counter_admin.py, the sold-out fare."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from bench.booking_form import TypedPassenger, booking_form_data
from fleet.models import Airport
from sales.models import Booking
from tests.factories import FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory
from tests.sales import test_counter_admin
from tests.sales.test_counter_admin import MARIE_CONTACT, NEW, csrf_client, post_with_csrf

network = test_counter_admin.network  # the counter's network of flights, as a fixture here too

pytestmark = pytest.mark.django_db


FAMILY = [
    TypedPassenger("Pêcheur", "Élodie"),
    TypedPassenger("O'Brien", "Sean"),
    TypedPassenger("Pêcheur", "Léa", passenger_type="CHD"),
    TypedPassenger("Pêcheur", "Tom", passenger_type="INF", infant_of=1),
]


def family_form(outbound, inbound):
    """Two adults, a child and a lap infant, out and back in class Y."""
    return booking_form_data([f"{outbound.pk}:Y", f"{inbound.pk}:Y"], FAMILY, **MARIE_CONTACT)


@pytest.fixture
def return_trip(network):
    day, flights = network
    outbound = flights[0]
    lhr, cdg = Airport.objects.get(code="LHR"), Airport.objects.get(code="CDG")
    departure = outbound.scheduled_departure + dt.timedelta(days=3)
    inbound = FlightFactory(
        number=1100,
        origin=lhr,
        destination=cdg,
        flight_date=day + dt.timedelta(days=3),
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(minutes=80),
    )
    FareBucketFactory(flight=inbound, fare_class=FareClassFactory(code="Y"), price=Decimal("150.00"))
    # Besides the French 4.63 of the network: a tax of one airport, and one of the other country.
    TaxFactory(code="QX", name="CDG charge", amount=Decimal("10.00"), departure_country="", departure_airport=cdg)
    TaxFactory(code="UB", name="UK passenger charge", amount=Decimal("20.00"), departure_country="GB")
    return outbound, inbound


# Adult: 150 + 4.63 + 10.00 out, 150 + 20.00 back; child 75 %: 112.50 + 14.63, 112.50 + 20.00;
# infant 10 %, no taxes: 15.00 each way.
FAMILY_TOTAL = Decimal("958.89")


def test_the_booking_form_quotes_the_price_before_book_and_the_booking_costs_exactly_that(return_trip, counter_user):
    outbound, inbound = return_trip
    client = csrf_client(counter_user)
    data = family_form(outbound, inbound)
    page = client.get(NEW, data)
    html = page.content.decode()
    assert page.status_code == 200
    quote = re.search(r'<table class="bo-table" id="booking-quote">(.*?)</table>', html, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", quote).split())
    # Per passenger type, fare and taxes per flight, in the currency, before anything is booked.
    assert "Adult (12+) 150.00 FR 4.63 + QX 10.00 164.63 × 2 329.26 EUR" in text
    assert "Child (2-11) 112.50 FR 4.63 + QX 10.00 127.13 × 1 127.13 EUR" in text
    assert "Adult (12+) 150.00 UB 20.00 170.00 × 2 340.00 EUR" in text
    assert "Infant (under 2, on lap) 15.00 none 15.00 × 1 15.00 EUR" in text
    assert f"Total {FAMILY_TOTAL} EUR" in text
    assert html.index('id="booking-quote"') < html.rindex('type="submit"')
    assert not Booking.objects.exists()

    response = post_with_csrf(client, NEW, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    booking = Booking.objects.get()
    assert booking.total_amount == FAMILY_TOTAL
    assert sum(t.total_amount for t in booking.tickets.all()) == FAMILY_TOTAL
