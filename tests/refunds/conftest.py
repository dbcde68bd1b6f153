import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from backoffice.roles import FINANCE
from refunds.models import RefundRule
from sales import services
from tests.factories import FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory
from tests.sales.conftest import CONTACT


@pytest.fixture
def second_finance_user(db):
    user = User.objects.create_user("gus", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE))
    return user


def make_flight(departs_in=dt.timedelta(days=10), capacity=20):
    departure = timezone.now() + departs_in
    return FlightFactory(
        capacity=capacity,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(hours=2),
        flight_date=timezone.localdate(departure),
    )


@pytest.fixture
def sell(counter_user):
    """Sell and issue tickets (or only hold them): returns the booking's tickets, one per passenger and flight."""

    def sell(bucket, passengers, *more_buckets, issue=True):
        booking = services.book(
            segments=[services.SegmentRequest(b.flight_id, b.fare_class.code) for b in (bucket, *more_buckets)],
            passengers=passengers,
            agent=counter_user,
            **CONTACT,
        )
        if not issue:
            return list(booking.tickets.order_by("passenger__position", "flight__scheduled_departure"))
        services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
        return services.issue_tickets(booking=booking, agent=counter_user)

    return sell


@pytest.fixture
def refundable(db):
    """Class M: 30 cancellation fee or 10 %, 60 or 25 % within 24 h, 80 or 50 % for a no-show."""
    TaxFactory(amount=Decimal("12.35"))
    fare_class = FareClassFactory(code="M")
    RefundRule.objects.create(
        fare_class=fare_class,
        refundable=True,
        cancellation_fee=Decimal("30.00"),
        cancellation_fee_percent=Decimal("10"),
        late_window_hours=24,
        late_fee=Decimal("60.00"),
        late_fee_percent=Decimal("25"),
        no_show_fee=Decimal("80.00"),
        no_show_fee_percent=Decimal("50"),
    )
    return fare_class


@pytest.fixture
def non_refundable(db):
    TaxFactory(amount=Decimal("12.35"))
    fare_class = FareClassFactory(code="K")
    RefundRule.objects.create(fare_class=fare_class, refundable=False)
    return fare_class


def bucket_for(fare_class, price, departs_in=dt.timedelta(days=10)):
    return FareBucketFactory(flight=make_flight(departs_in), fare_class=fare_class, price=Decimal(price))
