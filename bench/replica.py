"""Reads off the primary, for real (issue 12): a report run against a PostgreSQL streaming replica.

    .venv/bin/python bench/replica.py [--writes 20] [--json] [--keep]

Makes a throwaway primary cluster (initdb and pg_ctl as bench/postgres_restart.py does it: under /tmp, a free
loopback port, as the postgres user when run as root; never the server on :5432) with wal_level=replica and
initdb's replication entry in pg_hba (trust on 127.0.0.1), migrates it and loads the demo's staff and flights
with a day of history (`manage.py demo --days 1 --history-days 1`). Then makes its streaming replica with
`pg_basebackup -R -X stream` and starts it on another free port (hot_standby on), and runs Django on both
(DATABASE_URL the primary, REPLICA_DATABASE_URL the replica) in this process:

1. the sales listing and its CSV, as the demo's Finance user through Django's test client: the queries on the
   tickets go to the replica's connection and none to the primary's, which is asked only who may see the report
   (session, user, rights); the heading says "Data as of" the replica's pg_last_xact_replay_timestamp();
2. replay paused on the replica (pg_wal_replay_pause()), a sale made on the primary: the report does not show
   it (it reads the replica, which has not replayed it) and its "data as of" has not moved;
3. replay resumed, then --writes sales, each waited for until the replica has replayed the primary's WAL
   (pg_last_wal_replay_lsn() >= the primary's pg_current_wal_lsn() after the commit): the replay lag;
   the report shows every sale and its "data as of" moved to the last one's commit;
4. a sale made while reads go to the replica (inside `for_reports()`) is written on the primary (a hot
   standby refuses writes), and a read inside a write's transaction reads the primary;
5. an export job (reporting/jobs.py start_export, Celery eager: no broker) reads the tickets on the replica
   and writes its job on the primary; its file has every row.

Prints the figures (setup, base backup, replay lag, report times) with the load average; exits 1 when a
check fails. --json prints them as one JSON line at the end as well (tests/reporting/test_streaming_replica.py).
Everything is stopped and removed at the end (--keep keeps the directory: logs and both clusters' data).
"""

import argparse
import csv
import io
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.postgres_restart import Cluster  # noqa: E402
from bench.throwaway import setup_django  # noqa: E402

TICKET_TABLES = ('"sales_ticket"', '"sales_issuedticket"', '"sales_daily')


class Checks:
    def __init__(self):
        self.failed = []

    def __call__(self, ok, what):
        print(f"  {'ok    ' if ok else 'FAILED'} {what}")
        if not ok:
            self.failed.append(what)
        return ok


def one(url, query, params=()):
    with psycopg.connect(url, autocommit=True) as db:
        return db.execute(query, params).fetchone()[0]


def find_pg_basebackup(pg_bin):
    """pg_basebackup of the same version as the cluster's initdb (Debian keeps it off PATH), else pg_tool's."""
    beside = (pg_bin / "initdb").resolve().parent / "pg_basebackup"
    if beside.exists():
        return beside
    found = subprocess.run(
        ["bash", "-c", "source bin/_lib.sh && pg_tool pg_basebackup"], cwd=ROOT, capture_output=True, text=True
    )
    if found.returncode != 0:
        sys.exit("pg_basebackup is neither beside initdb, on PATH nor in /usr/lib/postgresql/*/bin")
    return Path(found.stdout.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=20, help="sales written, each waited for on the replica (20)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end too")
    parser.add_argument("--keep", action="store_true", help="keep the directory: logs and both clusters' data")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="backoffice-replica-", dir="/tmp"))
    directory.chmod(0o755)  # each cluster's directory below belongs to postgres when we are root
    for part in ("primary", "replica"):
        (directory / part).mkdir()
    figures = {}
    clusters = []
    check = Checks()
    began = time.monotonic()
    try:
        primary = Cluster(directory / "primary", settings=["wal_level=replica", "max_wal_senders=4"])
        replica = Cluster(directory / "replica", settings=["hot_standby=on"])
        clusters += [replica, primary]  # stopped in this order
        primary_url = primary.start()
        print(f"primary: throwaway cluster {primary.bin} on 127.0.0.1:{primary.port} in {directory}")

        os.environ.update(
            DATABASE_URL=primary_url,
            # The replica's URL now (its port is chosen): Django connects to it only when a report reads.
            REPLICA_DATABASE_URL=f"postgres://postgres@127.0.0.1:{replica.port}/backoffice",
            REPLICA_READS="1",
            SECRET_KEY=secrets.token_urlsafe(50),
            BACKOFFICE_VAR_DIR=str(directory / "var"),
            BACKOFFICE_DEMO="1",
        )
        for name in ("CELERY_BROKER_URL", "DEBUG", "STATEMENT_TIMEOUT_SECONDS", "SENTRY_DSN"):
            os.environ.pop(name, None)  # jobs run in this process (Celery eager)
        setup_django()
        from django.core.management import call_command

        call_command("migrate", "--noinput", verbosity=0)
        out = io.StringIO()
        call_command("demo", days=1, history_days=1, stdout=out)
        figures["primary set up s"] = round(time.monotonic() - began, 1)
        print(f"migrated and loaded in {figures['primary set up s']} s: {out.getvalue().splitlines()[0]}")

        made = time.monotonic()
        replica.program(
            find_pg_basebackup(replica.bin),
            *("-D", str(replica.data), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-R", "-X", "stream", "-c", "fast"),
        )
        figures["base backup s"] = round(time.monotonic() - made, 1)
        replica.serve()
        replica_url = os.environ["REPLICA_DATABASE_URL"]
        figures["replica made and started s"] = round(time.monotonic() - made, 1)
        check(one(replica_url, "SELECT pg_is_in_recovery()"), f"replica on 127.0.0.1:{replica.port} is a hot standby")
        senders = one(primary_url, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        check(senders == 1, f"the primary streams to it (pg_stat_replication: {senders} streaming)")
        print(
            f"replica: pg_basebackup -R -X stream in {figures['base backup s']} s, started in"
            f" {figures['replica made and started s']} s"
        )

        run_checks(args, check, figures, primary_url, replica_url)
    finally:
        for cluster in clusters:
            cluster.stop()
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    figures["total s"] = round(time.monotonic() - began, 1)
    load = os.getloadavg()
    figures["load average"] = [round(value, 2) for value in load]
    print(
        f"total {figures['total s']} s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    figures["failed"] = check.failed
    if args.json:
        print(json.dumps(figures))
    if check.failed:
        print("FAILED:\n  " + "\n  ".join(check.failed))
        return 1
    print("passed: reports read the streaming replica, writes go to the primary")
    return 0


def run_checks(args, check, figures, primary_url, replica_url):
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connections, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.dateformat import format as date_format

    from backoffice import replica
    from backoffice.models import Job, job_files
    from reporting import files
    from reporting.jobs import start_export
    from reporting.reports import REPORTS
    from sales import services
    from sales.models import FareBucket, Ticket

    setup_test_environment()  # the test client's host
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    # Static files as in development: the bench has not run collectstatic (whitenoise's manifest).
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}).enable()
    finance = User.objects.get(username="finance")
    clara = User.objects.get(username="clara")  # a counter agent of the whole network
    client = Client()
    client.force_login(finance)
    report = REPORTS["sales"]
    today = timezone.localdate()
    query = f"?date_from={today}&date_to={today}"
    page_url = reverse(f"admin:{report.url_name('listing')}") + query
    csv_url = reverse(f"admin:{report.url_name('listing_csv')}") + query
    zone = timezone.get_current_timezone()

    bucket = (
        FareBucket.objects.filter(
            flight__scheduled_departure__gt=timezone.now() + timezone.timedelta(hours=3),
            flight__status="scheduled",
            fare_class__cabin="Y",
        )
        .order_by("seats_sold", "id")
        .first()
    )

    def sell(surname):
        return services.pay_now(
            segments=[services.SegmentRequest(bucket.flight_id, bucket.fare_class.code)],
            passengers=[services.PassengerRequest(surname, "Anne", "MS")],
            contact_name=f"Anne {surname}",
            contact_email="anne@example.com",
            contact_phone="+33 6 11 22 33 44",
            method="cash",
            agent=clara,
        )

    def run_report():
        """(page text, CSV rows, queries on the tickets per connection, seconds) of one report run."""
        captured = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")}
        for context in captured.values():
            context.__enter__()
        started = time.monotonic()
        try:
            page = client.get(page_url)
            response = client.get(csv_url)
            text = b"".join(response.streaming_content).decode("utf-8")
        finally:
            for context in captured.values():
                context.__exit__(None, None, None)
        took = time.monotonic() - started
        assert page.status_code == 200 and response.status_code == 200, (page.status_code, response.status_code)
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        on_tickets = {
            alias: sum(1 for q in context.captured_queries if any(t in q["sql"] for t in TICKET_TABLES))
            for alias, context in captured.items()
        }
        every = {alias: len(context.captured_queries) for alias, context in captured.items()}
        # On the primary: who may see the report (the session, the user, their groups and rights), nothing else.
        every["primary, other than who may see"] = sum(
            1
            for q in captured["default"].captured_queries
            if '"django_session"' not in q["sql"] and '"auth_' not in q["sql"]
        )
        return page.content.decode(), rows, on_tickets, every, took

    def replayed_at():
        return one(replica_url, "SELECT pg_last_xact_replay_timestamp()")

    def says_as_of(page, moment):
        if moment is None:
            return "Data as of the replica&#x27;s start" in page
        return f"Data as of {date_format(timezone.localtime(moment, zone), 'j M Y H:i:s T')} (read from" in page

    def wait_for_replay():
        """Seconds until the replica has replayed all the primary has written so far."""
        target = one(primary_url, "SELECT pg_current_wal_lsn()")
        started = time.monotonic()
        with psycopg.connect(replica_url, autocommit=True) as standby:
            while not standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                if time.monotonic() - started > 60:
                    raise RuntimeError("the replica did not replay the primary's WAL within 60 s")
                time.sleep(0.0005)
        return time.monotonic() - started

    print("1. the sales listing and its CSV, as Finance:")
    sell("Before")  # a change the replica replays: it has a last replayed transaction's time
    wait_for_replay()
    page, rows, on_tickets, every, took = run_report()
    as_of_first = replayed_at()
    on_primary = Ticket.objects.using("default").filter(issued_at__date=today).count()
    figures["report s"] = round(took, 3)
    check(
        on_tickets["replica"] > 0 and on_tickets["default"] == 0,
        f"queries on the tickets: {on_tickets['replica']} on the replica, {on_tickets['default']} on the primary"
        f" (all queries: {every['replica']} on the replica, {every['default']} on the primary)",
    )
    check(
        every["primary, other than who may see"] == 0,
        f"on the primary only who may see the report (session, user, rights):"
        f" {every['primary, other than who may see']} other queries",
    )
    check(rows and len(rows) == on_primary, f"{len(rows)} tickets in the CSV, {on_primary} issued today on the primary")
    check(
        says_as_of(page, as_of_first),
        f"the heading says data as of the replica's last replayed transaction ({as_of_first})",
    )

    print("2. replay paused on the replica, a sale made on the primary:")
    one(replica_url, "SELECT pg_wal_replay_pause()")
    time.sleep(1.1)  # "data as of" is written to the second
    sell("Paused")
    page, rows_paused, on_tickets, _, _ = run_report()
    on_primary = Ticket.objects.using("default").filter(issued_at__date=today).count()
    check(
        len(rows_paused) == len(rows) and on_primary == len(rows) + 1,
        f"the report shows {len(rows_paused)} tickets, the primary has {on_primary}: it reads the replica",
    )
    check(says_as_of(page, as_of_first), "its data as of has not moved")
    one(replica_url, "SELECT pg_wal_replay_resume()")
    wait_for_replay()

    print(f"3. {args.writes} sales, each waited for on the replica:")
    lags = []
    for number in range(args.writes):
        sell(f"Lag{'x' * number}")
        lags.append(wait_for_replay())
    figures["replay lag ms"] = {
        "median": round(statistics.median(lags) * 1000, 2),
        "max": round(max(lags) * 1000, 2),
        "min": round(min(lags) * 1000, 2),
        "writes": len(lags),
    }
    print(
        f"  replay lag after a sale's commit: median {figures['replay lag ms']['median']} ms,"
        f" max {figures['replay lag ms']['max']} ms, min {figures['replay lag ms']['min']} ms"
    )
    page, rows_after, on_tickets, _, took = run_report()
    as_of_after = replayed_at()
    check(
        len(rows_after) == len(rows) + 1 + args.writes,
        f"the report shows {len(rows_after)} tickets: every sale ({len(rows)} + 1 + {args.writes})",
    )
    check(
        as_of_after is not None and as_of_after > as_of_first and says_as_of(page, as_of_after),
        f"its data as of moved to {as_of_after}",
    )
    check(on_tickets["default"] == 0, "still no query on the tickets on the primary")

    print("4. writes while reads go to the replica:")
    captured = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")}
    with captured["default"], captured["replica"], replica.for_reports():
        reads_from = Ticket.objects.all().db
        booking = sell("Router")
        with transaction.atomic():
            inside_write = Ticket.objects.all().db
            number = Ticket.objects.filter(booking=booking).get().number
    writes = {
        alias: sum(1 for q in context.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE")))
        for alias, context in captured.items()
    }
    check(reads_from == "replica", f"a report's read goes to {reads_from}")
    check(
        writes["default"] > 0 and writes["replica"] == 0,
        f"the sale's {writes['default']} INSERT/UPDATE went to the primary, {writes['replica']} to the replica",
    )
    check(inside_write == "default", f"a read inside a write's transaction goes to {inside_write}")
    check(
        one(primary_url, "SELECT count(*) FROM sales_ticket WHERE number = %s", [number]) == 1,
        f"ticket {number} is on the primary",
    )

    print("5. an export job (Celery eager):")
    wait_for_replay()
    form = files.report_form(report, {"date_from": [str(today)], "date_to": [str(today)]}, user=finance, listing=True)
    assert form.is_valid(), form.errors
    captured = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")}
    started = time.monotonic()
    with captured["default"], captured["replica"]:
        job, _ = start_export(user=finance, report=report, form=form, listing=True, file_format="csv")
    figures["export job s"] = round(time.monotonic() - started, 3)
    job = Job.objects.using("default").get(pk=job.pk)
    on_tickets = {
        alias: sum(1 for q in context.captured_queries if any(t in q["sql"] for t in TICKET_TABLES))
        for alias, context in captured.items()
    }
    job_queries = {
        alias: sum(1 for q in context.captured_queries if Job._meta.db_table in q["sql"])
        for alias, context in captured.items()
    }
    check(job.state == Job.State.DONE, f"the job is {job.state}")
    check(
        on_tickets["replica"] > 0 and on_tickets["default"] == 0,
        f"its queries on the tickets: {on_tickets['replica']} on the replica, {on_tickets['default']} on the primary",
    )
    check(
        job_queries["default"] > 0 and job_queries["replica"] == 0,
        f"its job row: {job_queries['default']} queries on the primary, {job_queries['replica']} on the replica",
    )
    if job.state == Job.State.DONE:
        with job_files().open(job.result_file) as stored:
            text = stored.read().decode("utf-8")
        exported = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        check(
            len(exported) == len(rows_after) + 1,
            f"its file has {len(exported)} tickets (the report's {len(rows_after)} and the router's sale)",
        )
    connections.close_all()


if __name__ == "__main__":
    sys.exit(main())
