"""Rough edges of selling at the desk (issue 8), on the refund side: ticket states, lap infants,
pressing twice, and what the pages offer."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.system import system_user
from fleet.models import Flight
from refunds import services
from refunds.models import Refund
from sales import services as sales
from sales.models import Booking, Ticket
from sales.services import PassengerRequest as P
from tests.refunds.conftest import bucket_for

pytestmark = pytest.mark.django_db

# Two adults; Ana carries Tom on her lap.
FAMILY = [P("Roy", "Ana"), P("Roy", "Max"), P("Roy", "Tom", passenger_type="INF", infant_of=1)]


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def token_for(client, url):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def page_text(client, url):
    return " ".join(re.sub(r"<[^>]+>", " ", client.get(url).content.decode()).split())


def booking_page(booking):
    return reverse("admin:sales_booking_change", args=[booking.pk])


@pytest.fixture
def sell_family(sell):
    def sell_family(*buckets, issue=True):
        return sell(*buckets[:1], FAMILY, *buckets[1:], issue=issue)[0].booking

    return sell_family


def statuses(booking):
    """{(given name, flight id): status} of every ticket of the booking."""
    return {(t.passenger.given_names, t.flight_id): t.status for t in booking.tickets.select_related("passenger").all()}


def seats_sold(bucket):
    bucket.flight.refresh_from_db()
    return bucket.flight.seats_sold


# --- A lap infant's ticket follows its adult's -------------------------------------------------------


def test_voiding_the_adults_ticket_voids_the_lap_infants_on_that_flight_only(sell_family, refundable, counter_user):
    out, back = bucket_for(refundable, "200.00"), bucket_for(refundable, "200.00", dt.timedelta(days=12))
    booking = sell_family(out, back)
    ana = booking.tickets.get(passenger__given_names="ANA", flight=out.flight)
    services.void_ticket(ticket=ana, agent=counter_user)
    f1, f2 = out.flight_id, back.flight_id
    assert statuses(booking) == {
        ("ANA", f1): "void",
        ("TOM", f1): "void",
        ("MAX", f1): "open",
        ("ANA", f2): "open",
        ("TOM", f2): "open",
        ("MAX", f2): "open",
    }
    tom = booking.tickets.get(passenger__given_names="TOM", flight=out.flight)
    assert tom.refunds.get().kind == "void" and tom.refunds.get().amount == tom.total_amount
    assert seats_sold(out) == 1


def test_refunding_the_adults_ticket_surrenders_the_lap_infants_with_its_own_refund(
    sell_family, refundable, counter_user
):
    bucket = bucket_for(refundable, "200.00")
    booking = sell_family(bucket)
    ana = booking.tickets.get(passenger__given_names="ANA")
    quotes, total = services.quote_ticket(ticket=ana)
    assert [q.ticket.passenger.given_names for q in quotes] == ["ANA", "TOM"]
    refund = services.request_refund(ticket=ana, requested_by=counter_user)
    assert refund.ticket == ana
    assert set(statuses(booking).values()) == {"surrendered", "open"}
    assert statuses(booking)["TOM", bucket.flight_id] == "surrendered"
    assert Refund.objects.filter(kind="voluntary").count() == 2
    assert sum(r.amount for r in Refund.objects.all()) == total
    assert seats_sold(bucket) == 1


def test_refunding_the_booking_refunds_each_ticket_once(sell_family, refundable, counter_user):
    bucket = bucket_for(refundable, "200.00")
    booking = sell_family(bucket)
    refunds = services.request_booking_refunds(booking=booking, requested_by=counter_user)
    assert len(refunds) == Refund.objects.count() == 3
    assert set(statuses(booking).values()) == {"surrendered"}
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_cancelling_the_flight_surrenders_the_infants_ticket_too(
    sell_family, refundable, counter_user, admin_role_user
):
    bucket = bucket_for(refundable, "200.00")
    booking = sell_family(bucket)
    services.cancel_flight(flight=bucket.flight, user=admin_role_user)
    assert set(statuses(booking).values()) == {"surrendered"}
    assert Refund.objects.filter(kind="involuntary").count() == 3


def test_cancelling_a_held_booking_or_the_adults_seat_cancels_the_infants(sell_family, refundable, counter_user):
    bucket = bucket_for(refundable, "200.00")
    booking = sell_family(bucket, issue=False)
    sales.cancel_ticket(ticket=booking.tickets.get(passenger__given_names="ANA"), agent=counter_user)
    assert statuses(booking) == {
        ("ANA", bucket.flight_id): "cancelled",
        ("TOM", bucket.flight_id): "cancelled",
        ("MAX", bucket.flight_id): "held",
    }
    other = sell_family(bucket, issue=False)
    sales.cancel_booking(booking=other, agent=counter_user)
    assert set(statuses(other).values()) == {"cancelled"}


def test_a_no_show_adults_lap_infant_is_a_no_show_and_refunded_with_them(sell_family, refundable, counter_user):
    bucket = bucket_for(refundable, "200.00")
    booking = sell_family(bucket)
    sales.depart_flight(flight=bucket.flight, agent=counter_user, now=bucket.flight.scheduled_departure)
    sales.mark_no_show(tickets=[booking.tickets.get(passenger__given_names="ANA")], agent=counter_user)
    assert statuses(booking)["TOM", bucket.flight_id] == "no_show"
    assert statuses(booking)["MAX", bucket.flight_id] == "flown"
    services.request_refund(ticket=booking.tickets.get(passenger__given_names="ANA"), requested_by=counter_user)
    assert sorted(Refund.objects.values_list("ticket__passenger__given_names", "kind")) == [
        ("ANA", "no_show"),
        ("TOM", "no_show"),
    ]


# --- Surrendered, then refunded when paid --------------------------------------------------------------


def test_a_requested_refund_surrenders_the_ticket_and_only_payment_makes_it_refunded(
    refundable, sell, counter_user, finance_user, second_finance_user
):
    bucket = bucket_for(refundable, "500.00")
    ana, max_ = sell(bucket, [P("Roy", "Ana"), P("Roy", "Max")])
    rejected = services.request_refund(ticket=ana, requested_by=counter_user)
    paid = services.request_refund(ticket=max_, requested_by=counter_user)
    for ticket in (ana, max_):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.holds_seat) == ("surrendered", False)
    assert seats_sold(bucket) == 0

    services.reject_refund(refund=rejected, approver=finance_user, reason="No receipt")
    services.approve_refund(refund=paid, approver=finance_user)
    services.mark_refund_paid(refund=paid, user=second_finance_user, method="cash")
    ana.refresh_from_db()
    max_.refresh_from_db()
    # Rejected, the ticket stays unusable; paid, it is refunded, with the payer in its history.
    assert (ana.status, max_.status) == ("surrendered", "refunded")
    assert max_.history.first().history_user == second_finance_user

    client = Client()
    client.force_login(counter_user)
    text = page_text(client, booking_page(ana.booking))
    assert f"{ana.number} ROY/ANA" in text and "Surrendered refund rejected" in text
    assert f"{max_.number} ROY/MAX" in text and "Refunded refund paid" in text
    # A surrendered ticket whose refund was rejected is not offered for refund again.
    assert (
        reverse("admin:sales_booking_refund_ticket", args=[ana.booking_id, ana.pk])
        not in client.get(booking_page(ana.booking)).content.decode()
    )


def test_the_migration_surrenders_tickets_marked_refunded_whose_refund_is_not_paid(
    refundable, sell, counter_user, finance_user, second_finance_user
):
    migration = importlib.import_module("refunds.migrations.0002_surrendered_tickets")
    bucket = bucket_for(refundable, "500.00")
    requested, rejected, paid = sell(bucket, [P("Roy", "Ana"), P("Roy", "Max"), P("Roy", "Eva")])
    for ticket in (requested, rejected, paid):
        services.request_refund(ticket=ticket, requested_by=counter_user)
    services.reject_refund(refund=rejected.refunds.get(), approver=finance_user, reason="No")
    refund = paid.refunds.get()
    services.approve_refund(refund=refund, approver=finance_user)
    services.mark_refund_paid(refund=refund, user=second_finance_user, method="cash")
    # As the old code left them: every ticket with a refund requested said "refunded".
    Ticket.objects.update(status="refunded")

    migration.surrender_unpaid(apps, None)

    assert dict(Ticket.objects.values_list("passenger__given_names", "status")) == {
        "ANA": "surrendered",
        "MAX": "surrendered",
        "EVA": "refunded",
    }
    requested.refresh_from_db()
    last = requested.history.first()
    assert (last.status, last.history_user, last.history_change_reason) == (
        "surrendered",
        system_user(),
        migration.REASON,
    )
    assert paid.history.filter(history_change_reason=migration.REASON).count() == 0


# --- Pressing twice ----------------------------------------------------------------------------------


def test_pressing_request_refund_twice_lands_on_the_refund_with_an_information_message(refundable, sell, counter_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana")])
    client = csrf_client(counter_user)
    url = reverse("admin:sales_booking_refund_ticket", args=[ticket.booking_id, ticket.pk])
    token = token_for(client, url)
    first = client.post(url, {"csrfmiddlewaretoken": token})
    second = client.post(url, {"csrfmiddlewaretoken": token})
    refund = Refund.objects.get()
    refund_page = reverse("admin:refunds_refund_change", args=[refund.pk])
    assert first["Location"] == booking_page(ticket.booking)
    assert second.status_code == 302 and second["Location"] == refund_page
    page = client.get(refund_page).content.decode()
    assert "already has a refund" in page
    assert "messagelist" not in page or "error" not in re.search(r"messagelist(.*?)</ul>", page, re.S).group(1)
    from refunds.exceptions import RefundAlreadyRequested

    with pytest.raises(RefundAlreadyRequested) as pressed:
        services.request_refund(ticket=ticket, requested_by=counter_user)
    assert pressed.value.refund == refund
    # Coming back to the quote (the back button) lands there too.
    assert client.get(url)["Location"] == refund_page


def test_pressing_void_twice_lands_on_the_void_refund(refundable, sell, counter_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana")])
    client = csrf_client(counter_user)
    url = reverse("admin:sales_booking_void_ticket", args=[ticket.booking_id, ticket.pk])
    token = token_for(client, url)
    client.post(url, {"csrfmiddlewaretoken": token})
    second = client.post(url, {"csrfmiddlewaretoken": token})
    refund = Refund.objects.get()
    assert refund.kind == "void"
    assert second["Location"] == reverse("admin:refunds_refund_change", args=[refund.pk])


def test_pressing_cancel_and_refund_twice_lands_on_the_booking_with_an_information_message(
    refundable, sell, counter_user
):
    tickets = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana"), P("Roy", "Max")])
    booking = tickets[0].booking
    client = csrf_client(counter_user)
    url = reverse("admin:sales_booking_refund", args=[booking.pk])
    token = token_for(client, url)
    client.post(url, {"csrfmiddlewaretoken": token})
    second = client.post(url, {"csrfmiddlewaretoken": token})
    assert Refund.objects.count() == 2
    assert second["Location"] == booking_page(booking)
    assert f"The refunds of {booking.record_locator} are already requested." in page_text(client, booking_page(booking))


# --- Pages offer what the services allow -------------------------------------------------------------


def test_a_cancelled_booking_shows_no_balance_due(sell_family, refundable, counter_user, client):
    bucket = bucket_for(refundable, "200.00")
    booking = sell_family(bucket, issue=False)
    client.force_login(counter_user)
    assert "Balance due" in page_text(client, booking_page(booking))
    sales.cancel_booking(booking=booking, agent=counter_user)
    text = page_text(client, booking_page(booking))
    assert "Cancelled" in text and "Balance due" not in text and "Hold deadline" not in text


def _list_cells(client, booking, column):
    html = client.get(reverse("admin:sales_booking_changelist")).content.decode()
    row = re.search(rf"<tr[^>]*>((?:(?!</tr>).)*{booking.record_locator}(?:(?!</tr>).)*)</tr>", html, re.S).group(1)
    cell = re.search(rf'<td[^>]*class="[^"]*field-{column}[^"]*"[^>]*>(.*?)</td>', row, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def test_the_bookings_list_shows_a_hold_deadline_only_for_holds_and_no_balance_for_cancelled(
    sell_family, refundable, counter_user, client
):
    bucket = bucket_for(refundable, "200.00")
    held = sell_family(bucket, issue=False)
    ticketed = sell_family(bucket)
    cancelled = sell_family(bucket, issue=False)
    sales.cancel_booking(booking=cancelled, agent=counter_user)
    client.force_login(counter_user)
    assert _list_cells(client, held, "held_until") not in ("", "-", "—")
    assert _list_cells(client, ticketed, "held_until") in ("-", "—")
    assert _list_cells(client, held, "balance") == str(held.total_amount)
    assert _list_cells(client, ticketed, "balance") == "0.00"
    assert _list_cells(client, cancelled, "balance") in ("-", "—")


def test_a_paid_hold_past_its_deadline_is_still_offered_for_issue(sell_family, refundable, counter_user, client):
    bucket = bucket_for(refundable, "200.00")
    booking = sell_family(bucket, issue=False)
    sales.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
    Booking.objects.filter(pk=booking.pk).update(hold_deadline=timezone.now() - dt.timedelta(minutes=5))
    client.force_login(counter_user)
    # issue_tickets itself accepts it (paid in full, it waits on nothing): the page asks it.
    assert reverse("admin:sales_booking_issue", args=[booking.pk]) in client.get(booking_page(booking)).content.decode()


def test_a_cancelled_flight_does_not_offer_cancel_flight(refundable, admin_role_user, client):
    bucket = bucket_for(refundable, "200.00")
    client.force_login(admin_role_user)
    flight_page = reverse("admin:fleet_flight_change", args=[bucket.flight_id])
    assert "cancel-flight" in client.get(flight_page).content.decode()
    services.cancel_flight(flight=bucket.flight, user=admin_role_user)
    assert Flight.objects.get(pk=bucket.flight_id).status == "cancelled"
    assert "cancel-flight" not in client.get(flight_page).content.decode()
    response = client.get(reverse("admin:fleet_flight_cancel_flight", args=[bucket.flight_id]))
    assert response.status_code == 302 and response["Location"] == flight_page
    assert "is cancelled: it cannot be cancelled" in page_text(client, flight_page)
