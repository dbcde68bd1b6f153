"""A report costs the same number of queries for one row as for hundreds: it is summed by the database."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refunds import services as refunds
from tests.reporting.conftest import at, make_history, sell
from tests.reporting.helpers import report_url

pytestmark = pytest.mark.django_db

# Session, user, and the user's and their groups' permissions: 4. Then each page's own:
PINNED = {
    # form choices (agents, fare classes), the grouped rows, the totals; a listing: count, the page's keys,
    # its rows (bench/reports.py: a deep page stays fast), totals.
    # A listing's PDF or Excel file counts its rows first (the limit on what is made while the user waits).
    ("sales", ""): 8,
    ("sales", "listing"): 10,
    ("sales", "csv"): 6,
    ("sales", "xlsx"): 6,
    ("sales", "pdf"): 6,
    ("sales", "listing_xlsx"): 7,
    ("sales", "listing_pdf"): 7,
    ("sales", "listing_csv"): 6,
    ("refunds", ""): 6,
    ("refunds", "listing"): 8,
    ("refunds", "csv"): 6,
    ("refunds", "xlsx"): 6,
    ("refunds", "pdf"): 6,
    ("refunds", "listing_xlsx"): 7,
    ("refunds", "listing_pdf"): 7,
    ("refunds", "listing_csv"): 6,
    # Payments and refunds paid out are two groupings and two totals.
    ("cash_up", ""): 9,
    ("cash_up", "listing"): 10,
    ("cash_up", "csv"): 8,
    ("cash_up", "xlsx"): 8,
    ("cash_up", "pdf"): 8,
    ("cash_up", "listing_xlsx"): 8,
    ("cash_up", "listing_pdf"): 8,
    ("cash_up", "listing_csv"): 7,
    ("load_factor", ""): 6,
    ("load_factor", "listing"): 8,
    ("load_factor", "csv"): 6,
    ("load_factor", "xlsx"): 6,
    ("load_factor", "pdf"): 6,
    ("load_factor", "listing_xlsx"): 7,
    ("load_factor", "listing_pdf"): 7,
    ("load_factor", "listing_csv"): 6,
}
RANGE = {"date_from": "2020-10-01", "date_to": "2021-02-28", "grouping": "week"}


def queries_per_page(client):
    counts = {}
    for report, part in PINNED:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(report_url(report, part, **RANGE))
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counts[(report, part)] = len(queries)
    return counts


def test_report_pages_and_exports_cost_a_fixed_number_of_queries(network, agents, client):
    (ticket,) = sell(network[0], agent=agents["carl"], now=at(dt.date(2020, 11, 10), 10))
    refund = refunds.request_refund(ticket=ticket, requested_by=agents["carl"], now=at(dt.date(2020, 11, 11), 10))
    refunds.approve_refund(refund=refund, approver=agents["fay"], now=at(dt.date(2020, 11, 12), 10))
    refunds.mark_refund_paid(refund=refund, user=agents["fay"], method="cash", now=at(dt.date(2020, 11, 13), 10))
    client.force_login(agents["fay"])
    assert queries_per_page(client) == PINNED

    tickets = make_history(network, agents, bookings=60, refunds_requested=30)
    assert len(tickets) > 100  # more than one listing page
    assert queries_per_page(client) == PINNED
