"""Refunds through the admin: the counter's quote step, finance's queue and decisions, the airline's cancellation."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from refunds import services
from refunds.models import Refund
from sales.models import Booking, Ticket
from sales.services import PassengerRequest as P
from tests.refunds.conftest import bucket_for

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:refunds_refund_changelist")


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post_with_csrf(client, url, data, page_url=None):
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def test_counter_cancels_a_paid_booking_through_the_quote(refundable, sell, counter_user):
    bucket = bucket_for(refundable, "500.00")
    tickets = sell(bucket, [P("Roy", "Ana"), P("Roy", "Max")])
    booking = tickets[0].booking
    client = csrf_client(counter_user)
    page = client.get(reverse("admin:sales_booking_change", args=[booking.pk])).content.decode()
    assert reverse("admin:sales_booking_refund", args=[booking.pk]) in page

    url = reverse("admin:sales_booking_refund", args=[booking.pk])
    quote = client.get(url).content.decode()
    # 10 % of 500 beats the 30 fixed fee: 450 + 12.35 taxes back per ticket, 924.70 in all.
    assert "50.00" in quote and "462.35" in quote and "924.70" in quote
    assert not Refund.objects.exists()  # a quote writes nothing

    response = post_with_csrf(client, url, {})
    assert response.status_code == 302
    assert Refund.objects.count() == 2
    assert set(Ticket.objects.values_list("status", flat=True)) == {"surrendered"}
    assert Booking.objects.get().status == "cancelled"
    bucket.flight.refresh_from_db()
    assert bucket.flight.seats_sold == 0
    page = client.get(response["Location"]).content.decode()
    assert "2 refund(s) requested, 924.70 EUR in all." in page


def test_counter_refunds_one_ticket_after_the_quote(refundable, sell, counter_user):
    first, second = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana"), P("Roy", "Max")])
    client = csrf_client(counter_user)
    url = reverse("admin:sales_booking_refund_ticket", args=[first.booking_id, first.pk])
    post_with_csrf(client, url, {})
    assert Refund.objects.get().ticket == first
    second.refresh_from_db()
    assert second.status == "open"
    # A second press lands on the refund that exists and says so.
    response = client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert Refund.objects.count() == 1
    assert response["Location"] == reverse("admin:refunds_refund_change", args=[Refund.objects.get().pk])
    assert "already has a refund" in client.get(response["Location"]).content.decode()


def test_void_from_the_booking_page_requests_the_full_refund(refundable, sell, counter_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana")])
    client = csrf_client(counter_user)
    post_with_csrf(client, reverse("admin:sales_booking_void_ticket", args=[ticket.booking_id, ticket.pk]), {})
    refund = Refund.objects.get()
    assert (refund.kind, refund.amount) == ("void", Decimal("512.35"))


def test_finance_queue_bulk_approves_with_a_confirmation(refundable, sell, counter_user, finance_user):
    tickets = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana"), P("Roy", "Max")])
    refunds = [services.request_refund(ticket=t, requested_by=counter_user) for t in tickets]
    client = csrf_client(finance_user)
    data = {"action": "approve_selected", "_selected_action": [r.pk for r in refunds]}
    confirm = post_with_csrf(client, QUEUE, data)
    assert confirm.status_code == 200 and "Approve them" in confirm.content.decode()
    assert set(Refund.objects.values_list("status", flat=True)) == {"requested"}
    post_with_csrf(client, QUEUE, {**data, "confirm": "yes"}, page_url=QUEUE)
    assert set(Refund.objects.values_list("status", flat=True)) == {"approved"}


def test_bulk_reject_needs_a_reason(refundable, sell, counter_user, finance_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana")])
    refund = services.request_refund(ticket=ticket, requested_by=counter_user)
    client = csrf_client(finance_user)
    data = {"action": "reject_selected", "_selected_action": [refund.pk], "confirm": "yes", "reason": " "}
    response = post_with_csrf(client, QUEUE, data)
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    refund.refresh_from_db()
    assert refund.status == "requested"
    post_with_csrf(client, QUEUE, {**data, "reason": "Not entitled"})
    refund.refresh_from_db()
    assert (refund.status, refund.rejection_reason) == ("rejected", "Not entitled")


def test_finance_approves_then_marks_paid_on_the_refund_page(refundable, sell, counter_user, finance_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana")])
    refund = services.request_refund(ticket=ticket, requested_by=counter_user)
    client = csrf_client(finance_user)
    page = client.get(reverse("admin:refunds_refund_change", args=[refund.pk])).content.decode()
    assert "462.35" in page and reverse("admin:refunds_refund_approve", args=[refund.pk]) in page
    # The confirmation leads back to where Finance came from.
    confirm = client.get(reverse("admin:refunds_refund_approve", args=[refund.pk])).content.decode()
    assert "Back to the refund" in confirm and "Back to the booking" not in confirm
    post_with_csrf(client, reverse("admin:refunds_refund_approve", args=[refund.pk]), {})
    pay = reverse("admin:refunds_refund_pay", args=[refund.pk])
    response = post_with_csrf(client, pay, {"method": "bank_transfer", "reference": ""})
    assert response.status_code == 200
    assert "needs its reference" in str(response.context["form"].errors["reference"])
    post_with_csrf(client, pay, {"method": "bank_transfer", "reference": "SEPA 42"})
    refund.refresh_from_db()
    assert (refund.status, refund.reference) == ("paid", "SEPA 42")


def test_nobody_approves_their_own_request_through_the_admin(refundable, sell, finance_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana")])
    refund = services.request_refund(ticket=ticket, requested_by=finance_user)
    client = csrf_client(finance_user)
    page = client.get(reverse("admin:refunds_refund_change", args=[refund.pk])).content.decode()
    assert "another person approves or rejects it" in page
    response = post_with_csrf(client, reverse("admin:refunds_refund_approve", args=[refund.pk]), {})
    assert "another person must approve" in client.get(response["Location"]).content.decode()
    refund.refresh_from_db()
    assert refund.status == "requested"


def test_counter_staff_cannot_approve_and_finance_cannot_request(refundable, sell, counter_user, finance_user):
    (ticket,) = sell(bucket_for(refundable, "500.00"), [P("Roy", "Ana")])
    refund = services.request_refund(ticket=ticket, requested_by=counter_user)
    counter = Client()
    counter.force_login(counter_user)
    assert counter.post(reverse("admin:refunds_refund_approve", args=[refund.pk])).status_code == 403
    # The queue offers counter staff no decision; a forged one only shows the queue again, undecided.
    assert "Approve selected refunds" not in counter.get(QUEUE).content.decode()
    forged = counter.post(QUEUE, {"action": "approve_selected", "_selected_action": [refund.pk], "confirm": "yes"})
    assert forged.status_code == 200
    assert "refunds/admin/decide_many.html" not in [t.name for t in forged.templates]
    refund.refresh_from_db()
    assert refund.status == "requested"
    finance = Client()
    finance.force_login(finance_user)
    url = reverse("admin:sales_booking_refund_ticket", args=[ticket.booking_id, ticket.pk])
    assert finance.post(url).status_code == 403


def test_admin_cancels_a_flight_from_its_page(refundable, sell, admin_role_user, counter_user):
    bucket = bucket_for(refundable, "100.00")
    sell(bucket, [P("Roy", "Ana"), P("Roy", "Max")])
    client = csrf_client(admin_role_user)
    change = client.get(reverse("admin:fleet_flight_change", args=[bucket.flight_id])).content.decode()
    assert "Cancel flight" in change
    url = reverse("admin:fleet_flight_cancel_flight", args=[bucket.flight_id])
    confirm = client.get(url).content.decode()
    assert "2 open ticket(s) get an involuntary refund" in confirm
    assert "Back to the flight" in confirm and "Back to the booking" not in confirm
    response = post_with_csrf(client, url, {})
    page = client.get(response["Location"]).content.decode()
    assert "2 involuntary refund request(s), 2 seat(s) released" in page
    assert Refund.objects.filter(kind="involuntary").count() == 2
    counter = Client()
    counter.force_login(counter_user)
    assert counter.post(url).status_code == 403


def test_refund_queue_costs_the_same_queries_for_2_or_20_refunds(refundable, sell, counter_user, finance_user, client):
    bucket = bucket_for(refundable, "100.00")
    client.force_login(finance_user)
    counts = []
    for size in (2, 18):
        for ticket in sell(bucket, [P("Roy", f"Ana{chr(65 + i)}") for i in range(size // 2)]):
            services.request_refund(ticket=ticket, requested_by=counter_user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        counts.append(len(queries))
    assert counts == [REFUND_QUEUE_QUERIES] * 2


# Session, user, permissions, the count (up to a thousand rows: past that, on PostgreSQL, one more query reads the
# planner's estimate; never the whole table's count), the rows with their tickets and people.
REFUND_QUEUE_QUERIES = 6
