"""Every report's rows and totals, as exported, against sums the test makes itself in SQL.

The test cuts the range into periods with its own code, turns each period's
local midnights into instants, and sums the raw tables between them: no Trunc,
no ORM, nothing shared with the report but the data.
"""

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.reporting.helpers import cents, local_midnight, periods, read_csv, report_url, sql

pytestmark = pytest.mark.django_db

# Cuts ISO weeks and months at both ends; spans the autumn clock change, week 2020-W53 and New Year.
FIRST, LAST = dt.date(2020, 10, 21), dt.date(2021, 1, 6)
# Refunds, payments paid out and flights run later than the sales.
LATER = dt.date(2021, 2, 20)
GROUPINGS = ["day", "week", "month"]


def export(client, report, part="csv", **params):
    return read_csv(client.get(report_url(report, part, **params)))


def in_period(column):
    return f"{column} >= %s AND {column} < %s"


SALES_BY = {
    "route": ("o.code || '-' || d.code", "route"),
    "fare_class": ("fc.code", "fare_class"),
    "agent": ("u.username", "agent"),
}
SALES_SQL = """
    SELECT {key}, COUNT(*), SUM(t.fare_amount), SUM(t.tax_amount), SUM(t.total_amount)
    FROM sales_ticket t
    JOIN fleet_flight f ON f.id = t.flight_id
    JOIN fleet_airport o ON o.id = f.origin_id
    JOIN fleet_airport d ON d.id = f.destination_id
    JOIN sales_farebucket b ON b.id = t.fare_bucket_id
    JOIN sales_fareclass fc ON fc.id = b.fare_class_id
    JOIN auth_user u ON u.id = t.issued_by_id
    WHERE {period}
    GROUP BY {key}
"""


def test_sales_by_route_class_and_agent_for_each_grouping(sales_history, agents, client):
    client.force_login(agents["fay"])
    for grouping in GROUPINGS:
        for breakdown, (key_sql, column) in SALES_BY.items():
            expected = {}
            for label, first, after in periods(FIRST, LAST, grouping):
                query = SALES_SQL.format(key=key_sql, period=in_period("t.issued_at"))
                for key, count, fare, taxes, total in sql(query, [local_midnight(first), local_midnight(after)]):
                    expected[(label, key)] = (str(count), cents(fare), cents(taxes), cents(total))
            rows = export(client, "sales", date_from=FIRST, date_to=LAST, grouping=grouping, breakdown=breakdown)
            got = {
                (row["Period"], row[column.replace("_", " ").capitalize()]): (
                    row["Tickets"],
                    Decimal(row["Fare"]),
                    Decimal(row["Taxes"]),
                    Decimal(row["Total"]),
                )
                for row in rows
            }
            assert got == expected, (grouping, breakdown)
            assert len(rows) == len(expected) > 3, (grouping, breakdown)


def test_sales_totals_and_document_listing(sales_history, agents, client):
    client.force_login(agents["fay"])
    ((count, fare, taxes, total),) = sql(
        f"SELECT COUNT(*), SUM(fare_amount), SUM(tax_amount), SUM(total_amount) FROM sales_ticket "
        f"WHERE {in_period('issued_at')}",
        [local_midnight(FIRST), local_midnight(LAST + dt.timedelta(days=1))],
    )
    html = client.get(report_url("sales", date_from=FIRST, date_to=LAST, grouping="month")).content.decode()
    assert f'<td class="num">{count:,}</td>' in html
    assert f"{cents(total):,.2f}" in html

    documents = export(client, "sales", "listing_csv", date_from=FIRST, date_to=LAST)
    assert len(documents) == count
    assert sum(Decimal(row["Fare"]) for row in documents) == cents(fare)
    assert sum(Decimal(row["Taxes"]) for row in documents) == cents(taxes)
    assert sum(Decimal(row["Total"]) for row in documents) == cents(total)
    numbers = [row["Ticket number"] for row in documents]
    assert len(set(numbers)) == len(numbers)
    assert {row["Form of payment"] for row in documents} == {"Cash", "Card", "Bank transfer"}


REFUNDS_SQL = """
    SELECT r.status, r.kind, COUNT(*), SUM(r.fare_paid - r.fee_kept), SUM(r.fee_kept), SUM(r.taxes_returned),
           SUM(r.amount)
    FROM refunds_refund r
    WHERE {period}
    GROUP BY r.status, r.kind
"""
STATUS = {"requested": "Requested", "approved": "Approved", "rejected": "Rejected", "paid": "Paid"}
KIND = {"voluntary": "Voluntary", "involuntary": "Involuntary (airline)", "void": "Void", "no_show": "No-show"}


def test_refunds_by_status_and_kind_for_each_grouping(sales_history, agents, client):
    client.force_login(agents["gus"])
    for grouping in GROUPINGS:
        expected = {}
        for label, first, after in periods(FIRST, LATER, grouping):
            query = REFUNDS_SQL.format(period=in_period("r.requested_at"))
            for status, kind, count, fare, fee, taxes, amount in sql(
                query, [local_midnight(first), local_midnight(after)]
            ):
                expected[(label, STATUS[status], KIND[kind])] = (
                    str(count),
                    cents(fare),
                    cents(fee),
                    cents(taxes),
                    cents(amount),
                )
        rows = export(client, "refunds", date_from=FIRST, date_to=LATER, grouping=grouping)
        got = {
            (row["Period"], row["Status"], row["Kind"]): (
                row["Refunds"],
                Decimal(row["Fare returned"]),
                Decimal(row["Fees kept"]),
                Decimal(row["Taxes returned"]),
                Decimal(row["Amount returned"]),
            )
            for row in rows
        }
        assert got == expected, grouping
        assert {kind for _, _, kind in got} == {"Voluntary", "Involuntary (airline)"}
        assert {status for _, status, _ in got} == set(STATUS.values())


def test_refund_days_to_payment_and_listing(sales_history, agents, client):
    client.force_login(agents["gus"])
    paid = sql(
        f"SELECT requested_at, paid_at FROM refunds_refund WHERE status = 'paid' AND {in_period('requested_at')}",
        [local_midnight(FIRST), local_midnight(LATER + dt.timedelta(days=1))],
    )
    assert paid

    def instant(value):
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else value

    waits = [(instant(p) - instant(r)).total_seconds() / 86400 for r, p in paid]
    rows = export(client, "refunds", date_from=FIRST, date_to=LATER, grouping="month", status="paid")
    listing = export(client, "refunds", "listing_csv", date_from=FIRST, date_to=LATER, status="paid")
    assert len(listing) == len(paid)
    assert sorted(Decimal(row["Days to payment"]) for row in listing) == sorted(
        Decimal(str(w)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) for w in waits
    )
    assert all(row["Status"] == "Paid" and row["Paid by"] and row["Payment reference"] for row in listing)
    assert rows and all(row["Status"] == "Paid" for row in rows)

    rejected = export(client, "refunds", "listing_csv", date_from=FIRST, date_to=LATER, status="rejected")
    assert rejected and all(row["Reason for rejection"] == "Outside the rules" for row in rejected)
    assert all(row["Approved or rejected by"] in {"fay", "gus"} for row in rejected)


PAYMENTS_SQL = """
    SELECT u.username, p.method, COUNT(*), SUM(p.amount)
    FROM sales_payment p JOIN auth_user u ON u.id = p.agent_id
    WHERE {period}
    GROUP BY u.username, p.method
"""
PAID_OUT_SQL = """
    SELECT u.username, r.method, COUNT(*), SUM(r.amount)
    FROM refunds_refund r JOIN auth_user u ON u.id = r.paid_by_id
    WHERE r.status = 'paid' AND {period}
    GROUP BY u.username, r.method
"""
METHOD = {"cash": "Cash", "card": "Card", "bank_transfer": "Bank transfer"}


def test_cash_up_per_day_agent_and_method_for_each_grouping(sales_history, agents, client):
    client.force_login(agents["fay"])
    for grouping in GROUPINGS:
        expected = defaultdict(lambda: ["0", Decimal("0.00"), "0", Decimal("0.00")])
        for label, first, after in periods(FIRST, LATER, grouping):
            bounds = [local_midnight(first), local_midnight(after)]
            for agent, method, count, amount in sql(PAYMENTS_SQL.format(period=in_period("p.received_at")), bounds):
                expected[(label, agent, METHOD[method])][:2] = [str(count), cents(amount)]
            for agent, method, count, amount in sql(PAID_OUT_SQL.format(period=in_period("r.paid_at")), bounds):
                expected[(label, agent, METHOD[method])][2:] = [str(count), cents(amount)]
        rows = export(client, "cash_up", date_from=FIRST, date_to=LATER, grouping=grouping)
        got = {
            (row["Period"], row["Agent"], row["Method"]): [
                row["Payments"],
                Decimal(row["Taken"]),
                row["Refunds"],
                Decimal(row["Paid out"]),
            ]
            for row in rows
        }
        assert got == dict(expected), grouping
        assert all(Decimal(row["Net"]) == Decimal(row["Taken"]) - Decimal(row["Paid out"]) for row in rows)
        assert {agent for _, agent, _ in got} == {"carl", "cleo", "fay", "gus"}


def test_cash_up_movements_sum_to_the_net(sales_history, agents, client):
    client.force_login(agents["fay"])
    bounds = [local_midnight(FIRST), local_midnight(LATER + dt.timedelta(days=1))]
    ((taken,),) = sql(f"SELECT SUM(amount) FROM sales_payment WHERE {in_period('received_at')}", bounds)
    ((paid_out,),) = sql(
        f"SELECT SUM(amount) FROM refunds_refund WHERE status = 'paid' AND {in_period('paid_at')}", bounds
    )
    movements = export(client, "cash_up", "listing_csv", date_from=FIRST, date_to=LATER)
    assert sum(Decimal(row["Amount (refunds negative)"]) for row in movements) == cents(taken) - cents(paid_out)
    assert [row["When (local)"] for row in movements] == sorted(row["When (local)"] for row in movements)


LOAD_SQL = """
    SELECT o.code || '-' || d.code,
           SUM(CASE WHEN f.status <> 'cancelled' THEN 1 ELSE 0 END),
           SUM(CASE WHEN f.status = 'cancelled' THEN 1 ELSE 0 END),
           SUM(CASE WHEN f.status = 'departed' THEN 1 ELSE 0 END),
           SUM(CASE WHEN f.status <> 'cancelled' THEN f.capacity ELSE 0 END),
           SUM(CASE WHEN f.status <> 'cancelled' THEN f.seats_sold ELSE 0 END)
    FROM fleet_flight f
    JOIN fleet_airport o ON o.id = f.origin_id
    JOIN fleet_airport d ON d.id = f.destination_id
    WHERE f.flight_date >= %s AND f.flight_date < %s
    GROUP BY o.code, d.code
"""


def test_load_factor_per_route_and_per_flight(sales_history, agents, client):
    client.force_login(agents["otto"])
    first, last = dt.date(2021, 1, 30), dt.date(2021, 2, 2)
    for grouping in GROUPINGS:
        expected = {}
        for label, start, after in periods(first, last, grouping):
            for route, flights, cancelled, flown, offered, sold in sql(LOAD_SQL, [start, after]):
                expected[(label, route)] = [str(flights), str(cancelled), str(flown), str(offered), str(sold)]
        rows = export(client, "load_factor", date_from=first, date_to=last, grouping=grouping)
        got = {
            (row["Period"], row["Route"]): [
                row["Flights"],
                row["Cancelled"],
                row["Flown"],
                row["Seats offered"],
                row["Seats sold"],
            ]
            for row in rows
        }
        assert got == expected, grouping
    flights = export(client, "load_factor", "listing_csv", date_from=first, date_to=last)
    assert {row["Status"] for row in flights} == {"Scheduled", "Cancelled", "Departed"}
    for row in flights:
        assert int(row["Y"]) == int(row["Seats sold"])
        if row["Status"] == "Cancelled":
            assert row["Load factor %"] == ""
            continue
        expected_factor = Decimal(row["Seats sold"]) * 100 / Decimal(row["Capacity"])
        assert Decimal(row["Load factor %"]) == expected_factor.quantize(Decimal("0.1"))
