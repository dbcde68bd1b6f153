"""A booking's history page tells its whole story: its own changes and those of its passengers, tickets,
payments and refunds, newest first, each with who made it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.related_history import related_history_sources
from refunds import services as refund_services
from sales import services
from sales.models import Booking, Ticket
from tests.backoffice.test_times import visible_text
from tests.refunds.conftest import bucket_for
from tests.sales.conftest import CONTACT, adults

pytestmark = pytest.mark.django_db


def history_rows(response):
    """The visible text of each row of the history table, top to bottom."""
    body = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>") if "<td" in row]


@pytest.fixture
def sold(refundable, counter_user):
    """A paid booking with issued tickets, for `count` adults."""

    def sell(count):
        bucket = bucket_for(refundable, "200.00")
        booking = services.book(
            segments=[services.SegmentRequest(bucket.flight_id, bucket.fare_class.code)],
            passengers=adults(count),
            agent=counter_user,
            **CONTACT,
        )
        services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
        services.issue_tickets(booking=booking, agent=counter_user)
        return booking

    return sell


def test_booking_history_shows_who_voided_which_ticket_and_the_refund_and_payment(
    sold, counter_user, finance_user, client
):
    booking = sold(2)
    voided, kept = booking.tickets.order_by("number")
    refund = refund_services.void_ticket(ticket=voided, agent=counter_user)
    refund_services.approve_refund(refund=refund, approver=finance_user)

    client.force_login(counter_user)
    response = client.get(reverse("admin:sales_booking_history", args=[booking.pk]))
    text = visible_text(response)
    rows = history_rows(response)

    voided.refresh_from_db()
    assert f"Ticket {voided.number}" in text and f"Ticket {kept.number}" in text
    assert "Payment 424.70 Cash" in text and "Passenger MARTIN/ANNE MS" in text

    def row_with(words):
        return next(i for i, row in enumerate(rows) if words in row)

    # Newest first, each with who did it: the approval, the void, the issue, and the booking's creation last.
    approved = row_with("Status: Requested → Approved")
    assert f"Refund of ticket {voided.number}" in rows[approved] and "fay" in rows[approved]
    void = row_with("Status: Open → Void")
    assert f"Ticket {voided.number}" in rows[void] and "carl" in rows[void]
    issued = row_with(f"Ticket {kept.number}")
    assert "Status: Held (not issued) → Open" in rows[issued]
    ticketed = row_with("Status: Held → Ticketed")
    assert rows[ticketed].startswith(f"Booking {booking.record_locator}") and "carl" in rows[ticketed]
    assert rows[-1].startswith(f"Booking {booking.record_locator}") and "Created" in rows[-1]
    assert approved < void < issued < len(rows) - 1 and void < ticketed < len(rows) - 1
    # Nobody gave a change reason: no column of "None".
    assert "Change reason" not in text and "None" not in text


def test_booking_history_costs_the_same_queries_for_1_or_5_passengers(sold, counter_user, client):
    client.force_login(counter_user)
    counts = []
    for passengers in (1, 5):
        booking = sold(passengers)
        for ticket in booking.tickets.all()[:1]:
            refund_services.void_ticket(ticket=ticket, agent=counter_user)
        url = reverse("admin:sales_booking_history", args=[booking.pk])
        client.get(url)  # warm the content type cache
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_refunds_plug_their_history_into_the_booking_page_sales_does_not_know_them():
    sources = {source.model._meta.label for source in related_history_sources(Booking)}
    assert {"sales.Passenger", "sales.Ticket", "sales.Payment", "refunds.Refund"} <= sources
    assert related_history_sources(Ticket) == []
