"""Listing pages read their rows by keys and count one table: every page shows the rows the export has there."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting import admin_views
from reporting.admin_views import table_body
from reporting.reports import REPORTS
from tests.reporting.helpers import report_url

pytestmark = pytest.mark.django_db

RANGE = {"date_from": dt.date(2020, 10, 1), "date_to": dt.date(2021, 2, 28)}
PAGE_SIZE = 7


@pytest.mark.parametrize("slug", ["sales", "refunds", "cash_up", "load_factor"])
def test_each_page_shows_its_slice_of_the_listing_and_counts_without_joins(
    slug, sales_history, agents, client, monkeypatch
):
    monkeypatch.setattr(admin_views, "LISTING_PAGE_SIZE", PAGE_SIZE)
    report = REPORTS[slug]
    form = report.form(RANGE, user=agents["fay"], listing=True)
    assert form.is_valid()
    listing = report.listing(form)
    everything = list(listing.rows())
    pages = -(-len(everything) // PAGE_SIZE)
    assert pages >= 2
    client.force_login(agents["fay"])
    for number in (1, 2, pages):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(report_url(slug, "listing", page=number, **RANGE))
        assert response.status_code == 200
        start = (number - 1) * PAGE_SIZE
        assert response.context["body"] == table_body(listing.columns, everything[start : start + PAGE_SIZE]), number
        assert f"Page {number} of {pages}, {len(everything)} rows." in response.content.decode()
        counts = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT COUNT(*)")]
        assert len(counts) == 1, [query["sql"][:120] for query in queries.captured_queries]
        (count,) = counts
        assert "JOIN" not in count.upper()


def test_a_table_cell_reads_as_display_writes_it():
    """Rows are written by cell_writer, totals by the template from display(): the two agree."""
    import html
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from reporting.admin_views import cell_writer
    from reporting.reports import CODE, COUNT, DAYS, MONEY, PERCENT, TEXT, TIME, Column, display

    samples = {
        MONEY: [Decimal("-1234.5"), Decimal("0.00")],
        COUNT: [12345, 0],
        PERCENT: [Decimal("85.3")],
        DAYS: [Decimal("2.5")],
        TIME: [dt.datetime(2021, 1, 2, 3, 4, tzinfo=ZoneInfo("Europe/Paris"))],
        TEXT: ["<b>Zoë & 'co'</b>", 7],
        CODE: ["CDG-LHR"],
    }
    for kind, values in samples.items():
        for wraps in (False, True):
            column = Column("x", "X", kind, wraps=wraps)
            for value in [*values, None, ""]:
                cell = display(value, column)
                css = ' class="num"' if cell.numeric else ' class="bo-wraps"' if cell.wraps else ""
                assert cell_writer(column)(value) == f"<td{css}>{html.escape(cell.text)}</td>", (kind, value)


def test_a_long_summary_is_shown_a_page_at_a_time_with_the_totals_of_the_whole_range(
    sales_history, agents, client, monkeypatch
):
    """A month of cash-up by day is thousands of rows: the page shows them in pages; the files keep every row."""
    monkeypatch.setattr(admin_views, "SUMMARY_PAGE_SIZE", PAGE_SIZE)
    report = REPORTS["cash_up"]
    params = {**RANGE, "grouping": "day"}
    form = report.form(params, user=agents["fay"])
    assert form.is_valid()
    table = report.summary(form)
    everything = list(table.rows)
    pages = -(-len(everything) // PAGE_SIZE)
    assert pages >= 3
    client.force_login(agents["fay"])
    whole = client.get(report_url("cash_up", **params))
    for number in (1, 2, pages):
        response = client.get(report_url("cash_up", page=number, **params))
        assert response.status_code == 200
        start = (number - 1) * PAGE_SIZE
        assert response.context["body"] == table_body(table.columns, everything[start : start + PAGE_SIZE]), number
        text = response.content.decode()
        assert f"Page {number} of {pages}, {len(everything)} rows." in text
        assert "The totals are those of the whole range" in text
        assert response.context["totals"] == whole.context["totals"]
    # The CSV has every row.
    csv_lines = b"".join(client.get(report_url("cash_up", "csv", **params)).streaming_content).decode().splitlines()
    assert len(csv_lines) == 1 + len(everything)


def test_a_short_summary_is_one_page(sales_history, agents, client):
    client.force_login(agents["fay"])
    response = client.get(report_url("cash_up", grouping="month", **RANGE))
    assert response.status_code == 200 and "page" not in response.context
