import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from sales import services
from sales.services import PassengerRequest, SegmentRequest
from tests.factories import FareClassFactory, TaxFactory
from tests.refunds.conftest import bucket_for

CONTACT = {"contact_name": "Zoé Pêcheur", "contact_email": "zoe@example.com", "contact_phone": "+33 6 11 22 33 44"}


@pytest.fixture
def fare_class(db):
    TaxFactory(amount=Decimal("12.35"))
    return FareClassFactory(code="M")


@pytest.fixture
def make_booking(counter_user, fare_class):
    """A booking of the given passengers (surnames), ticketed unless `issue=False`."""

    def make(*surnames, issue=True, departs_in=dt.timedelta(days=10), contact=None, price="200.00"):
        bucket = bucket_for(fare_class, price, departs_in=departs_in)
        booking = services.book(
            segments=[SegmentRequest(bucket.flight_id, fare_class.code)],
            passengers=[PassengerRequest(surname=s, given_names="Anne", title="MS") for s in surnames or ["Pêcheur"]],
            agent=counter_user,
            **(contact or CONTACT),
        )
        if issue:
            services.take_payment(
                booking=booking, amount=booking.total_amount, method="card", reference="AUTH 123456", agent=counter_user
            )
            services.issue_tickets(booking=booking, agent=counter_user)
        booking.refresh_from_db()
        return booking

    return make


def look_up(client, record_locator, surname, **extra):
    return client.post(reverse("customers:lookup"), {"record_locator": record_locator, "surname": surname}, **extra)
