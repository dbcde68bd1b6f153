"""Reports, their files and the dashboards read from the replica when there is one; writes, and reads inside a
write, stay on the primary; each report says its data is as of the replica's last replayed change.

The replica here is Django's test mirror of the test database (another connection to it), so these tests
commit what they write. bench/replica.py runs a report against a real streaming replica.
"""

import datetime as dt

import pytest
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice import replica
from backoffice.models import Job
from reporting import files
from reporting.jobs import start_export
from reporting.reports import REPORTS
from sales.models import IssuedTicket, Ticket
from tests.reporting.conftest import at, sell
from tests.reporting.helpers import read_csv, report_url

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"]),
    pytest.mark.postgres_only("the replica alias (REPLICA_DATABASE_URL) is configured on PostgreSQL only"),
]

DAY = dt.date(2020, 11, 10)


@pytest.fixture
def reads_replica(settings):
    settings.REPLICA_READS = True


@pytest.fixture
def sold(network, agents):
    sell(network[0], agent=agents["carl"], now=at(DAY, 9), passengers=3)


# What sales reports read: the tickets, the sales listing's rows, the daily sales summaries.
SALES_TABLES = (Ticket._meta.db_table, IssuedTicket._meta.db_table, "sales_daily")


def ticket_queries(alias, captured):
    return [
        query["sql"]
        for query in captured[alias].captured_queries
        if any(f'"{table}' in query["sql"] for table in SALES_TABLES)
    ]


def capture():
    return {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")}


def run(captured, action):
    for context in captured.values():
        context.__enter__()
    try:
        return action()
    finally:
        for context in captured.values():
            context.__exit__(None, None, None)


def test_a_report_page_and_its_csv_read_the_replica(reads_replica, sold, agents, client):
    client.force_login(agents["fay"])
    captured = capture()
    page = run(captured, lambda: client.get(report_url("sales", "listing", date_from=DAY, date_to=DAY)))
    assert page.status_code == 200
    assert ticket_queries("replica", captured) and not ticket_queries("default", captured)
    # The mirror is no standby: it has replayed nothing, and the report says so.
    assert "Data as of the replica&#x27;s start (it has replayed no change since)." in page.content.decode()

    captured = capture()
    rows = run(captured, lambda: read_csv(client.get(report_url("sales", "listing_csv", date_from=DAY, date_to=DAY))))
    assert len(rows) == 3
    assert ticket_queries("replica", captured) and not ticket_queries("default", captured)


def test_the_dashboard_reads_the_replica(reads_replica, sold, agents, client):
    client.force_login(agents["fay"])
    captured = capture()
    assert run(captured, lambda: client.get(reverse("admin:index"))).status_code == 200
    replica_sql = " ".join(query["sql"] for query in captured["replica"].captured_queries)
    assert "refunds_refund" in replica_sql
    assert not any("refunds_refund" in query["sql"] for query in captured["default"].captured_queries)


def export_the_days_sales(user, file_format, captured):
    """An export of DAY's sales listing as a job, run with its queries captured; the job, done."""
    report = REPORTS["sales"]
    form = files.report_form(report, {"date_from": [str(DAY)], "date_to": [str(DAY)]}, user=user, listing=True)
    assert form.is_valid(), form.errors
    job, _ = run(
        captured, lambda: start_export(user=user, report=report, form=form, listing=True, file_format=file_format)
    )
    assert Job.objects.using("default").get(pk=job.pk).state == Job.State.DONE
    return job


def test_an_export_job_reads_the_replica_and_writes_its_job_on_the_primary(reads_replica, sold, agents):
    captured = capture()
    export_the_days_sales(agents["fay"], "pdf", captured)
    assert ticket_queries("replica", captured) and not ticket_queries("default", captured)
    job_table = Job._meta.db_table
    assert not any(job_table in query["sql"] for query in captured["replica"].captured_queries)


def test_writes_and_reads_inside_a_write_stay_on_the_primary(reads_replica, sold):
    with replica.for_reports():
        assert Ticket.objects.all().db == "replica"
        assert router.db_for_write(Ticket) == "default"
        with transaction.atomic():
            assert Ticket.objects.all().db == "default"
    assert Ticket.objects.all().db == "default"


def test_without_replica_reads_reports_read_the_primary(sold, agents, client, settings):
    settings.REPLICA_READS = False
    client.force_login(agents["fay"])
    captured = capture()
    page = run(captured, lambda: client.get(report_url("sales", "listing", date_from=DAY, date_to=DAY)))
    assert ticket_queries("default", captured) and not ticket_queries("replica", captured)
    assert "Data as of" not in page.content.decode()


def auth_queries(alias, captured):
    return [query["sql"] for query in captured[alias].captured_queries if '"auth_' in query["sql"]]


def test_who_may_open_a_report_is_asked_of_the_primary(reads_replica, sold, agents, client):
    # A right taken away (or an account switched off) applies at once, not when the replica has replayed it.
    client.force_login(agents["fay"])
    captured = capture()
    page = run(captured, lambda: client.get(report_url("sales", "listing", date_from=DAY, date_to=DAY)))
    assert page.status_code == 200
    assert auth_queries("default", captured) and not auth_queries("replica", captured)
    assert ticket_queries("replica", captured)


def test_an_export_job_asks_the_primary_whether_its_user_may_still_have_the_file(reads_replica, sold, agents):
    captured = capture()
    export_the_days_sales(agents["fay"], "csv", captured)
    assert auth_queries("default", captured) and not auth_queries("replica", captured)
    assert ticket_queries("replica", captured)


@pytest.mark.parametrize("part", ["changelist", "listing"])
def test_a_report_page_reads_nothing_but_who_may_see_it_on_the_primary(reads_replica, sold, agents, client, part):
    # The page is drawn while reads go to the replica too: its form's choices (fare classes...) as well.
    client.force_login(agents["fay"])
    captured = capture()
    page = run(captured, lambda: client.get(report_url("sales", part, date_from=DAY, date_to=DAY)))
    assert page.status_code == 200
    on_primary = [sql for sql in (q["sql"] for q in captured["default"].captured_queries) if '"auth_' not in sql]
    assert [sql for sql in on_primary if '"django_session"' not in sql] == []
    assert any('"sales_fareclass"' in query["sql"] for query in captured["replica"].captured_queries)
