import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from sales.services import PassengerRequest, SegmentRequest
from tests.factories import FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory


def adults(count):
    return [PassengerRequest(surname=f"Martin{'x' * i}", given_names="Anne", title="MS") for i in range(count)]


CONTACT = {"contact_name": "Anne Martin", "contact_email": "anne@example.com", "contact_phone": "+33 1 23 45 67 89"}


@pytest.fixture
def flight(db):
    departure = timezone.now() + dt.timedelta(days=10)
    return FlightFactory(
        capacity=10,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(hours=1, minutes=15),
        flight_date=timezone.localdate(departure),
    )


@pytest.fixture
def economy(flight):
    TaxFactory()
    return FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Y"), price=Decimal("100.00"))


@pytest.fixture
def book_on(counter_user):
    """Book adults on buckets as the counter agent."""
    from sales import services

    def book(*buckets, passengers=None, **kwargs):
        return services.book(
            segments=[SegmentRequest(flight_id=b.flight_id, fare_class=b.fare_class.code) for b in buckets],
            passengers=adults(1) if passengers is None else passengers,
            agent=kwargs.pop("agent", counter_user),
            **{**CONTACT, **kwargs},
        )

    return book
