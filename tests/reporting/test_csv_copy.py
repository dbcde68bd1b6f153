"""The CSV that PostgreSQL writes (reporting.pg_csv) is byte for byte the one written row by row in Python."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refunds.models import Refund
from reporting import pg_csv
from reporting.exports import FLAVOURS, csv_stream, listing_csv_stream
from reporting.reports import REPORTS
from sales.models import Payment
from tests.reporting.conftest import FIRST_SALE, cancel_and_depart, make_history
from tests.reporting.helpers import report_url

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only("COPY ... TO STDOUT")]

WHOLE_RANGE = {"date_from": FIRST_SALE.date().isoformat(), "date_to": dt.date(2021, 2, 28).isoformat()}
# What a spreadsheet would run, what a CSV must quote, and text that is neither.
HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    'say "cheese"',
    "a,b;c",
    "two\nlines",
    "crlf\r\ninside",
    "Zoë Ångström 東京",
    "'already quoted",
    " ",
]


@pytest.fixture
def history(network, agents):
    """Sales, refunds in every state, a cancelled and a departed flight; then text nobody should trust."""
    make_history(network, agents, bookings=40, refunds_requested=25)
    cancel_and_depart(network, agents)
    payments = list(Payment.objects.order_by("pk"))
    for payment, text in zip(payments, HOSTILE, strict=False):
        Payment.objects.filter(pk=payment.pk).update(reference=text)
    rejected = list(Refund.objects.filter(status=Refund.Status.REJECTED).order_by("pk"))
    for refund, text in zip(rejected, reversed(HOSTILE), strict=False):
        Refund.objects.filter(pk=refund.pk).update(rejection_reason=text)
    paid = list(Refund.objects.filter(status=Refund.Status.PAID).order_by("pk"))
    for refund, text in zip(paid, HOSTILE, strict=False):
        Refund.objects.filter(pk=refund.pk).update(reference=text)


def listing_of(slug, user, **params):
    report = REPORTS[slug]
    form = report.form({**WHOLE_RANGE, **params}, user=user, listing=True)
    assert form.is_valid(), form.errors
    return report.listing(form)


def both_paths(listing, flavour):
    generic = "".join(csv_stream(listing.columns, listing.rows(), flavour)).encode()
    assert pg_csv.available(listing)
    fast = b"".join(listing_csv_stream(listing, flavour))
    return generic, fast


@pytest.mark.parametrize("flavour", ["comma", "semicolon"])
@pytest.mark.parametrize("slug", ["sales", "refunds", "cash_up", "load_factor"])
def test_postgresql_writes_the_same_bytes_as_python(slug, flavour, history, agents):
    generic, fast = both_paths(listing_of(slug, agents["fay"]), FLAVOURS[flavour])
    assert generic.count(b"\r\n") >= 10  # the comparison is about real rows (9 flights)
    assert fast == generic


def test_the_hostile_cells_are_there_and_neutralised(history, agents):
    """The comparison above covers them: each trigger, quote, separator and line break appears in both files."""
    _generic, fast = both_paths(listing_of("cash_up", agents["fay"]), FLAVOURS["semicolon"])
    assert fast.startswith("\ufeff".encode() + b"When (local);Agent;Movement;")
    text = fast.decode()
    for cell in ['\'=HYPERLINK(""http://evil.example"",""x"")', ";'+1;", ";'-2;", ";'@SUM(A1);", "'\tTAB"]:
        assert cell in text, cell
    assert '"\'\rCR"' in text  # a carriage return is quoted, and neutralised
    assert '"two\nlines"' in text  # a line break inside a cell stays a bare LF, the line ends in CRLF
    assert '"crlf\r\ninside"' in text
    assert ';"a,b;c";' in text
    assert "Zoë Ångström 東京" in text
    assert ";'already quoted;" in text  # a quote is no trigger: left alone
    # Money keeps its sign and takes a decimal comma: a refund paid out is negative.
    assert re.search(r";-\d+,\d\d\r\n", text)


def test_a_filter_and_the_semicolon_flavour_through_the_page(history, agents, client):
    """The export view takes the PostgreSQL path on PostgreSQL, filters included, and still streams."""
    client.force_login(agents["fay"])
    response = client.get(report_url("sales", "listing_csv", separator="semicolon", agent="carl", **WHOLE_RANGE))
    assert response.streaming
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as before_first:
        first = next(chunks)
    assert len(before_first) == 0  # the header leaves before the database is asked for a row
    fast = first + b"".join(chunks)
    generic, _ = both_paths(listing_of("sales", agents["fay"], agent="carl"), FLAVOURS["semicolon"])
    assert fast == generic
    assert b";carl;" in fast and b";cleo;" not in fast


def test_line_endings_outside_quotes_only():
    assert pg_csv.crlf(b'a,b\nc,"d\ne"\n"f""\n",g\n') == b'a,b\r\nc,"d\ne"\r\n"f""\n",g\r\n'
    assert pg_csv.crlf(b"a\nb\n") == b"a\r\nb\r\n"
