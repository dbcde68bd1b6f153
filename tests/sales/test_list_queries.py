"""The counter's lists (bookings, tickets, payments) cost a fixed number of queries, whatever the rows shown."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.sales.test_finding import bucket, make_booking  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("admin:sales_booking_changelist")
TICKETS = reverse("admin:sales_ticket_changelist")
PAYMENTS = reverse("admin:sales_payment_changelist")
PAGES = [
    (BOOKINGS, {}),
    (BOOKINGS, {"status__exact": "ticketed", "o": "-1"}),
    (TICKETS, {}),
    (TICKETS, {"status__exact": "open", "mine": "1"}),
    (PAYMENTS, {}),
    (PAYMENTS, {"method__exact": "cash", "o": "3"}),
]
# Session, user, the user's and its groups' permissions, the count (never the whole table's: counted up to a
# thousand rows, estimated past that on PostgreSQL with one more query), the rows with everything they show (one
# query): the same for one row or a full page, with or without filters. No facet counts.
LIST_QUERIES = 6


def costs(user):
    client = Client()
    client.force_login(user)
    counted = []
    for url, params in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200, (url, params)
        counted.append((url, params, len(response.context["cl"].result_list), len(queries)))
    return counted


def test_the_lists_cost_the_same_queries_for_1_or_20_bookings(make_booking, counter_user):  # noqa: F811
    make_booking("Roy", "Lee", issue=True)
    few = costs(counter_user)
    for _ in range(19):
        make_booking("Roy", "Lee", issue=True)
    many = costs(counter_user)
    # Every list shows twenty times the rows the second time (two tickets a booking), at the same cost.
    assert [(url, params, rows * 20) for url, params, rows, _ in few] == [m[:3] for m in many]
    assert {queries for *_, queries in few + many} == {LIST_QUERIES}, few + many


def test_a_page_past_the_first_shows_the_same_rows_as_a_plain_slice(make_booking, monkeypatch):  # noqa: F811
    from backoffice.admin_base import EstimatedCountPaginator
    from sales.models import Booking

    for surname in ("Lee", "Roy", "Kim", "Ali", "Sun"):
        make_booking(surname)
    bookings = Booking.objects.order_by("contact_name", "-pk")
    everything = list(bookings)
    paginator = EstimatedCountPaginator(bookings, 2)
    assert paginator.count == 5
    assert [list(paginator.page(n).object_list) for n in (1, 2, 3)] == [everything[:2], everything[2:4], everything[4:]]
    # Past the exact count, the count is the planner's estimate (PostgreSQL) or the count (SQLite): never fewer
    # pages than the rows counted.
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_UP_TO", 3)
    assert EstimatedCountPaginator(bookings, 2).count >= 4
    assert EstimatedCountPaginator(bookings.filter(pk=everything[0].pk), 2).count == 1
