"""What comes back, worked out by hand for each case."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from refunds import services
from refunds.models import Refund
from sales import services as sales
from sales.models import Passenger
from sales.services import PassengerRequest as P
from tests.refunds.conftest import bucket_for

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")
ADULT = [P("Roy", "Ana")]
FAMILY = [P("Roy", "Ana"), P("Roy", "Tom", "", Passenger.Type.CHILD), P("Roy", "Lou", "", Passenger.Type.INFANT, 1)]


@pytest.mark.parametrize(
    "price, departs_in, fare, fee, taxes, amount",
    [
        # 10 % of 500 = 50 beats the 30 fixed fee.
        ("500.00", dt.timedelta(days=10), "500.00", "50.00", "12.35", "462.35"),
        # 10 % of 200 = 20: the 30 fixed fee is higher.
        ("200.00", dt.timedelta(days=10), "200.00", "30.00", "12.35", "182.35"),
        # Inside 24 h: late fee, 25 % of 500 = 125 beats 60.
        ("500.00", dt.timedelta(hours=20), "500.00", "125.00", "12.35", "387.35"),
        # Inside 24 h on a small fare: the 60 fixed late fee.
        ("100.00", dt.timedelta(hours=20), "100.00", "60.00", "12.35", "52.35"),
        # A fee never takes more than the fare: 30 on a 20 fare keeps 20.
        ("20.00", dt.timedelta(days=10), "20.00", "20.00", "12.35", "12.35"),
        # Half-up to the cent: 10 % of 333.35 = 33.335 -> 33.34.
        ("333.35", dt.timedelta(days=10), "333.35", "33.34", "12.35", "312.36"),
    ],
)
def test_voluntary_refund_of_a_refundable_fare(refundable, sell, price, departs_in, fare, fee, taxes, amount):
    (ticket,) = sell(bucket_for(refundable, price, departs_in), ADULT)
    quote = services.quote(ticket=ticket)
    assert quote.kind == Refund.Kind.VOLUNTARY
    assert (quote.fare_paid, quote.fee_kept, quote.taxes_returned, quote.amount) == tuple(
        Decimal(x) for x in (fare, fee, taxes, amount)
    )


def test_non_refundable_fare_returns_its_taxes_only(non_refundable, sell):
    (ticket,) = sell(bucket_for(non_refundable, "180.00"), ADULT)
    quote = services.quote(ticket=ticket)
    assert (quote.fee_kept, quote.amount) == (Decimal("180.00"), Decimal("12.35"))
    assert "non-refundable" in quote.explanation


def test_fare_class_without_a_rule_is_non_refundable(sell, db):
    from tests.factories import FareClassFactory, TaxFactory

    TaxFactory(amount=Decimal("5.00"))
    (ticket,) = sell(bucket_for(FareClassFactory(code="Q"), "99.00"), ADULT)
    assert services.quote(ticket=ticket).amount == Decimal("5.00")


def test_child_and_infant_fares_use_their_own_fare_and_taxes(refundable, sell):
    adult, child, infant = sell(bucket_for(refundable, "400.00"), FAMILY)
    # Adult 400: fee max(30, 40) = 40 -> 360 + 12.35.
    assert services.quote(ticket=adult).amount == Decimal("372.35")
    # Child 300: fee max(30, 30) = 30 -> 270 + 12.35.
    assert services.quote(ticket=child).amount == Decimal("282.35")
    # Infant 40, no taxes: the 30 fixed fee beats 4 -> 10.
    quote = services.quote(ticket=infant)
    assert (quote.fare_paid, quote.fee_kept, quote.taxes_returned, quote.amount) == (
        Decimal("40.00"),
        Decimal("30.00"),
        Decimal("0.00"),
        Decimal("10.00"),
    )


def test_no_show_fee(refundable, sell, counter_user):
    bucket = bucket_for(refundable, "300.00")
    (ticket,) = sell(bucket, ADULT)
    sales.depart_flight(flight=bucket.flight, agent=counter_user, now=bucket.flight.scheduled_departure)
    ticket.refresh_from_db()
    sales.mark_no_show(tickets=[ticket], agent=counter_user)
    ticket.refresh_from_db()
    quote = services.quote(ticket=ticket)
    # max(80, 50 % of 300 = 150) = 150 -> 150 + 12.35.
    assert (quote.kind, quote.fee_kept, quote.amount) == (Refund.Kind.NO_SHOW, Decimal("150.00"), Decimal("162.35"))


def test_void_returns_everything(refundable, sell, counter_user):
    (ticket,) = sell(bucket_for(refundable, "250.00"), ADULT)
    refund = services.void_ticket(ticket=ticket, agent=counter_user)
    assert (refund.kind, refund.fee_kept, refund.amount) == (Refund.Kind.VOID, Decimal("0.00"), Decimal("262.35"))


def test_involuntary_returns_everything_even_on_a_non_refundable_fare(non_refundable, sell, admin_role_user):
    bucket = bucket_for(non_refundable, "180.00")
    (ticket,) = sell(bucket, ADULT)
    services.cancel_flight(flight=bucket.flight, user=admin_role_user)
    refund = Refund.objects.get(ticket=ticket)
    assert (refund.kind, refund.fee_kept, refund.amount) == (
        Refund.Kind.INVOLUNTARY,
        Decimal("0.00"),
        ticket.total_amount,
    )


def test_a_refund_never_exceeds_what_the_ticket_cost(refundable, sell, counter_user):
    # The 30 fee keeps no more than a fare of 0: the taxes come back, and nothing more.
    (ticket,) = sell(bucket_for(refundable, "0.00"), ADULT)
    quote = services.quote(ticket=ticket)
    assert (quote.fee_kept, quote.amount) == (Decimal("0.00"), Decimal("12.35"))
    refund = services.request_refund(ticket=ticket, requested_by=counter_user)
    assert refund.ticket_total == ticket.total_amount == Decimal("12.35")
    # The rule itself lives in the database: figures that add up but return a cent more than was paid
    # are refused, whoever writes them.
    with pytest.raises(IntegrityError, match="refund_not_above_paid"), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(
            fare_paid=Decimal("12.36"), fee_kept=ZERO, taxes_returned=ZERO, amount=Decimal("12.36")
        )
    refund.refresh_from_db()
    assert refund.amount == Decimal("12.35")


def test_the_late_window_is_measured_from_now(refundable, sell):
    (ticket,) = sell(bucket_for(refundable, "500.00", dt.timedelta(days=3)), ADULT)
    early = services.quote(ticket=ticket)
    late = services.quote(ticket=ticket, now=ticket.flight.scheduled_departure - dt.timedelta(hours=23))
    assert (early.fee_kept, late.fee_kept) == (Decimal("50.00"), Decimal("125.00"))
    assert "late cancellation fee" in late.explanation and "late" not in early.explanation
    # One hour before the window: still the ordinary fee.
    before = services.quote(ticket=ticket, now=ticket.flight.scheduled_departure - dt.timedelta(hours=25))
    assert before.fee_kept == Decimal("50.00")
