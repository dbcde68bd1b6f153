import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fleet.models import Flight
from refunds import services
from refunds.exceptions import RefundNotAllowed
from refunds.models import Refund
from sales import services as sales
from sales.exceptions import TicketNotChangeable
from sales.models import Booking, Ticket
from sales.services import PassengerRequest as P
from tests.refunds.conftest import bucket_for

pytestmark = pytest.mark.django_db

TWO = [P("Roy", "Ana"), P("Roy", "Max")]


def counters(bucket):
    bucket.refresh_from_db()
    bucket.flight.refresh_from_db()
    return bucket.flight.seats_sold, bucket.seats_sold


def test_request_releases_the_seat_and_surrenders_the_ticket(refundable, sell, counter_user):
    bucket = bucket_for(refundable, "500.00")
    first, second = sell(bucket, TWO)
    refund = services.request_refund(ticket=first, requested_by=counter_user)
    first.refresh_from_db()
    assert (refund.status, first.status, first.holds_seat) == ("requested", "surrendered", False)
    assert counters(bucket) == (1, 1)
    assert refund.history.get().history_user == counter_user
    assert Booking.objects.get().status == "ticketed"  # the other passenger still flies
    services.request_refund(ticket=second, requested_by=counter_user)
    assert Booking.objects.get().status == "cancelled"


def test_full_workflow_with_four_eyes(refundable, sell, counter_user, finance_user, second_finance_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), TWO[:1])
    refund = services.request_refund(ticket=ticket, requested_by=finance_user)
    with pytest.raises(RefundNotAllowed, match="another person must approve"):
        services.approve_refund(refund=refund, approver=finance_user)
    with pytest.raises(RefundNotAllowed, match="only an approved refund is paid"):
        services.mark_refund_paid(refund=refund, user=second_finance_user, method="cash")
    services.approve_refund(refund=refund, approver=second_finance_user)
    with pytest.raises(RefundNotAllowed, match="needs its reference"):
        services.mark_refund_paid(refund=refund, user=second_finance_user, method="card", reference=" ")
    paid = services.mark_refund_paid(refund=refund, user=finance_user, method="card", reference="RF-1")
    assert (paid.status, paid.decided_by, paid.paid_by, paid.method) == (
        "paid",
        second_finance_user,
        finance_user,
        "card",
    )
    assert [h.status for h in paid.history.order_by("history_date")] == ["requested", "approved", "paid"]
    with pytest.raises(RefundNotAllowed, match="already paid"):
        services.mark_refund_paid(refund=refund, user=finance_user, method="cash")


def test_the_database_refuses_a_self_approval_even_past_the_service(refundable, sell, counter_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), TWO[:1])
    refund = services.request_refund(ticket=ticket, requested_by=counter_user)
    with pytest.raises(IntegrityError, match="refund_four_eyes"), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(status="approved", decided_by=counter_user)


def test_rejecting_needs_a_reason_and_then_a_new_request_is_possible(refundable, sell, counter_user, finance_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), TWO[:1])
    refund = services.request_refund(ticket=ticket, requested_by=counter_user)
    with pytest.raises(RefundNotAllowed, match="reason"):
        services.reject_refund(refund=refund, approver=finance_user, reason="   ")
    refund.refresh_from_db()
    assert refund.status == "requested"
    services.reject_refund(refund=refund, approver=finance_user, reason="Passenger asked by mistake")
    with pytest.raises(RefundNotAllowed, match="already rejected"):
        services.approve_refund(refund=refund, approver=finance_user)


@pytest.mark.parametrize("state", ["voided", "refunded", "held", "flown"])
def test_refund_refused_for_tickets_that_cannot_be_refunded(refundable, sell, counter_user, state):
    bucket = bucket_for(refundable, "500.00")
    (ticket,) = sell(bucket, TWO[:1])
    if state == "voided":
        services.void_ticket(ticket=ticket, agent=counter_user)
    elif state == "refunded":
        services.request_refund(ticket=ticket, requested_by=counter_user)
    elif state == "flown":
        sales.depart_flight(flight=bucket.flight, agent=counter_user, now=bucket.flight.scheduled_departure)
    elif state == "held":
        booking = sales.book(
            segments=[sales.SegmentRequest(bucket.flight_id, "M")],
            passengers=TWO[:1],
            agent=counter_user,
            contact_name="A",
            contact_email="a@example.com",
            contact_phone="+33 1 23 45 67 89",
        )
        ticket = booking.tickets.get()
    ticket.refresh_from_db()
    before = Refund.objects.count()
    with pytest.raises(RefundNotAllowed):
        services.request_refund(ticket=ticket, requested_by=counter_user)
    assert Refund.objects.count() == before


def test_a_departed_flight_is_refunded_only_for_a_no_show(refundable, sell, counter_user):
    bucket = bucket_for(refundable, "500.00")
    flown, absent = sell(bucket, TWO)
    sales.depart_flight(flight=bucket.flight, agent=counter_user, now=bucket.flight.scheduled_departure)
    absent.refresh_from_db()
    sales.mark_no_show(tickets=[absent], agent=counter_user)
    flown.refresh_from_db()
    with pytest.raises(RefundNotAllowed, match="was flown"):
        services.request_refund(ticket=flown, requested_by=counter_user)
    with pytest.raises(RefundNotAllowed, match="was flown"):
        services.request_refund(ticket=flown, requested_by=counter_user, kind=Refund.Kind.NO_SHOW)
    refund = services.request_refund(ticket=absent, requested_by=counter_user)
    absent.refresh_from_db()
    assert (refund.kind, absent.status) == ("no_show", "no_show")
    # The aircraft left with both seats: the count does not move.
    assert counters(bucket) == (2, 2)


def test_an_open_ticket_whose_flight_left_is_refused(refundable, sell, counter_user):
    bucket = bucket_for(refundable, "500.00", dt.timedelta(days=2))
    (ticket,) = sell(bucket, TWO[:1])
    later = bucket.flight.scheduled_departure + dt.timedelta(minutes=5)
    with pytest.raises(RefundNotAllowed, match="has left"):
        services.request_refund(ticket=ticket, requested_by=counter_user, now=later)


def test_cancelling_a_flight_refunds_every_open_ticket_and_releases_seats(
    refundable, sell, counter_user, admin_role_user
):
    bucket = bucket_for(refundable, "120.00")
    sell(bucket, TWO)
    held = sales.book(
        segments=[sales.SegmentRequest(bucket.flight_id, "M")],
        passengers=TWO[:1],
        agent=counter_user,
        contact_name="A",
        contact_email="a@example.com",
        contact_phone="+33 1 23 45 67 89",
    )
    done = services.cancel_flight(flight=bucket.flight, user=admin_role_user)
    assert (done.refunds_requested, done.seats_released, done.holds_cancelled) == (2, 3, 1)
    assert counters(bucket) == (0, 0)
    assert set(Refund.objects.values_list("kind", "status", "amount")) == {
        ("involuntary", "requested", Decimal("132.35"))
    }
    held.refresh_from_db()
    assert held.status == "cancelled"
    assert bucket.flight.status == "cancelled"
    with pytest.raises(RefundNotAllowed, match="cannot be cancelled"):
        services.cancel_flight(flight=bucket.flight, user=admin_role_user)
    assert Refund.objects.count() == 2


def test_cancelling_a_flight_with_300_tickets(refundable, sell, admin_role_user):
    bucket = bucket_for(refundable, "90.00")
    bucket.flight.capacity = 300
    bucket.flight.save()
    bucket.seats_allocated = 300
    bucket.save()
    for _ in range(50):
        sell(bucket, [P("Roy", f"Ana{chr(65 + i)}") for i in range(6)])
    assert Ticket.objects.filter(flight=bucket.flight, status="open").count() == 300
    done = services.cancel_flight(flight=bucket.flight, user=admin_role_user)
    assert (done.refunds_requested, done.seats_released) == (300, 300)
    assert counters(bucket) == (0, 0)
    assert Refund.objects.filter(kind="involuntary").count() == 300
    assert Refund.history.count() == 300


def test_bulk_decisions_skip_own_requests(refundable, sell, counter_user, finance_user):
    tickets = sell(bucket_for(refundable, "100.00"), TWO)
    mine = services.request_refund(ticket=tickets[0], requested_by=finance_user)
    theirs = services.request_refund(ticket=tickets[1], requested_by=counter_user)
    done, refused = services.decide_many(refunds=[mine, theirs], approver=finance_user, approve=True)
    assert [r.pk for r in done] == [theirs.pk]
    assert [r.pk for r, _ in refused] == [mine.pk]


# --- Void: the only one requests the refund ----------------------------------------------------------


def test_there_is_one_void_and_it_requests_the_full_refund(refundable, sell, counter_user):
    # A void without its refund would keep the passenger's money (PRODUCT.md: void = full refund, no fee).
    assert not hasattr(sales, "void_ticket")
    bucket = bucket_for(refundable, "500.00")
    (ticket,) = sell(bucket, TWO[:1])
    refund = services.void_ticket(ticket=ticket, agent=counter_user)
    ticket.refresh_from_db()
    assert ticket.status == "void"
    assert (refund.kind, refund.amount, refund.fee_kept) == ("void", ticket.total_amount, Decimal("0.00"))
    assert counters(bucket) == (0, 0)
    assert Booking.objects.get(pk=ticket.booking_id).status == "cancelled"


def test_void_is_refused_the_next_business_day_and_once_the_flight_has_left(refundable, sell, counter_user):
    bucket = bucket_for(refundable, "500.00")
    (ticket,) = sell(bucket, TWO[:1])
    with pytest.raises(TicketNotChangeable, match="only tickets issued today"):
        services.void_ticket(ticket=ticket, agent=counter_user, now=ticket.issued_at + dt.timedelta(days=1))
    Flight.objects.filter(pk=bucket.flight_id).update(scheduled_departure=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(TicketNotChangeable, match="has left"):
        services.void_ticket(ticket=ticket, agent=counter_user)
    assert not Refund.objects.exists()
