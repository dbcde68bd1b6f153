"""A page offers a button exactly when the service behind it would accept the press.

Bookings in every state the counter meets; for each, every button of the booking page (and of the
refund page for Finance) is compared with what its service does when called now, in a savepoint
rolled back afterwards. A rule worked out again in a page drifts from the service's: this finds it.
"""

import datetime as dt
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.errors import DomainError
from fleet.models import Flight
from refunds import services as refunds
from refunds.models import Refund
from sales import services as sales
from sales.models import Booking, Ticket
from sales.services import PassengerRequest as P
from tests.refunds.conftest import bucket_for

pytestmark = pytest.mark.django_db

ADULT = [P("Roy", "Ana")]
FAMILY = [P("Roy", "Ana"), P("Roy", "Max"), P("Roy", "Tom", passenger_type="INF", infant_of=1)]


class _Rollback(Exception):
    pass


def accepted(operation):
    """Whether the service does it now; nothing it writes is kept."""
    try:
        with transaction.atomic():
            operation()
            raise _Rollback
    except _Rollback:
        return True
    except DomainError:
        return False


def disagreement(button, offered):
    return (
        f"{button}: the page offers it, the service refuses it"
        if offered
        else f"{button}: the page hides it, the service does it"
    )


def offered_urls(client, url):
    return set(re.findall(r'href="([^"]+)"', client.get(url).content.decode()))


def booking_buttons(booking, user):
    """{(button, ticket or None): the service call it stands for}."""
    pay = lambda: sales.take_payment(  # noqa: E731
        booking=booking, amount=Booking.objects.get(pk=booking.pk).balance_due, method="cash", agent=user
    )
    buttons = {
        ("pay", None): pay,
        ("issue", None): lambda: sales.issue_tickets(booking=booking, agent=user),
        ("cancel", None): lambda: sales.cancel_booking(booking=booking, agent=user),
        ("refund", None): lambda: refunds.request_booking_refunds(booking=booking, requested_by=user),
    }
    for ticket in booking.tickets.select_related("passenger", "flight"):
        buttons[("cancel_ticket", ticket)] = lambda t=ticket: sales.cancel_ticket(ticket=t, agent=user)
        buttons[("refund_ticket", ticket)] = lambda t=ticket: refunds.request_refund(ticket=t, requested_by=user)
        buttons[("void_ticket", ticket)] = lambda t=ticket: refunds.void_ticket(ticket=t, agent=user)
    return buttons


def button_url(name, booking, ticket):
    args = [booking.pk] if ticket is None else [booking.pk, ticket.pk]
    return reverse(f"admin:sales_booking_{name}", args=args)


def disagreements_on_booking_page(client, booking, user):
    shown = offered_urls(client, reverse("admin:sales_booking_change", args=[booking.pk]))
    booking.refresh_from_db()
    found = []
    for (name, ticket), operation in booking_buttons(booking, user).items():
        offered = button_url(name, booking, ticket) in shown
        does = accepted(operation)
        if offered != does:
            who = f" ticket of {ticket.passenger.given_names} on {ticket.flight}" if ticket else ""
            found.append(disagreement(f"{name}{who}", offered))
    return found


def move_flight(flight, departs_in):
    departure = timezone.now() + departs_in
    Flight.objects.filter(pk=flight.pk).update(
        scheduled_departure=departure, scheduled_arrival=departure + dt.timedelta(hours=2)
    )


@pytest.fixture
def desk(sell, refundable, counter_user):
    """Bookings in the states the counter meets, by name."""
    outbound = bucket_for(refundable, "200.00")
    back = bucket_for(refundable, "180.00", departs_in=dt.timedelta(days=14))

    def booking(passengers, *buckets, issue=True):
        return sell(buckets[0], passengers, *buckets[1:], issue=issue)[0].booking

    def pay(booking):
        sales.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
        return booking

    states = {
        "held": booking(FAMILY, outbound, back, issue=False),
        "paid hold": pay(booking(FAMILY, outbound, back, issue=False)),
        "paid hold past its deadline": pay(booking(ADULT, outbound, issue=False)),
        "ticketed today": booking(FAMILY, outbound, back),
        "ticketed yesterday": booking(ADULT, outbound, back),
        "one ticket refunded": booking(FAMILY, outbound, back),
        "cancelled": booking(ADULT, outbound, issue=False),
        "lapsed hold": booking(ADULT, outbound, issue=False),
    }
    Booking.objects.filter(pk__in=[states["paid hold past its deadline"].pk, states["lapsed hold"].pk]).update(
        hold_deadline=timezone.now() - dt.timedelta(minutes=5)
    )
    Ticket.objects.filter(booking=states["ticketed yesterday"]).update(issued_at=timezone.now() - dt.timedelta(days=1))
    first = states["one ticket refunded"].tickets.order_by("pk").first()
    refunds.request_refund(ticket=first, requested_by=counter_user)
    sales.cancel_booking(booking=states["cancelled"], agent=counter_user)

    # The outbound of this return trip has left by the clock, not yet marked departed.
    leaving = bucket_for(refundable, "150.00", departs_in=dt.timedelta(days=2))
    states["outbound left"] = booking(FAMILY, leaving, back)
    move_flight(leaving.flight, -dt.timedelta(minutes=10))
    return states


def test_the_booking_page_offers_exactly_what_the_services_accept(desk, counter_user, client):
    client.force_login(counter_user)
    found = [
        f"{state}: {line}"
        for state, booking in desk.items()
        for line in disagreements_on_booking_page(client, booking, counter_user)
    ]
    if found:
        pytest.fail("\n".join(found), pytrace=False)


def test_the_refund_page_offers_exactly_what_the_services_accept(
    sell, refundable, counter_user, finance_user, second_finance_user, client
):
    bucket = bucket_for(refundable, "200.00")
    tickets = [t for t in sell(bucket, ADULT * 1) + sell(bucket, ADULT) + sell(bucket, ADULT)]
    requested_by_counter = refunds.request_refund(ticket=tickets[0], requested_by=counter_user)
    requested_by_finance = refunds.request_refund(ticket=tickets[1], requested_by=finance_user)
    approved = refunds.approve_refund(
        refund=refunds.request_refund(ticket=tickets[2], requested_by=counter_user), approver=second_finance_user
    )
    client.force_login(finance_user)
    found = []
    for refund in (requested_by_counter, requested_by_finance, approved):
        shown = offered_urls(client, reverse("admin:refunds_refund_change", args=[refund.pk]))
        buttons = {
            "approve": lambda r=refund: refunds.approve_refund(refund=r, approver=finance_user),
            "reject": lambda r=refund: refunds.reject_refund(refund=r, approver=finance_user, reason="Checked."),
            "pay": lambda r=refund: refunds.mark_refund_paid(refund=r, user=finance_user, method="cash"),
        }
        for name, operation in buttons.items():
            offered = reverse(f"admin:refunds_refund_{name}", args=[refund.pk]) in shown
            if offered != accepted(operation):
                found.append(f"{name} of the refund {Refund.objects.get(pk=refund.pk).status}: page and service differ")
    if found:
        pytest.fail("\n".join(found), pytrace=False)


def test_the_flight_pages_offer_exactly_what_the_services_accept(sell, refundable, admin_role_user, counter_user):
    flights = {
        "in ten days": bucket_for(refundable, "200.00").flight,
        "leaving in half an hour": bucket_for(refundable, "200.00", departs_in=dt.timedelta(days=3)).flight,
        "left, with a seat still held": bucket_for(refundable, "200.00", departs_in=dt.timedelta(days=3)).flight,
        "left": bucket_for(refundable, "200.00", departs_in=dt.timedelta(days=3)).flight,
        "cancelled": bucket_for(refundable, "200.00").flight,
        "departed": bucket_for(refundable, "200.00", departs_in=dt.timedelta(days=3)).flight,
    }
    sell(flights["left, with a seat still held"].fare_buckets.get(), ADULT, issue=False)
    for name, departs_in in [
        ("leaving in half an hour", dt.timedelta(minutes=30)),
        ("left, with a seat still held", -dt.timedelta(minutes=10)),
        ("left", -dt.timedelta(minutes=10)),
        ("departed", -dt.timedelta(minutes=10)),
    ]:
        move_flight(flights[name], departs_in)
    refunds.cancel_flight(flight=flights["cancelled"], user=admin_role_user)
    sales.depart_flight(flight=Flight.objects.get(pk=flights["departed"].pk), agent=admin_role_user)

    admin, counter = Client(), Client()
    admin.force_login(admin_role_user)
    counter.force_login(counter_user)
    found = []
    for name, flight in flights.items():
        flight = Flight.objects.get(pk=flight.pk)
        flight_page = admin.get(reverse("admin:fleet_flight_change", args=[flight.pk])).content.decode()
        departure_page = counter.get(reverse("admin:fleet_flight_departure", args=[flight.pk]), follow=True)
        buttons = {
            "cancel flight": (
                reverse("admin:fleet_flight_cancel_flight", args=[flight.pk]) in flight_page,
                lambda f=flight: refunds.cancel_flight(flight=f, user=admin_role_user),
            ),
            "confirm departure": (
                'value="depart"' in departure_page.content.decode(),
                lambda f=flight: sales.depart_flight(flight=f, agent=counter_user),
            ),
        }
        for button, (offered, operation) in buttons.items():
            does = accepted(operation)
            if offered != does:
                found.append(disagreement(f"{name}: {button}", offered))
    if found:
        pytest.fail("\n".join(found), pytrace=False)
