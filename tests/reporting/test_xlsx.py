"""Excel exports: real numbers and times, money with two decimals, a heading, a totals row; text never a formula."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.reporting.conftest import at, sell
from tests.reporting.helpers import cents, local_midnight, report_url, sql, xlsx_rows, xlsx_sheet

pytestmark = pytest.mark.django_db

FIRST, LAST = dt.date(2020, 10, 21), dt.date(2021, 1, 6)


def test_the_sales_summary_in_excel_adds_up_like_the_database(sales_history, agents, client):
    client.force_login(agents["fay"])
    response = client.get(report_url("sales", "xlsx", date_from=FIRST, date_to=LAST, grouping="week"))
    assert response["Content-Disposition"] == f'attachment; filename="sales-{FIRST}-{LAST}.xlsx"'
    sheet = xlsx_sheet(response)
    rows = list(sheet.iter_rows())
    assert rows[0][0].value == "Sales: tickets issued"
    assert rows[1][0].value.startswith("Tickets issued from Wed 21 Oct 2020 to Wed 6 Jan 2021, both days whole,")
    assert rows[2][0].value.startswith("Run by fay on ")
    assert [cell.value for cell in rows[4]] == ["Period", "Route", "Tickets", "Fare", "Taxes", "Total"]
    data, totals = rows[5:-1], rows[-1]
    assert totals[0].value == "Total"
    for row in data:
        assert row[2].data_type == "n" and row[2].number_format == "#,##0"
        assert all(cell.data_type == "n" and cell.number_format == "#,##0.00" for cell in row[3:])
    ((count, fare, taxes, total),) = sql(
        "SELECT COUNT(*), SUM(fare_amount), SUM(tax_amount), SUM(total_amount) FROM sales_ticket "
        "WHERE issued_at >= %s AND issued_at < %s",
        [local_midnight(FIRST), local_midnight(LAST + dt.timedelta(days=1))],
    )
    assert [totals[2].value, *(cents(cell.value) for cell in totals[3:])] == [
        count,
        cents(fare),
        cents(taxes),
        cents(total),
    ]
    assert sum(row[2].value for row in data) == count
    assert cents(sum(Decimal(str(row[5].value)) for row in data)) == cents(total)


def test_listings_in_excel_have_local_times_and_text_that_is_never_a_formula(network, agents, client):
    day = dt.date(2020, 10, 25)
    sell(network[0], agent=agents["carl"], now=at(day, 23, 30), method="card", reference='=HYPERLINK("x")')
    client.force_login(agents["fay"])
    movements = xlsx_sheet(client.get(report_url("cash_up", "listing_xlsx", date_from=day, date_to=day)))
    (header, payment, totals) = list(movements.iter_rows())[4:]
    assert payment[0].value == dt.datetime(2020, 10, 25, 23, 30)
    assert payment[0].number_format == "yyyy-mm-dd hh:mm"
    assert payment[4].value == '=HYPERLINK("x")' and payment[4].data_type == "s"
    assert payment[7].value == 106.88 and totals[7].value == 106.88

    documents = xlsx_rows(client.get(report_url("sales", "listing_xlsx", date_from=day, date_to=day)))
    assert documents[5][1] == dt.datetime(2020, 10, 25, 23, 30)


def test_the_header_stays_in_view_and_the_totals_row_is_bold(network, agents, client):
    day = dt.date(2020, 10, 25)
    sell(network[0], agent=agents["carl"], now=at(day, 9, 15), method="card", reference="<r>A & B</r>")
    client.force_login(agents["fay"])
    sheet = xlsx_sheet(client.get(report_url("cash_up", "listing_xlsx", date_from=day, date_to=day)))
    assert sheet.title == "Cash-up  each movement"
    # Title, statement, signature, a blank line and the column headers stay put while the rows scroll.
    assert sheet.freeze_panes == "A6"
    title, _statement, _signature, _blank, header, payment, totals = sheet.iter_rows()
    assert title[0].font.b and all(cell.font.b for cell in header)
    assert not any(cell.font.b for cell in payment)
    assert all(cell.font.b for cell in totals)
    assert totals[0].value == "Total"
    assert totals[7].value == 106.88 and totals[7].number_format == "#,##0.00"
    assert payment[7].number_format == "#,##0.00"
    # A reference that looks like spreadsheet markup is the reference, as typed, and the file opens.
    assert payment[4].value == "<r>A & B</r>" and payment[4].data_type == "s"
    assert sheet.column_dimensions["H"].width > sheet.column_dimensions["G"].width


def test_every_kind_of_value_keeps_its_type_in_excel():
    from openpyxl import load_workbook

    from reporting.exports import xlsx_file
    from reporting.reports import CODE, COUNT, DAYS, MONEY, PERCENT, TEXT, TIME, Column

    columns = [
        Column("text", "Text", TEXT),
        Column("code", "Code", CODE),
        Column("count", "Count", COUNT),
        Column("money", "Money", MONEY),
        Column("share", "Share", PERCENT),
        Column("days", "Days", DAYS),
        Column("at", "At", TIME),
        Column("on", "On", TEXT),
    ]
    texts = ["=SUM(A1:A2)", "+33 6 12 34 56 78", "007", "1e5", "http://example.com", "<r><t>x</t></r>", "a\tb"]
    rows = [
        {
            "text": text,
            "code": "952" + "0" * 10,
            "count": 3,
            "money": Decimal("-1234.50"),
            "share": Decimal("87.5"),
            "days": None,
            "at": dt.datetime(2021, 3, 28, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "on": dt.date(2021, 1, 4),
        }
        for text in texts
    ]
    totals = {"count": 21, "money": Decimal("-8641.50")}
    spool = xlsx_file(title="Refunds: 1/2 [draft]?", heading=["Line one"], columns=columns, rows=rows, totals=totals)
    sheet = load_workbook(spool).active
    assert sheet.title == "Refunds  1 2  draft  "
    assert sheet.freeze_panes == "A5"
    cells = list(sheet.iter_rows())
    assert [cell.value for cell in cells[3]] == [column.label for column in columns]
    data = cells[4:-1]
    assert [row[0].value for row in data] == texts
    assert all(row[0].data_type == "s" and row[1].data_type == "s" for row in data)
    assert not sheet._hyperlinks
    first = data[0]
    assert first[1].value == "9520000000000"
    assert (first[2].value, first[2].number_format) == (3, "#,##0")
    assert (first[3].value, first[3].number_format) == (-1234.5, "#,##0.00")
    assert (first[4].value, first[4].number_format) == (87.5, "0.0")
    assert first[5].value is None
    # Local time as written (Excel has no zones); a date is a date.
    assert (first[6].value, first[6].number_format) == (dt.datetime(2021, 3, 28, 2, 30), "yyyy-mm-dd hh:mm")
    assert first[7].is_date and first[7].value.date() == dt.date(2021, 1, 4)
    assert first[7].number_format == "yyyy-mm-dd"
    total = cells[-1]
    assert [cell.value for cell in total[:4]] == ["Total", None, 21, -8641.5]
    assert total[3].number_format == "#,##0.00" and total[3].font.b
