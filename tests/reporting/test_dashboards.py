"""The admin home: each role's dashboard, its figures counted again here from the rows themselves, the
lists and reports its numbers link to, and a number of queries that does not grow with the data.

The clock is stopped at Wednesday 10 March 2021, 14:00 in Paris (the business zone, CET).
"""

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE
from backoffice.system import system_user
from fleet import services as fleet_services
from fleet.models import Flight, ScheduleLine
from refunds import services as refunds
from refunds.models import Refund, RefundRule
from sales import services
from sales.models import Booking, Payment, Ticket
from tests.factories import AirportFactory, FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory
from tests.reporting.conftest import CONTACT, PARIS, at, sell, staff

pytestmark = pytest.mark.django_db

TODAY = dt.date(2021, 3, 10)
NOW = at(TODAY, 14)
YESTERDAY = TODAY - dt.timedelta(days=1)
LAST_WEEK = TODAY - dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def stopped_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW.astimezone(dt.UTC))


def local_day(instant):
    return instant.astimezone(PARIS).date() if instant else None


class Network:
    """Airports, a fare class, and flights made to order, each with an economy bucket."""

    def __init__(self):
        TaxFactory(amount=Decimal("4.63"))
        self.economy = FareClassFactory(code="Y")
        RefundRule.objects.create(fare_class=self.economy, cancellation_fee=Decimal("30.00"))
        self.cdg = AirportFactory(code="CDG", time_zone="Europe/Paris")
        self.lhr = AirportFactory(code="LHR", time_zone="Europe/London")
        self.number = 200

    def flight(self, departure, *, origin=None, capacity=20, seats_sold=0):
        """A flight leaving at `departure` (aware) with a bucket of economy seats; returns the bucket."""
        origin = origin or self.cdg
        destination = self.lhr if origin == self.cdg else self.cdg
        self.number += 1
        flight = FlightFactory(
            number=self.number,
            origin=origin,
            destination=destination,
            flight_date=departure.astimezone(origin.zone).date(),
            scheduled_departure=departure,
            scheduled_arrival=departure + dt.timedelta(minutes=80),
            capacity=capacity,
            seats_sold=seats_sold,
        )
        return FareBucketFactory(
            flight=flight, fare_class=self.economy, price=Decimal("100.00"), seats_allocated=capacity
        )


def hold(bucket, *, agent, now, passengers=1):
    return services.book(
        segments=[services.SegmentRequest(bucket.flight_id, "Y")],
        passengers=[services.PassengerRequest(f"Durand{'x' * n}", "Paul", "MR") for n in range(passengers)],
        agent=agent,
        now=now,
        **CONTACT,
    )


@pytest.fixture
def agents(db):
    return {
        "carl": staff("carl", COUNTER_STAFF),
        "cleo": staff("cleo", COUNTER_STAFF),
        "fay": staff("fay", FINANCE),
        "gus": staff("gus", FINANCE),
        "otto": staff("otto", ADMIN),
    }


@pytest.fixture
def network(db):
    return Network()


def fill(network, agents):
    """A day at the hub: departures in every check-in state, sales today and a week ago, holds, refunds in
    every status, flights filling up, a schedule import."""
    carl, cleo, fay, gus, otto = (agents[name] for name in ("carl", "cleo", "fay", "gus", "otto"))
    next_week = [network.flight(at(TODAY + dt.timedelta(days=days), 10)) for days in (8, 9)]
    # Today's departures from CDG, one in each check-in state (check-in opens 3 h and closes 45 min before).
    due = network.flight(at(TODAY, 8))
    departed = network.flight(at(TODAY, 9))
    closed = network.flight(at(TODAY, 14, 30))
    check_in_open = network.flight(at(TODAY, 16))
    not_open = network.flight(at(TODAY, 18))
    cancelled = network.flight(at(TODAY, 20))
    network.flight(at(TODAY, 23, 30))
    network.flight(at(TODAY + dt.timedelta(days=1), 0, 30))  # tomorrow
    network.flight(at(YESTERDAY, 23, 30))  # yesterday
    network.flight(at(TODAY, 11), origin=network.lhr)  # today, from another station

    # Sales: today by both agents, yesterday, and on the same weekday last week before and after 14:00.
    sell(check_in_open, agent=carl, now=at(TODAY, 11), passengers=3, method="cash")
    sell(not_open, agent=cleo, now=at(TODAY, 9), passengers=2, method="card")
    sell(next_week[0], agent=carl, now=at(YESTERDAY, 10), passengers=1, method="card")
    sell(next_week[0], agent=cleo, now=at(LAST_WEEK, 10), passengers=2, method="cash")
    sell(next_week[1], agent=cleo, now=at(LAST_WEEK, 16), passengers=1, method="cash")
    sell(departed, agent=carl, now=at(YESTERDAY, 12), passengers=2)
    services.depart_flight(flight=departed.flight, agent=carl, now=at(TODAY, 9))
    refunds.cancel_flight(flight=cancelled.flight, user=otto, now=at(TODAY, 8))

    # Holds: two of carl's end today (2 h before an 18:00 departure; 24 h after yesterday 15:00), one
    # tomorrow; one of cleo's ends today.
    hold(not_open, agent=carl, now=at(TODAY, 11))
    hold(next_week[1], agent=carl, now=at(YESTERDAY, 15), passengers=2)
    hold(next_week[1], agent=carl, now=at(TODAY, 8))
    hold(not_open, agent=cleo, now=at(TODAY, 10))

    # Refunds: waiting (two), approved, paid today, rejected.
    tickets = sell(next_week[1], agent=carl, now=at(LAST_WEEK, 9), passengers=5, method="card")
    refunds.request_refund(ticket=tickets[0], requested_by=carl, now=at(YESTERDAY, 12))
    refunds.request_refund(ticket=tickets[1], requested_by=cleo, now=at(TODAY, 10))
    approved = refunds.request_refund(ticket=tickets[2], requested_by=carl, now=at(LAST_WEEK, 12))
    refunds.approve_refund(refund=approved, approver=fay, now=at(YESTERDAY, 9))
    paid = refunds.request_refund(ticket=tickets[3], requested_by=carl, now=at(LAST_WEEK, 13))
    refunds.approve_refund(refund=paid, approver=gus, now=at(YESTERDAY, 10))
    refunds.mark_refund_paid(refund=paid, user=fay, method="card", reference="CB-1", now=at(TODAY, 11))
    rejected = refunds.request_refund(ticket=tickets[4], requested_by=carl, now=at(LAST_WEEK, 14))
    refunds.reject_refund(refund=rejected, approver=gus, reason="Outside the rules", now=at(YESTERDAY, 11))

    # Filling up in the next seven days (today to 16 March): over 90 %, exactly 90 %, cancelled, too late.
    network.flight(at(TODAY + dt.timedelta(days=2), 9), seats_sold=19)
    network.flight(at(TODAY + dt.timedelta(days=6), 22), seats_sold=20)
    network.flight(at(TODAY + dt.timedelta(days=3), 9), seats_sold=18)
    full_cancelled = network.flight(at(TODAY + dt.timedelta(days=4), 9), seats_sold=20).flight
    Flight.objects.filter(pk=full_cancelled.pk).update(status=Flight.Status.CANCELLED)
    network.flight(at(TODAY + dt.timedelta(days=7), 9), seats_sold=20)

    # The last schedule import, as the import writes it: schedule lines with history.
    line = ScheduleLine(
        carrier="XB",
        number=900,
        origin=network.cdg,
        destination=network.lhr,
        departure_time=dt.time(7, 0),
        arrival_time=dt.time(7, 20),
        days_of_operation="1234567",
        valid_from=TODAY,
        valid_to=TODAY + dt.timedelta(days=30),
        aircraft_type=next_week[0].flight.aircraft_type,
    )
    line._history_user = otto
    line.save()
    return {"due": due, "departed": departed, "closed": closed, "open": check_in_open, "not_open": not_open}


def more(network, agents, count):
    """`count` more of everything the dashboards count or list: departures today here and elsewhere, flights
    filling up, holds expiring today, sales today and last week, refunds waiting."""
    carl, cleo = agents["carl"], agents["cleo"]
    big = network.flight(at(TODAY + dt.timedelta(days=12), 10), capacity=300)
    for n in range(count):
        network.flight(at(TODAY, 6, n % 60), seats_sold=n % 20)
        network.flight(at(TODAY, 12, n % 60), origin=network.lhr)
        network.flight(at(TODAY + dt.timedelta(days=1 + n % 5), 7, n % 60), seats_sold=20)
        hold(big, agent=carl, now=at(YESTERDAY, 15, n % 60))
        (ticket,) = sell(big, agent=carl, now=at(TODAY, 6, n % 60), method="card")
        refunds.request_refund(ticket=ticket, requested_by=cleo, now=at(TODAY, 7, n % 60))
        sell(big, agent=cleo, now=at(LAST_WEEK, 8, n % 60))


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response


def sections(response):
    return {section.key: section for section in response.context.get("sections") or []}


def figures(response):
    return {figure.key: figure for section in sections(response).values() for figure in section.figures}


def tables(response):
    return {table.key: table for section in sections(response).values() for table in section.tables}


def money_text(value):
    return f"{value:,.2f} EUR"


def query_of(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# --- Who sees what -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "roles, expected",
    [
        ([COUNTER_STAFF], ["counter"]),
        ([FINANCE], ["finance"]),
        ([ADMIN], ["admin"]),
        ([COUNTER_STAFF, FINANCE], ["counter", "finance"]),
        ([FINANCE, ADMIN], ["finance", "admin"]),
    ],
)
def test_each_role_sees_its_own_sections_and_no_other(roles, expected, client, db):
    user = staff("multi", roles[0])
    user.groups.add(*Group.objects.filter(name__in=roles[1:]))
    response = home(client, user)
    assert list(sections(response)) == expected
    html = response.content.decode()
    for key in ("counter", "finance", "admin"):
        assert (f'data-section="{key}"' in html) is (key in expected)


def test_a_superuser_sees_every_section(client, db):
    boss = User.objects.create_superuser("boss", password="x")
    assert list(sections(home(client, boss))) == ["counter", "finance", "admin"]


def test_a_person_without_a_role_gets_the_plain_index(client, db):
    clerk = User.objects.create_user("norole", password="x", is_staff=True)
    response = home(client, clerk)
    assert sections(response) == {}
    assert "data-section" not in response.content.decode()


def test_the_anonymous_visitor_gets_the_login_page(client, db):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", [COUNTER_STAFF, FINANCE, ADMIN, "superuser"])
def test_the_home_page_answers_with_no_data_at_all(role, client, db):
    user = User.objects.create_superuser("boss", password="x") if role == "superuser" else staff("someone", role)
    response = home(client, user)
    assert sections(response)
    assert "No departures today." in response.content.decode() or role == FINANCE


# --- The figures ------------------------------------------------------------------------------------------


def test_counter_figures_are_what_the_rows_say(network, agents, client):
    flights = fill(network, agents)
    carl = agents["carl"]
    fleet_services.set_station(staff=carl, airport=network.cdg, user=agents["otto"])
    response = home(client, carl)
    shown = figures(response)

    from_cdg_today = [
        f for f in Flight.objects.all() if f.origin_id == network.cdg.pk and local_day(f.scheduled_departure) == TODAY
    ]
    flying = [f for f in from_cdg_today if f.status != Flight.Status.CANCELLED]
    assert len(from_cdg_today) == 7
    assert shown["counter-departures"].value == "7"
    sold, seats = sum(f.seats_sold for f in flying), sum(f.capacity for f in flying)
    assert shown["counter-departures"].note == f"{sold} of {seats} seats sold, 1 cancelled"
    expected_factor = (Decimal(sold) * 100 / seats).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert shown["counter-load-factor"].value == f"{expected_factor} %"

    my_holds = [
        b
        for b in Booking.objects.all()
        if b.agent == carl and b.status == Booking.Status.HELD and local_day(b.hold_deadline) == TODAY
    ]
    assert len(my_holds) == 2
    assert shown["counter-holds"].value == "2"

    mine = [t for t in Ticket.objects.all() if t.issued_by == carl and local_day(t.issued_at) == TODAY]
    assert len(mine) == 3
    assert shown["counter-sales"].value == money_text(sum(t.total_amount for t in mine))
    assert shown["counter-sales"].note == "3 tickets issued"
    taken = [p for p in Payment.objects.all() if p.agent == carl and local_day(p.received_at) == TODAY]
    assert shown["counter-payments"].value == money_text(sum(p.amount for p in taken))

    # The departures table: in departure order, local times, each check-in as the clock has it.
    table = tables(response)["counter-departures"]
    assert len(table.rows) == 7
    states = {row[0]: str(row[3]) for row in table.rows}

    def state(flight_bucket):
        return next(text for link, text in states.items() if flight_bucket.flight.designator in link)

    assert "Closed, departure not recorded" in state(flights["due"])
    assert "Departure and no-shows" in state(flights["due"])
    assert "Departed" in state(flights["departed"])
    assert "Closed" in state(flights["closed"]) and "Departure and no-shows" in state(flights["closed"])
    assert "Open until 15:15 CET" in state(flights["open"])
    assert "Opens 15:00 CET" in state(flights["not_open"])
    assert [row[2] for row in table.rows][:2] == ["08:00 CET", "09:00 CET"]
    # My holds, by deadline: yesterday's 15:00 hold ends today at 15:00, the 18:00 flight's at 16:00.
    holds = tables(response)["counter-holds"]
    assert [row[2] for row in holds.rows] == ["15:00 CET", "16:00 CET"]


def test_without_a_station_the_counter_sees_every_station_and_is_told_why(network, agents, client):
    fill(network, agents)
    response = home(client, agents["carl"])
    section = sections(response)["counter"]
    assert "No station is set for you" in section.subtitle
    today = [f for f in Flight.objects.all() if local_day(f.scheduled_departure) == TODAY]
    assert figures(response)["counter-departures"].value == str(len(today)) == "8"
    assert tables(response)["counter-departures"].headers[1] == "From"
    assert "No station is set for you" in response.content.decode()


def test_finance_figures_are_what_the_rows_say(network, agents, client):
    fill(network, agents)
    response = home(client, agents["fay"])
    shown = figures(response)
    refunds_now = list(Refund.objects.all())
    waiting = [r for r in refunds_now if r.status == Refund.Status.REQUESTED]
    unpaid = [r for r in refunds_now if r.status == Refund.Status.APPROVED]
    # Two waiting from the day's refunds, and the cancelled flight's involuntary ones.
    assert len(waiting) == 2 + Refund.objects.filter(kind=Refund.Kind.INVOLUNTARY).count()
    assert shown["finance-waiting"].value == str(len(waiting))
    assert money_text(sum(r.amount for r in waiting)) in shown["finance-waiting"].note
    assert shown["finance-unpaid"].value == "1"
    assert money_text(sum(r.amount for r in unpaid)) in shown["finance-unpaid"].note

    taken = sum(p.amount for p in Payment.objects.all() if local_day(p.received_at) == TODAY)
    paid_out = sum(r.amount for r in refunds_now if r.status == Refund.Status.PAID and local_day(r.paid_at) == TODAY)
    assert shown["finance-net"].value == money_text(taken - paid_out)
    assert shown["finance-net"].note == f"{money_text(taken)} taken, {money_text(paid_out)} paid out"

    # Oldest first.
    oldest = tables(response)["finance-waiting"].rows
    requested = sorted(waiting, key=lambda r: r.requested_at)
    assert [row[1] for row in oldest] == [r.ticket.number for r in requested]

    # The chart: thirty days to today, sales by day issued and refunds by day requested.
    chart = json.loads(sections(response)["finance"].chart.data)
    assert len(chart["labels"]) == 30 and chart["labels"][-1] == "10 Mar"
    sales, refunded = chart["datasets"][0]["data"], chart["datasets"][1]["data"]
    for offset in (0, 1, 7):
        day = TODAY - dt.timedelta(days=offset)
        expected_sales = sum(t.total_amount for t in Ticket.objects.all() if local_day(t.issued_at) == day)
        expected_refunds = sum(r.amount for r in refunds_now if local_day(r.requested_at) == day)
        assert sales[29 - offset] == float(expected_sales)
        assert refunded[29 - offset] == float(expected_refunds)
    assert sum(sales) > 0 and sum(refunded) > 0


def test_admin_figures_are_what_the_rows_say(network, agents, client):
    fill(network, agents)
    response = home(client, agents["otto"])
    shown = figures(response)
    week = [TODAY + dt.timedelta(days=n) for n in range(7)]
    full = [
        f
        for f in Flight.objects.all()
        if f.status == Flight.Status.SCHEDULED
        and local_day(f.scheduled_departure) in week
        and f.seats_sold * 10 > f.capacity * 9
    ]
    assert len(full) == 2
    assert shown["admin-full"].value == "2"
    rows = tables(response)["admin-full"].rows
    full.sort(key=lambda f: f.scheduled_departure)
    assert [(f.designator in row[0], row[4]) for f, row in zip(full, rows, strict=True)] == [
        (True, '<div class="bo-num">19 / 20</div>'),
        (True, '<div class="bo-num">20 / 20</div>'),
    ]

    today = [f for f in Flight.objects.all() if local_day(f.scheduled_departure) == TODAY]
    assert shown["admin-departures"].value == str(len(today))

    def sold(day, before=None):
        return sum(
            t.total_amount
            for t in Ticket.objects.all()
            if local_day(t.issued_at) == day and (before is None or t.issued_at < before)
        )

    assert shown["admin-sales-today"].value == money_text(sold(TODAY))
    assert shown["admin-sales-last-week"].value == money_text(sold(LAST_WEEK))
    by_now = sold(LAST_WEEK, before=at(LAST_WEEK, 14))
    change = ((sold(TODAY) - by_now) * 100 / by_now).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert shown["admin-sales-today"].note == f"{change:+} % against {money_text(by_now)} by this time on Wed 3 Mar"
    assert shown["admin-import"].value == "10 Mar 2021, 14:00 CET"
    assert shown["admin-import"].note == "by otto"


# --- The links ------------------------------------------------------------------------------------------------


def listed(client, url):
    """How many records the list behind a link shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def report_totals(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert not response.context["form"].errors, response.context["form"].errors
    return {
        column.key: cell.text
        for column, cell in zip(response.context["columns"], response.context["totals"], strict=True)
    }


def test_counter_links_open_the_lists_with_the_same_figures(network, agents, client):
    fill(network, agents)
    carl = agents["carl"]
    fleet_services.set_station(staff=carl, airport=network.cdg, user=agents["otto"])
    shown = figures(home(client, carl))
    departures = shown["counter-departures"].url
    assert resolve(urlsplit(departures).path).url_name == "fleet_flight_changelist"
    assert query_of(departures) == {
        "origin__id__exact": str(network.cdg.pk),
        "scheduled_departure__range__gte": "2021-03-10",
        "scheduled_departure__range__lte": "2021-03-10",
    }
    assert listed(client, departures) == 7
    assert resolve(urlsplit(shown["counter-holds"].url).path).url_name == "sales_booking_changelist"
    assert listed(client, shown["counter-holds"].url) == 2
    assert resolve(urlsplit(shown["counter-sales"].url).path).url_name == "sales_ticket_changelist"
    assert listed(client, shown["counter-sales"].url) == 3
    drawer = shown["counter-payments"].url
    assert query_of(drawer) == {"date_from": "2021-03-10", "date_to": "2021-03-10", "grouping": "day", "agent": "carl"}
    assert report_totals(client, drawer)["taken"] == shown["counter-payments"].value.removesuffix(" EUR")
    # The "mine" filter is whoever looks: cleo following carl's link sees her own.
    client.force_login(agents["cleo"])
    assert listed(client, shown["counter-sales"].url) == 2


def test_finance_links_open_the_lists_and_reports_with_the_same_figures(network, agents, client):
    fill(network, agents)
    response = home(client, agents["fay"])
    shown = figures(response)
    assert listed(client, shown["finance-waiting"].url) == int(shown["finance-waiting"].value)
    assert query_of(shown["finance-waiting"].url) == {"status__exact": "requested"}
    assert listed(client, shown["finance-unpaid"].url) == 1
    assert report_totals(client, shown["finance-net"].url)["net"] == shown["finance-net"].value.removesuffix(" EUR")
    links = dict(sections(response)["finance"].chart.links)
    sales = report_totals(client, links["Sales report"])
    assert query_of(links["Sales report"])["date_from"] == "2021-02-09"
    window = [TODAY - dt.timedelta(days=n) for n in range(30)]
    assert (
        sales["total"]
        == f"{sum(t.total_amount for t in Ticket.objects.all() if local_day(t.issued_at) in window):,.2f}"
    )
    refunds_report = report_totals(client, links["Refunds report"])
    amount = sum(r.amount for r in Refund.objects.all() if local_day(r.requested_at) in window)
    assert refunds_report["amount_returned"] == f"{amount:,.2f}"


def test_admin_links_open_the_lists_and_reports_with_the_same_figures(network, agents, client):
    fill(network, agents)
    shown = figures(home(client, agents["otto"]))
    full = shown["admin-full"].url
    assert query_of(full) == {
        "status__exact": "scheduled",
        "fuller_than": "90",
        "scheduled_departure__range__gte": "2021-03-10",
        "scheduled_departure__range__lte": "2021-03-16",
    }
    assert listed(client, full) == 2
    assert listed(client, shown["admin-departures"].url) == int(shown["admin-departures"].value)
    today = report_totals(client, shown["admin-sales-today"].url)
    assert today["total"] == shown["admin-sales-today"].value.removesuffix(" EUR")
    last_week = report_totals(client, shown["admin-sales-last-week"].url)
    assert last_week["total"] == shown["admin-sales-last-week"].value.removesuffix(" EUR")
    assert resolve(urlsplit(shown["admin-import"].url).path).url_name == "fleet_scheduleline_changelist"


def test_links_a_person_may_not_follow_are_not_offered(network, agents, client):
    fill(network, agents)
    response = home(client, agents["carl"])
    html = response.content.decode()
    # Counter staff run their own cash-up only: no sales report, no refunds list filtered for Finance.
    assert reverse("admin:reporting_salesreport_changelist") not in html
    assert "status__exact=requested" not in html


# --- A fixed number of queries ------------------------------------------------------------------------------------

# Session, user, the user's and their groups' permissions: 4. Then each section's own:
# counter: station, departures (list, figures), holds (list, count), tickets and payments today: 7;
# finance: refund queue (figures, oldest), cash-up (payments, refunds), chart (sales, refunds): 6;
# admin: filling up (list, count), departures (list, figures), sales against last week, last import: 6.
# A superuser's permissions are not read: 2 + 7 + 6 + 6.
PINNED = {"carl": 11, "fay": 10, "otto": 10, "boss": 21}


def queries_per_home(client, users):
    counts = {}
    for user in users:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        counts[user.username] = len(queries)
    return counts


def test_the_home_page_costs_the_same_queries_whatever_the_data(network, agents, client):
    boss = User.objects.create_superuser("boss", password="x")
    people = [agents["carl"], agents["fay"], agents["otto"], boss]
    fleet_services.set_station(staff=agents["carl"], airport=network.cdg, user=system_user())
    fill(network, agents)
    small = queries_per_home(client, people)
    more(network, agents, 45)
    assert Flight.objects.count() > 150 and Refund.objects.count() >= 50 and Booking.objects.count() > 100
    assert queries_per_home(client, people) == small == PINNED
