"""A customer asks for a refund, or cancels a held booking, from their account (issue 13)."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from refunds import services as refund_services
from refunds.models import Refund, RefundRule
from sales.models import Booking, Ticket
from tests.customers.conftest import CONTACT, look_up
from tests.customers.test_accounts import open_account

pytestmark = pytest.mark.django_db


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def refundable(fare_class):
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
def customer():
    client = Client()
    user = open_account(client)
    client.user = user
    return client


def url(name, booking, **kwargs):
    return reverse(f"customers:{name}", kwargs={"booking_id": booking.pk, **kwargs})


def test_the_account_page_offers_a_refund_and_the_looked_up_page_asks_to_log_in(refundable, make_booking, customer):
    booking = make_booking("Pecheur", "Martin")
    page = text(customer.get(url("account_booking", booking)))
    assert "Ask for a refund of the whole booking" in page
    assert "Ask for a refund of passenger 1's tickets" in page and "Ask for a refund of passenger 2's tickets" in page
    anonymous = Client()
    looked_up = text(anonymous.get(look_up(anonymous, booking.record_locator, "Martin").url))
    assert "Ask for a refund" not in looked_up
    assert "first confirm that you read this booking's e-mail" in looked_up


def test_a_refund_of_the_booking_shows_the_counters_quote_then_files_the_request(
    refundable, make_booking, customer, finance_user
):
    booking = make_booking("Pecheur", "Martin")
    quotes, total = refund_services.quote_booking(booking=booking)
    page = customer.get(url("refund_booking", booking))
    assert page.status_code == 200
    shown = text(page)
    for quote in quotes:
        assert f"{quote.fee_kept:,.2f}" in shown and f"{quote.amount:,.2f}" in shown
    assert f"Total you get back {total:,.2f} EUR" in shown
    assert not Refund.objects.exists()  # a GET writes nothing

    response = customer.post(url("refund_booking", booking))
    assert response.status_code == 302 and response.url == url("account_booking", booking)
    refunds = list(Refund.objects.order_by("pk"))
    assert len(refunds) == 2
    assert {r.requested_by for r in refunds} == {customer.user}
    assert {r.status for r in refunds} == {Refund.Status.REQUESTED}
    assert sum(r.amount for r in refunds) == total
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.SURRENDERED}
    # Finance's queue has it, and Finance decides it as usual (the requester is the customer).
    refund_services.approve_refund(refund=refunds[0], approver=finance_user)

    again = customer.post(url("refund_booking", booking))
    assert again.status_code == 200
    assert "already requested" in text(again)
    assert Refund.objects.count() == 2


def test_a_refund_of_one_passengers_tickets_leaves_the_others(refundable, make_booking, customer):
    booking = make_booking("Pecheur", "Martin")
    assert "MARTIN/ANNE MS" in text(customer.get(url("refund_passenger", booking, position=2)))
    assert customer.post(url("refund_passenger", booking, position=2)).status_code == 302
    statuses = dict(booking.tickets.values_list("passenger__position", "status"))
    assert statuses == {1: Ticket.Status.OPEN, 2: Ticket.Status.SURRENDERED}
    assert Refund.objects.get().ticket.passenger.position == 2
    assert customer.get(url("refund_passenger", booking, position=7)).status_code == 404


def test_a_non_refundable_fare_shows_taxes_only(make_booking, customer, fare_class):
    RefundRule.objects.create(fare_class=fare_class, refundable=False)
    booking = make_booking()
    shown = text(customer.get(url("refund_booking", booking)))
    assert "non-refundable: only the taxes are returned" in shown


def test_a_held_unpaid_booking_is_cancelled_and_its_seats_released(make_booking, customer):
    booking = make_booking("Pecheur", issue=False)
    flight = booking.tickets.get().flight
    flight.refresh_from_db()
    sold = flight.seats_sold
    page = text(customer.get(url("account_booking", booking)))
    assert "Cancel this booking" in page and "Ask for a refund" not in page
    assert customer.post(url("cancel_hold", booking)).status_code == 302
    booking.refresh_from_db()
    flight.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert flight.seats_sold == sold - 1
    again = customer.post(url("cancel_hold", booking))
    assert again.status_code == 200 and "only a held booking is cancelled here" in text(again)


def test_a_ticketed_booking_offers_no_cancel(refundable, make_booking, customer):
    booking = make_booking()
    assert "Cancel this booking" not in text(customer.get(url("account_booking", booking)))
    refused = customer.post(url("cancel_hold", booking))
    assert refused.status_code == 200
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.TICKETED


def test_another_customers_booking_is_404_for_every_action(refundable, make_booking, customer):
    theirs = make_booking("Martin", contact={**CONTACT, "contact_email": "martin@example.com"})
    held = make_booking("Martin", issue=False, contact={**CONTACT, "contact_email": "martin@example.com"})
    for name, booking, kwargs in [
        ("refund_booking", theirs, {}),
        ("refund_passenger", theirs, {"position": 1}),
        ("cancel_hold", held, {}),
    ]:
        assert customer.get(url(name, booking, **kwargs)).status_code == 404
        assert customer.post(url(name, booking, **kwargs)).status_code == 404
    assert not Refund.objects.exists()
    assert Booking.objects.get(pk=held.pk).status == Booking.Status.HELD


def test_the_refund_form_needs_its_csrf_token(refundable, make_booking):
    booking = make_booking()
    strict = Client(enforce_csrf_checks=True)
    open_account(Client())
    strict.force_login(User.objects.get(username="zoe@example.com"))
    assert strict.post(url("refund_booking", booking)).status_code == 403
    assert not Refund.objects.exists()
