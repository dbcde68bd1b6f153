"""CSV exports: streamed, UTF-8 with a byte order mark, and safe to open in a spreadsheet."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refunds import services as refunds
from reporting.exports import FLAVOURS, csv_stream
from reporting.reports import MONEY, TEXT, Column
from tests.reporting.conftest import at, sell
from tests.reporting.helpers import read_csv, report_url

pytestmark = pytest.mark.django_db

DAY = dt.date(2020, 11, 10)
RANGE = {"date_from": DAY, "date_to": DAY}
FORMULAS = ["+SUM(A1:A9)", "@cmd", "-2+3", '=HYPERLINK("http://evil.example","x")']


@pytest.fixture
def booby_trapped(network, agents):
    """Payments whose references are formulas, a refund paid out and one rejected with a formula as its reason."""
    tickets = []
    for hour, reference in enumerate(FORMULAS, start=8):
        tickets += sell(network[0], agent=agents["carl"], now=at(DAY, hour), method="card", reference=reference)
    paid = refunds.request_refund(ticket=tickets[0], requested_by=agents["carl"], now=at(DAY, 13))
    refunds.approve_refund(refund=paid, approver=agents["fay"], now=at(DAY, 14))
    refunds.mark_refund_paid(refund=paid, user=agents["fay"], method="cash", now=at(DAY, 15))
    rejected = refunds.request_refund(ticket=tickets[1], requested_by=agents["carl"], now=at(DAY, 16))
    refunds.reject_refund(refund=rejected, approver=agents["fay"], reason=FORMULAS[3], now=at(DAY, 17))
    return paid


def test_text_that_a_spreadsheet_would_run_is_neutralised_and_numbers_are_not(booby_trapped, agents, client):
    client.force_login(agents["fay"])
    movements = read_csv(client.get(report_url("cash_up", "listing_csv", **RANGE)))
    assert [row["Reference"] for row in movements if row["Movement"] == "Payment taken"] == [
        "'" + formula for formula in FORMULAS
    ]
    (refund,) = [row for row in movements if row["Movement"] == "Refund paid out"]
    assert refund["Amount (refunds negative)"] == f"-{booby_trapped.amount}"

    (rejected,) = read_csv(client.get(report_url("refunds", "listing_csv", status="rejected", **RANGE)))
    assert rejected["Reason for rejection"] == "'" + FORMULAS[3]


def test_the_semicolon_flavour_writes_decimal_commas(booby_trapped, agents, client):
    client.force_login(agents["fay"])
    response = client.get(report_url("cash_up", "listing_csv", separator="semicolon", **RANGE))
    movements = read_csv(response, delimiter=";")
    (refund,) = [row for row in movements if row["Movement"] == "Refund paid out"]
    assert refund["Amount (refunds negative)"] == "-" + str(booby_trapped.amount).replace(".", ",")
    assert movements[0]["Reference"] == "'+SUM(A1:A9)"

    summary = read_csv(client.get(report_url("sales", "csv", separator="semicolon", **RANGE)), delimiter=";")
    assert summary[0]["Total"] == "427,52"


@pytest.mark.parametrize("part", ["csv", "listing_csv"])
def test_the_header_leaves_before_the_rows_are_read(part, booby_trapped, agents, client):
    client.force_login(agents["fay"])
    response = client.get(report_url("sales", part, **RANGE))
    assert response.streaming
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as before_first:
        first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbfPeriod," if part == "csv" else b"\xef\xbb\xbfTicket number,")
    rest = b"".join(chunks)
    if part == "listing_csv":
        # The listing is read lazily, after the header has gone.
        assert len(before_first) == 0
    assert rest.count(b"\r\n") == (4 if part == "listing_csv" else 1)
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="sales{"-list" if part != "csv" else ""}-{DAY}-{DAY}.csv"'
    )


def test_every_trigger_character_is_neutralised_in_both_flavours():
    columns = [Column("text", "Text", TEXT), Column("amount", "Amount", MONEY)]
    rows = [{"text": text, "amount": Decimal("-1.50")} for text in ("=1", "+1", "-1", "@1", "\t1", "\r1", "ok")]
    for name, flavour in FLAVOURS.items():
        text = "".join(csv_stream(columns, rows, flavour))
        separator = flavour.delimiter
        amount = "-1,50" if flavour.decimal_comma else "-1.50"
        lines = text.removeprefix("\ufeff").split("\r\n")
        assert lines[0] == f"Text{separator}Amount", name
        assert lines[1:8] == [
            f"'=1{separator}{amount}",
            f"'+1{separator}{amount}",
            f"'-1{separator}{amount}",
            f"'@1{separator}{amount}",
            f"'\t1{separator}{amount}",
            f'"\'\r1"{separator}{amount}',
            f"ok{separator}{amount}",
        ], name
