import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fleet.models import Flight
from sales import services
from sales.exceptions import (
    BucketClosed,
    FlightNotBookable,
    HoldExpired,
    InvalidBooking,
    NotFullyPaid,
    PaymentRefused,
    SoldOut,
    TicketNotChangeable,
)
from sales.models import Booking, FareBucket, Passenger, Payment, Ticket
from sales.services import PassengerRequest as P
from tests.factories import FareBucketFactory, FareClassFactory, FlightFactory
from tests.sales.conftest import adults

pytestmark = pytest.mark.django_db


def counts(flight, bucket):
    flight.refresh_from_db()
    bucket.refresh_from_db()
    return flight.seats_sold, bucket.seats_sold


def test_booking_takes_seats_and_freezes_prices(economy, book_on, counter_user):
    family = [
        P("Martin", "Anne", "MS"),
        P("Martin", "Léo", "MSTR", Passenger.Type.CHILD),
        P("Martin", "Zoé", "MISS", Passenger.Type.INFANT, infant_of=1),
    ]
    booking = book_on(economy, passengers=family)
    assert booking.status == Booking.Status.HELD
    assert len(booking.record_locator) == 6 and not set(booking.record_locator) & set("01IO")
    tickets = {t.passenger.passenger_type: t for t in booking.tickets.select_related("passenger")}
    assert tickets["ADT"].fare_amount == Decimal("100.00") and tickets["ADT"].tax_amount == Decimal("4.63")
    assert tickets["CHD"].fare_amount == Decimal("75.00") and tickets["CHD"].tax_amount == Decimal("4.63")
    assert tickets["INF"].fare_amount == Decimal("10.00") and tickets["INF"].tax_amount == Decimal("0.00")
    assert booking.total_amount == Decimal("194.26")
    assert [line.code for line in tickets["ADT"].tax_lines.all()] == ["FR"]
    # The infant takes no seat.
    assert counts(economy.flight, economy) == (2, 2)
    assert Passenger.objects.get(given_names="ZOE").iata_name == "MARTIN/ZOE MISS"
    assert Passenger.objects.get(given_names="LEO").infant_of is None
    assert booking.history.get().history_user == counter_user

    # A price change afterwards does not touch what was sold.
    FareBucket.objects.filter(pk=economy.pk).update(price=Decimal("500.00"))
    assert Ticket.objects.get(pk=tickets["ADT"].pk).fare_amount == Decimal("100.00")


def test_price_rounds_half_up_to_the_cent(flight, book_on):
    bucket = FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="M"), price=Decimal("100.10"))
    booking = book_on(bucket, passengers=[P("Roy", "Ana"), P("Roy", "Tom", "", Passenger.Type.CHILD)])
    child = booking.tickets.get(passenger__passenger_type="CHD")
    assert child.fare_amount == Decimal("75.08")  # 75.075 -> 75.08


def test_payment_then_issue_numbers_the_tickets(economy, book_on, counter_user, settings):
    booking = book_on(economy, passengers=adults(2))
    with pytest.raises(NotFullyPaid):
        services.issue_tickets(booking=booking, agent=counter_user)
    with pytest.raises(PaymentRefused, match="above the balance due of 209.26"):
        services.take_payment(booking=booking, amount="209.27", method="cash", agent=counter_user)
    with pytest.raises(PaymentRefused, match="one payment of its balance due, 209.26"):
        services.take_payment(booking=booking, amount="100.00", method="cash", agent=counter_user)
    services.take_payment(booking=booking, amount="209.26", method="card", reference="AUTH 1234", agent=counter_user)
    # Paid in full, it waits for its tickets even past the hold deadline.
    later = booking.hold_deadline + dt.timedelta(minutes=5)
    from backoffice.system import system_user

    assert services.expire_holds(user=system_user(), now=later) == 0
    tickets = services.issue_tickets(booking=booking, agent=counter_user, now=later)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.TICKETED and booking.balance_due == 0
    numbers = [t.number for t in tickets]
    assert all(len(n) == 13 and n.startswith(settings.TICKET_ACCOUNTING_CODE) for n in numbers)
    assert len(set(numbers)) == 2
    assert {t.status for t in Ticket.objects.filter(booking=booking)} == {"open"}
    with pytest.raises(TicketNotChangeable, match="already issued"):
        services.issue_tickets(booking=booking, agent=counter_user)


def test_card_payment_needs_a_reference_and_nothing_is_written(economy, book_on, counter_user):
    booking = book_on(economy)
    with pytest.raises(PaymentRefused, match="reference"):
        services.take_payment(booking=booking, amount=booking.total_amount, method="card", agent=counter_user)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1e400"])
def test_a_bad_amount_is_refused(economy, book_on, counter_user, amount):
    booking = book_on(economy)
    with pytest.raises(PaymentRefused):
        services.take_payment(booking=booking, amount=amount, method="cash", agent=counter_user)
    assert not Payment.objects.exists()


def test_sold_out_and_closed_bucket_write_nothing(economy, book_on):
    book_on(economy, passengers=adults(9))
    with pytest.raises(SoldOut, match="1 seat left; 2 asked for"):
        book_on(economy, passengers=adults(2))
    assert Booking.objects.count() == 1
    closed = FareBucketFactory(flight=economy.flight, fare_class=FareClassFactory(code="B"), seats_allocated=0)
    with pytest.raises(BucketClosed, match="Class B .* is closed"):
        book_on(closed)
    assert Booking.objects.count() == 1 and Ticket.objects.count() == 9
    assert counts(economy.flight, economy) == (9, 9)


def test_booking_is_all_or_nothing_across_flights(economy, book_on):
    other = FlightFactory(
        capacity=1,
        scheduled_departure=economy.flight.scheduled_arrival + dt.timedelta(hours=2),
        scheduled_arrival=economy.flight.scheduled_arrival + dt.timedelta(hours=4),
        origin=economy.flight.destination,
        destination=economy.flight.origin,
        flight_date=economy.flight.flight_date,
    )
    back = FareBucketFactory(flight=other, fare_class=economy.fare_class)
    with pytest.raises(SoldOut):
        book_on(economy, back, passengers=adults(2))
    assert counts(economy.flight, economy) == (0, 0)
    assert not Booking.objects.exists() and not Passenger.objects.exists()


@pytest.mark.parametrize(
    "passengers, message, at_fault",
    [
        ([], "at least one passenger", (None, "passengers")),
        (adults(10), "at most 9 passengers", (None, "passengers")),
        ([P("Solo", "Baby", "", Passenger.Type.INFANT, infant_of=1)], "lap of an adult", (1, "infant_of")),
        (
            [P("A", "B"), P("C", "D", "", Passenger.Type.INFANT, 1), P("E", "F", "", Passenger.Type.INFANT, 1)],
            "already has an infant",
            (3, "infant_of"),
        ),
        ([P("Ann", "B"), P("R2D2", "Anne")], "Passenger 2 surname: only letters", (2, "surname")),
        ([P("Martin", "")], "Passenger 1 given names: enter a name", (1, "given_names")),
        ([P("Martin", "Anne", "KING")], "title must be one of", (1, "title")),
    ],
)
def test_bad_passengers_are_refused_naming_the_passenger(economy, book_on, passengers, message, at_fault):
    with pytest.raises(InvalidBooking, match=message) as refused:
        book_on(economy, passengers=passengers)
    # The refusal carries the passenger and the field as data, for the page to put it on that field.
    assert (refused.value.passenger, refused.value.field) == at_fault
    assert not Booking.objects.exists()


def test_departed_cancelled_and_closing_flights_are_not_sold(economy, book_on):
    Flight.objects.filter(pk=economy.flight_id).update(status="cancelled")
    with pytest.raises(FlightNotBookable, match="cancelled"):
        book_on(economy)
    Flight.objects.filter(pk=economy.flight_id).update(
        status="scheduled", scheduled_departure=timezone.now() + dt.timedelta(minutes=30)
    )
    with pytest.raises(FlightNotBookable, match="closed"):
        book_on(economy)
    assert not Booking.objects.exists()


def test_hold_deadline_is_never_later_than_two_hours_before_departure(economy, book_on):
    Flight.objects.filter(pk=economy.flight_id).update(
        scheduled_departure=timezone.now() + dt.timedelta(hours=5),
        scheduled_arrival=timezone.now() + dt.timedelta(hours=6),
    )
    booking = book_on(economy)
    economy.flight.refresh_from_db()
    assert booking.hold_deadline == economy.flight.scheduled_departure - dt.timedelta(hours=2)
    Flight.objects.filter(pk=economy.flight_id).update(
        scheduled_departure=timezone.now() + dt.timedelta(minutes=90),
    )
    with pytest.raises(FlightNotBookable, match="only with payment now"):
        book_on(economy)


def test_cancel_held_booking_releases_seats(economy, book_on, counter_user):
    booking = book_on(economy, passengers=adults(3))
    services.cancel_booking(booking=booking, agent=counter_user)
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert counts(economy.flight, economy) == (0, 0)
    assert set(booking.tickets.values_list("status", flat=True)) == {"cancelled"}


def test_cancel_one_ticket_reprices_the_booking(economy, book_on, counter_user):
    booking = book_on(economy, passengers=adults(2))
    ticket = booking.tickets.first()
    services.cancel_ticket(ticket=ticket, agent=counter_user)
    booking.refresh_from_db()
    assert booking.total_amount == Decimal("104.63")
    assert counts(economy.flight, economy) == (1, 1)


def test_expired_hold_releases_seats_and_refuses_payment(economy, book_on, counter_user):
    booking = book_on(economy, passengers=adults(2))
    later = booking.hold_deadline + dt.timedelta(minutes=1)
    with pytest.raises(HoldExpired):
        services.take_payment(
            booking=booking, amount=booking.total_amount, method="cash", agent=counter_user, now=later
        )
    from backoffice.system import system_user

    assert services.expire_holds(user=system_user(), now=later) == 1
    assert services.expire_holds(user=system_user(), now=later) == 0
    booking.refresh_from_db()
    assert booking.status == "expired"
    assert counts(economy.flight, economy) == (0, 0)
    with pytest.raises(HoldExpired):
        services.issue_tickets(booking=booking, agent=counter_user, now=later)


def test_departure_flies_open_tickets_and_no_show_follows(economy, book_on, counter_user):
    booking = book_on(economy, passengers=adults(2))
    services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
    first, second = services.issue_tickets(booking=booking, agent=counter_user)
    with pytest.raises(TicketNotChangeable, match="has not departed"):
        services.mark_no_show(tickets=[first], agent=counter_user)
    at_departure = economy.flight.scheduled_departure
    assert services.depart_flight(flight=economy.flight, agent=counter_user, now=at_departure) == 2
    services.mark_no_show(tickets=[second], agent=counter_user)
    assert dict(Ticket.objects.values_list("pk", "status")) == {first.pk: "flown", second.pk: "no_show"}
    # The seats stay sold: the aircraft left with them.
    assert counts(economy.flight, economy) == (2, 2)
    with pytest.raises(TicketNotChangeable, match="only a held booking"):
        services.cancel_booking(booking=booking, agent=counter_user)


def test_pay_now_sells_inside_two_hours_of_departure(economy, counter_user):
    Flight.objects.filter(pk=economy.flight_id).update(
        scheduled_departure=timezone.now() + dt.timedelta(minutes=90),
        scheduled_arrival=timezone.now() + dt.timedelta(minutes=170),
    )
    from tests.sales.conftest import CONTACT

    booking = services.pay_now(
        segments=[services.SegmentRequest(economy.flight_id, "Y")],
        passengers=adults(1),
        agent=counter_user,
        method="cash",
        **CONTACT,
    )
    assert booking.status == "ticketed"


def test_pay_now_is_one_operation_that_keeps_nothing_when_the_payment_is_refused(economy, counter_user):
    from tests.sales.conftest import CONTACT

    sale = {
        "segments": [services.SegmentRequest(economy.flight_id, "Y")],
        "passengers": adults(2),
        "agent": counter_user,
        **CONTACT,
    }
    with pytest.raises(PaymentRefused) as refused:
        services.pay_now(**sale, method="card", reference="")
    assert refused.value.field == "reference"
    economy.flight.refresh_from_db()
    assert (Booking.objects.count(), economy.flight.seats_sold) == (0, 0)

    booking = services.pay_now(**sale, method="card", reference="AUTH 123")
    assert booking.status == "ticketed" and booking.balance_due == 0
    assert [t.status for t in booking.tickets.all()] == ["open", "open"]
