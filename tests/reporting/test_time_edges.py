"""A range holds its end days whole, in the business time zone, whatever the clocks do."""

import datetime as dt

import pytest

from tests.reporting.conftest import at, sell
from tests.reporting.helpers import read_csv, report_url

pytestmark = pytest.mark.django_db


def sales_rows(client, first, last, grouping="day"):
    rows = read_csv(
        client.get(report_url("sales", "csv", date_from=first, date_to=last, grouping=grouping, breakdown="agent"))
    )
    return {row["Period"]: int(row["Tickets"]) for row in rows}


@pytest.fixture
def sell_at(network, agents):
    def sell_one(instant):
        return sell(network[0], agent=agents["carl"], now=instant)

    return sell_one


@pytest.mark.parametrize(
    "last_day",
    [
        dt.date(2020, 11, 17),  # an ordinary day, UTC+1
        dt.date(2020, 10, 25),  # clocks go back: 25 hours
        dt.date(2020, 3, 29),  # clocks go forward: 23 hours
    ],
)
def test_the_last_day_is_whole_and_the_next_one_is_out(last_day, sell_at, agents, client):
    before, after = last_day - dt.timedelta(days=1), last_day + dt.timedelta(days=1)
    sell_at(at(before, 23, 30))  # outside: the day before the one-day range
    sell_at(at(last_day, 0, 30))
    sell_at(at(last_day, 23, 30))
    sell_at(at(after, 0, 30))  # outside: the day after
    client.force_login(agents["fay"])

    assert sales_rows(client, last_day, last_day) == {last_day.isoformat(): 2}
    assert sales_rows(client, before, last_day) == {before.isoformat(): 1, last_day.isoformat(): 2}
    documents = read_csv(client.get(report_url("sales", "listing_csv", date_from=last_day, date_to=last_day)))
    assert [row["Issued (local)"] for row in documents] == [f"{last_day} 00:30", f"{last_day} 23:30"]


def test_iso_week_53_and_the_week_across_new_year(sell_at, agents, client):
    sell_at(at(dt.date(2020, 12, 28), 0, 30))  # Monday of 2020-W53
    sell_at(at(dt.date(2020, 12, 31), 23, 30))
    sell_at(at(dt.date(2021, 1, 1), 0, 30))
    sell_at(at(dt.date(2021, 1, 3), 23, 30))  # Sunday: still 2020-W53
    sell_at(at(dt.date(2021, 1, 4), 0, 30))  # Monday: 2021-W01
    client.force_login(agents["fay"])
    first, last = dt.date(2020, 12, 21), dt.date(2021, 1, 10)

    assert sales_rows(client, first, last, "week") == {"2020-W53": 4, "2021-W01": 1}
    assert sales_rows(client, first, last, "month") == {"2020-12": 2, "2021-01": 3}
    assert sales_rows(client, first, last, "day") == {
        "2020-12-28": 1,
        "2020-12-31": 1,
        "2021-01-01": 1,
        "2021-01-03": 1,
        "2021-01-04": 1,
    }


def test_a_week_cut_by_the_range_counts_only_the_days_inside(sell_at, agents, client):
    sell_at(at(dt.date(2020, 12, 29), 12))
    sell_at(at(dt.date(2021, 1, 2), 12))
    client.force_login(agents["fay"])
    assert sales_rows(client, dt.date(2020, 12, 30), dt.date(2021, 1, 2), "week") == {"2020-W53": 1}


def test_the_report_states_its_range_zone_author_and_time(sell_at, agents, client):
    sell_at(at(dt.date(2020, 10, 25), 12))
    client.force_login(agents["fay"])
    html = client.get(report_url("sales", date_from="2020-10-25", date_to="2020-10-25")).content.decode()
    assert "Tickets issued from Sun 25 Oct 2020 to Sun 25 Oct 2020, both days whole, Europe/Paris time." in html
    assert "Run by fay on " in html
