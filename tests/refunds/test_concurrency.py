"""Double submits and two approvers at once, on both databases (PostgreSQL row locks; SQLite BEGIN IMMEDIATE).

Each race has a control run with the locks replaced by plain reads (and, for the
double submit, the one-live-refund index dropped too): the control ends with two
outcomes or a database error in front of the user, which shows the race really races.
"""

import time

import pytest
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, connection

from backoffice.roles import FINANCE
from refunds import services
from refunds.exceptions import RefundError
from refunds.models import Refund
from sales import services as sales
from sales.models import Booking, Ticket
from sales.services import PassengerRequest as P
from tests.refunds.conftest import bucket_for
from tests.sales.race import race

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CLICKS = 6


def slow_get(queryset_factory):
    def get(pk):
        row = queryset_factory().get(pk=pk)
        time.sleep(0.1)  # the gap between reading the state and writing the decision
        return row

    return get


def unlocked(monkeypatch):
    monkeypatch.setattr(
        services,
        "_lock_ticket",
        slow_get(lambda: Ticket.objects.select_related("flight", "passenger", "fare_bucket__fare_class", "booking")),
    )
    monkeypatch.setattr(services, "_locked_refund", slow_get(lambda: Refund.objects.select_related("ticket")))
    monkeypatch.setattr(sales, "locked_booking", lambda b: Booking.objects.get(pk=getattr(b, "pk", b)))
    # The flight and bucket of the seat given back are locked before the ticket (backoffice/locks.py).
    monkeypatch.setattr(services, "_lock_seats_of", lambda tickets: None)
    rule = services.can_request_refund

    def slow_rule(*args, **kwargs):
        allowed = rule(*args, **kwargs)
        # The gap between finding no refund and writing one: wide enough that a click whose thread
        # (and connection) starts late on a loaded machine still finds none.
        time.sleep(0.3)
        return allowed

    monkeypatch.setattr(services, "can_request_refund", slow_rule)


@pytest.fixture
def sold_ticket(refundable, sell):
    bucket = bucket_for(refundable, "300.00")
    (ticket,) = sell(bucket, [P("Roy", "Ana")])
    return ticket


def double_submit(ticket, user):
    return race([lambda: services.request_refund(ticket=ticket, requested_by=user) for _ in range(CLICKS)])


def test_pressing_refund_many_times_at_once_makes_one_refund(sold_ticket, counter_user):
    results, errors = double_submit(sold_ticket, counter_user)
    assert len(results) == 1
    assert len(errors) == CLICKS - 1 and all(isinstance(e, RefundError) for e in errors), errors
    assert Refund.objects.filter(ticket=sold_ticket).count() == 1
    sold_ticket.flight.refresh_from_db()
    assert sold_ticket.flight.seats_sold == 0


@pytest.mark.postgres_only(
    "the control: under SQLite's BEGIN IMMEDIATE writers queue whole, so the unguarded race cannot race"
)
def test_control_without_lock_or_index_the_double_submit_makes_several(sold_ticket, counter_user, monkeypatch):
    unlocked(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX refund_one_live_per_ticket")
    try:
        results, errors = double_submit(sold_ticket, counter_user)
        # Without the ticket lock the clicks overlap: either several refunds stand, or the
        # losers crash into the seat counter's constraint with a database error, not a refusal.
        # Only these two outcomes show the race: anything else (a crash of another kind) fails the control.
        assert len(results) + len(errors) == CLICKS
        crashed = [e for e in errors if not isinstance(e, RefundError)]
        assert all(isinstance(e, IntegrityError) and "seats_sold" in str(e) for e in crashed), crashed
        assert Refund.objects.filter(ticket=sold_ticket).count() > 1 or crashed
    finally:
        Refund.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE UNIQUE INDEX refund_one_live_per_ticket ON refunds_refund (ticket_id) "
                "WHERE NOT (status = 'rejected')"
            )


def second_approver():
    user = User.objects.create_user("gus", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE))
    return user


def approve_and_reject_at_once(refund, first, second):
    jobs = []
    for i in range(CLICKS):
        if i % 2:
            jobs.append(lambda: services.approve_refund(refund=refund, approver=first))
        else:
            jobs.append(lambda: services.reject_refund(refund=refund, approver=second, reason="Duplicate"))
    return race(jobs)


def test_two_approvers_at_once_leave_exactly_one_decision(sold_ticket, counter_user, finance_user):
    refund = services.request_refund(ticket=sold_ticket, requested_by=counter_user)
    results, errors = approve_and_reject_at_once(refund, finance_user, second_approver())
    assert len(results) == 1
    assert all("already" in str(e) for e in errors), errors
    decisions = refund.history.exclude(status="requested").count()
    assert decisions == 1


@pytest.mark.postgres_only(
    "the control: under SQLite's BEGIN IMMEDIATE writers queue whole, so the unguarded race cannot race"
)
def test_control_without_the_lock_two_approvers_both_decide(sold_ticket, counter_user, finance_user, monkeypatch):
    refund = services.request_refund(ticket=sold_ticket, requested_by=counter_user)
    unlocked(monkeypatch)
    results, errors = approve_and_reject_at_once(refund, finance_user, second_approver())
    assert len(results) > 1
    assert refund.history.exclude(status="requested").count() > 1


def test_cancelling_a_flight_while_an_agent_issues_leaves_no_live_ticket_behind(
    refundable, counter_user, admin_role_user
):
    import threading

    from django.db import connection as main_connection
    from django.db import transaction

    from tests.sales.conftest import CONTACT

    bucket = bucket_for(refundable, "100.00")
    booking = sales.book(
        segments=[sales.SegmentRequest(bucket.flight_id, "M")],
        passengers=[P("Roy", "Ana")],
        agent=counter_user,
        **CONTACT,
    )
    sales.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
    main_connection.close()
    issued = threading.Event()

    def issue_slowly():
        try:
            with transaction.atomic():
                sales.issue_tickets(booking=booking, agent=counter_user)
                issued.set()
                time.sleep(1)  # the agent's transaction is still open when the airline cancels
        finally:
            from django.db import connection

            connection.close()

    agent = threading.Thread(target=issue_slowly)
    agent.start()
    issued.wait(10)
    services.cancel_flight(flight=bucket.flight, user=admin_role_user)
    agent.join(30)
    ticket = Ticket.objects.get(booking=booking)
    assert (ticket.status, ticket.holds_seat) == ("surrendered", False)
    assert Refund.objects.get(ticket=ticket).kind == "involuntary"
    bucket.flight.refresh_from_db()
    assert bucket.flight.seats_sold == 0
