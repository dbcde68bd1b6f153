"""Report data made by the services themselves, at chosen instants.

Sales happen from late October 2020 to mid-January 2021 (business time
Europe/Paris): the autumn clock change (25 Oct 2020), ISO week 2020-W53
(28 Dec 2020 to 3 Jan 2021) and New Year fall inside.
"""

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE
from refunds import services as refunds
from refunds.models import RefundRule
from sales import services
from tests.factories import AirportFactory, FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory

PARIS = ZoneInfo("Europe/Paris")
FIRST_SALE = dt.datetime(2020, 10, 20, 8, 0, tzinfo=PARIS)
LAST_SALE = dt.datetime(2021, 1, 15, 20, 0, tzinfo=PARIS)
CONTACT = {"contact_name": "Anne Martin", "contact_email": "anne@example.com", "contact_phone": "+33 1 23 45 67 89"}


def at(day, hour, minute=0):
    """An instant given in business (Paris) time."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


@pytest.fixture(autouse=True)
def business_time_zone(settings):
    settings.BUSINESS_TIME_ZONE = "Europe/Paris"
    settings.TIME_ZONE = "Europe/Paris"


def staff(username, role):
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def network(db):
    """Three routes from CDG in February 2021, classes Y (refundable) and M, with French taxes."""
    TaxFactory(amount=Decimal("4.63"))
    TaxFactory(code="QX", name="Security", amount=Decimal("12.35"))
    cdg = AirportFactory(code="CDG", time_zone="Europe/Paris")
    economy, flex = FareClassFactory(code="Y"), FareClassFactory(code="M")
    for fare_class in (economy, flex):
        RefundRule.objects.create(
            fare_class=fare_class, cancellation_fee=Decimal("30.00"), cancellation_fee_percent=Decimal("10")
        )
    buckets = []
    for number, code in enumerate(("LHR", "FCO", "MAD")):
        destination = AirportFactory(code=code, time_zone="Europe/London" if code == "LHR" else "Europe/Rome")
        for day in range(3):
            departure = dt.datetime(2021, 2, 1 + day, 7 + number, 0, tzinfo=dt.UTC)
            flight = FlightFactory(
                number=100 + number,
                origin=cdg,
                destination=destination,
                flight_date=departure.date(),
                scheduled_departure=departure,
                scheduled_arrival=departure + dt.timedelta(hours=2),
                capacity=150,
            )
            buckets.append(FareBucketFactory(flight=flight, fare_class=economy, price=Decimal("89.90")))
            buckets.append(FareBucketFactory(flight=flight, fare_class=flex, price=Decimal("213.47")))
    return buckets


def sell(bucket, *, agent, now, passengers=1, method="cash", reference=None):
    """Book, pay and issue at `now`: the tickets."""
    booking = services.book(
        segments=[services.SegmentRequest(bucket.flight_id, bucket.fare_class.code)],
        passengers=[services.PassengerRequest(f"Martin{'x' * n}", "Anne", "MS") for n in range(passengers)],
        agent=agent,
        now=now,
        **CONTACT,
    )
    if reference is None:
        reference = "" if method == "cash" else f"REF{booking.pk}"
    services.take_payment(
        booking=booking, amount=booking.total_amount, method=method, reference=reference, agent=agent, now=now
    )
    return services.issue_tickets(booking=booking, agent=agent, now=now)


@pytest.fixture
def agents(db):
    return {
        "carl": staff("carl", COUNTER_STAFF),
        "cleo": staff("cleo", COUNTER_STAFF),
        "fay": staff("fay", FINANCE),
        "gus": staff("gus", FINANCE),
        "otto": staff("otto", ADMIN),
    }


def make_history(network, agents, *, bookings, refunds_requested, seed=20201025):
    """Bookings sold by two agents at random instants, then refunds in every status; seeded, so the same every run.

    Then the airline cancels one flight (involuntary refunds) and another departs with a no-show.
    """
    chance = random.Random(seed)
    span = (LAST_SALE - FIRST_SALE).total_seconds()
    tickets = []
    for _ in range(bookings):
        now = FIRST_SALE + dt.timedelta(seconds=chance.uniform(0, span))
        tickets += sell(
            chance.choice(network),
            agent=agents[chance.choice(["carl", "cleo"])],
            now=now,
            passengers=chance.randint(1, 4),
            method=chance.choice(["cash", "card", "bank_transfer"]),
        )
    for ticket in chance.sample(tickets, refunds_requested):
        # At the latest on 24 January 2021, a week before the first flight.
        requested = ticket.issued_at + dt.timedelta(hours=chance.uniform(1, 200))
        refund = refunds.request_refund(ticket=ticket, requested_by=ticket.issued_by, now=requested)
        outcome = chance.choice(["requested", "approved", "rejected", "paid", "paid"])
        decided = requested + dt.timedelta(hours=chance.uniform(1, 100))
        approver = agents[chance.choice(["fay", "gus"])]
        if outcome == "rejected":
            refunds.reject_refund(refund=refund, approver=approver, reason="Outside the rules", now=decided)
        elif outcome != "requested":
            refunds.approve_refund(refund=refund, approver=approver, now=decided)
        if outcome == "paid":
            refunds.mark_refund_paid(
                refund=refund,
                user=agents[chance.choice(["fay", "gus"])],
                method=chance.choice(["cash", "card", "bank_transfer"]),
                reference="PAY-1",
                now=decided + dt.timedelta(hours=chance.uniform(1, 300)),
            )
    return tickets


def cancel_and_depart(network, agents):
    """The airline cancels XB 100 on 1 Feb 2021; XB 101 that day departs, one passenger not on board."""
    cancelled, departing = network[0].flight, network[6].flight
    refunds.cancel_flight(flight=cancelled, user=agents["otto"], now=at(dt.date(2021, 1, 28), 9))
    services.depart_flight(flight=departing, agent=agents["carl"], now=departing.scheduled_departure)
    flown = departing.tickets.filter(status="flown").order_by("pk").first()
    if flown is not None:
        services.mark_no_show(tickets=[flown], agent=agents["carl"])


@pytest.fixture
def sales_history(network, agents):
    """About 250 tickets on 100 bookings, 60 refunds, a cancelled and a departed flight."""
    tickets = make_history(network, agents, bookings=100, refunds_requested=60)
    cancel_and_depart(network, agents)
    return tickets
