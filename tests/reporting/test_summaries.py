"""The daily summaries the sales report and the cash-up read (sales/summaries.py), against the tickets and payments."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from sales import summaries
from sales.models import DailyAgentSales, DailyPayments, DailyRouteSales
from tests.reporting.conftest import at, sell
from tests.reporting.helpers import cents, local_midnight, read_csv, report_url, sql

pytestmark = pytest.mark.django_db

FIRST, LAST = dt.date(2020, 10, 21), dt.date(2021, 1, 6)
SALES_SQL = """
    SELECT {key}, COUNT(*), SUM(t.fare_amount), SUM(t.tax_amount), SUM(t.total_amount)
    FROM sales_ticket t
    JOIN fleet_flight f ON f.id = t.flight_id
    JOIN fleet_airport o ON o.id = f.origin_id
    JOIN fleet_airport d ON d.id = f.destination_id
    JOIN sales_farebucket b ON b.id = t.fare_bucket_id
    JOIN sales_fareclass fc ON fc.id = b.fare_class_id
    JOIN auth_user u ON u.id = t.issued_by_id
    WHERE t.issued_at >= %s AND t.issued_at < %s {where}
    GROUP BY {key}
"""
KEYS = {
    "route": ("o.code || '-' || d.code", "Route"),
    "fare_class": ("fc.code", "Fare class"),
    "agent": ("u.username", "Agent"),
}
FILTERS = {
    "agent": ({"agent": "carl"}, "AND u.username = 'carl'"),
    "class": ({"fare_class": "M"}, "AND fc.code = 'M'"),
    "both": ({"agent": "cleo", "fare_class": "Y"}, "AND u.username = 'cleo' AND fc.code = 'Y'"),
}


@pytest.mark.parametrize("filtered", FILTERS)
@pytest.mark.parametrize("breakdown", KEYS)
def test_sales_with_filters_equal_the_tickets(breakdown, filtered, sales_history, agents, client):
    """By route for one agent comes from the tickets (the route summary knows no agent); the rest from summaries."""
    params, where = FILTERS[filtered]
    key, column = KEYS[breakdown]
    query = SALES_SQL.format(key=key, where=where)
    expected = {
        name: (str(count), cents(fare), cents(taxes), cents(total))
        for name, count, fare, taxes, total in sql(
            query, [local_midnight(FIRST), local_midnight(LAST + dt.timedelta(days=1))]
        )
    }
    client.force_login(agents["fay"])
    url = report_url("sales", "csv", date_from=FIRST, date_to=LAST, grouping="month", breakdown=breakdown, **params)
    got = {}
    for row in read_csv(client.get(url)):
        figures = got.setdefault(row[column], [0, Decimal(0), Decimal(0), Decimal(0)])
        figures[0] += int(row["Tickets"])
        for index, name in enumerate(("Fare", "Taxes", "Total"), start=1):
            figures[index] += Decimal(row[name])
    assert {name: (str(f[0]), f[1], f[2], f[3]) for name, f in got.items()} == expected
    assert expected


def test_a_sale_counts_on_its_business_day(network, agents):
    """23:30 in Paris is still that day; 00:30 is the next, whatever the UTC date."""
    late = sell(network[0], agent=agents["carl"], now=at(dt.date(2020, 12, 31), 23, 30), method="card", passengers=2)
    early = sell(network[1], agent=agents["carl"], now=at(dt.date(2021, 1, 1), 0, 30))
    assert list(DailyAgentSales.objects.order_by("day").values_list("day", "tickets", "total")) == [
        (dt.date(2020, 12, 31), 2, sum(t.total_amount for t in late)),
        (dt.date(2021, 1, 1), 1, early[0].total_amount),
    ]
    assert list(DailyPayments.objects.order_by("day").values_list("day", "method", "payments")) == [
        (dt.date(2020, 12, 31), "card", 1),
        (dt.date(2021, 1, 1), "cash", 1),
    ]
    (route,) = DailyRouteSales.objects.filter(day=dt.date(2020, 12, 31))
    assert (route.origin.code, route.destination.code, route.fare_class.code, route.tickets) == ("CDG", "LHR", "Y", 2)


def test_what_the_sales_kept_equals_a_rebuild_from_scratch(sales_history):
    def everything():
        return [
            sorted(model.objects.values_list(*(f.attname for f in model._meta.concrete_fields if f.name != "id")))
            for model in (DailyRouteSales, DailyAgentSales, DailyPayments)
        ]

    kept = everything()
    assert all(kept) and set(summaries.differences().values()) == {0}
    call_command("rebuild_sales_summaries", "--check")
    call_command("rebuild_sales_summaries")
    assert everything() == kept


def test_the_check_names_a_summary_that_drifted(sales_history, capsys):
    DailyPayments.objects.filter(pk=DailyPayments.objects.order_by("pk").first().pk).delete()
    with pytest.raises(CommandError, match="do not match"):
        call_command("rebuild_sales_summaries", "--check")
    assert "daily payments: 1 row(s) differ" in capsys.readouterr().out
    call_command("rebuild_sales_summaries")
    call_command("rebuild_sales_summaries", "--check")
