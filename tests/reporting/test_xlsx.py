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
