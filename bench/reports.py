"""Reports at scale: every report page, the CSV and Excel exports, on a year of generated sales.

Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=x .venv/bin/python bench/reports.py

DATABASE_URL names the server only: the benchmark drops and recreates its own database
`bench_reports` there, migrates it, generates the flights (`manage.py generate_flights`) and a year
of sales with COPY (refunds/scale_data.py: 5,000,000 tickets on 2,000,000 bookings, each paid once,
and 300,000 refunds by default), runs VACUUM ANALYZE, measures, and drops the database at the end.
No other database is read or written.

It times the real admin views through Django's test client (middleware, form, queries, template:
the time the server spends, not the network), logged in as a Finance user, for last month:
each report's summary page in each grouping (day, ISO week, month; the sales report also in each
breakdown), the cash-up of one agent, and each listing's first and last page; then each role's
dashboard (the admin home) as a counter agent (agent01, given the busiest station of the day),
finance01 and an Admin user (admin01, made here); a warm-up, then --runs timed requests, median
and worst. Then, each in a fresh process so that its peak memory is its own: the sales listing as
CSV for the days that hold --csv-rows tickets (comma and semicolon), and as Excel for the days that
hold --xlsx-rows. It prints each figure with its limit, PASS or FAIL, and the load average; with
--explain, the plan of each query of the slowest page (and the slowest queries of each dashboard).

Options: --tickets N --payments N --refunds N (defaults 5,000,000 / 2,000,000 / 300,000),
--small (50,000 / 20,000 / 3,000: a quick check that everything runs; its figures mean little),
--runs N (default 5), --seed N, --explain, --keep (keep the database), --reuse (use the database
kept by --keep; no generation), --only WORD (only the measures whose name contains WORD),
--database bench_NAME (another name than bench_reports: two sessions on one server each their own).
"""

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throwaway import drop_database, recreate_database, setup_django, use_existing_database  # noqa: E402

DATABASE = "bench_reports"
PAGE_LIMIT_MS = 1000
DASHBOARD_LIMIT_MS = 300
CSV_ROWS_PER_S = 250_000
CSV_PEAK_MB = 150
XLSX_SECONDS = 30
XLSX_PEAK_MB = 100
FINANCE_USER = "finance01"
FLIGHTS_PER_TICKET = 1 / 100
HISTORY_DAYS = 365
DAYS_AHEAD = 62


def load_average():
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- Data ------------------------------------------------------------------------------


def generate(args):
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from refunds import scale_data as report_data

    today = timezone.localdate()
    flights = max(2000, int(args.tickets * FLIGHTS_PER_TICKET))
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    start = time.perf_counter()
    call_command(
        "generate_flights",
        flights=flights,
        seed=args.seed,
        start=today - dt.timedelta(days=HISTORY_DAYS),
        days=HISTORY_DAYS + DAYS_AHEAD,
        airports=80,
    )
    print(f"generate_flights --flights {flights}: {time.perf_counter() - start:.1f} s (airports included)")
    print(f"Sales of the last {HISTORY_DAYS} days, with COPY:")
    counts = report_data.generate(
        tickets=args.tickets, payments=args.payments, refunds=args.refunds, now=timezone.now(), seed=args.seed
    )
    start = time.perf_counter()
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    vacuum = time.perf_counter() - start
    print(
        f"Wrote {counts['tickets']:,} tickets, {counts['bookings']:,} bookings, {counts['passengers']:,} passengers, "
        f"{counts['payments']:,} payments, {counts['refunds']:,} refunds in {counts['seconds']:.0f} s; "
        f"VACUUM ANALYZE {vacuum:.0f} s; all generation {time.perf_counter() - started:.0f} s"
    )
    return time.perf_counter() - started


# --- Measures ----------------------------------------------------------------------------


class Result:
    def __init__(self, name, figure, limit, passed, detail=""):
        self.name, self.figure, self.limit, self.passed, self.detail = name, figure, limit, passed, detail


def client_for(username):
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import override_settings

    # Static files as in development: the bench has not run collectstatic (whitenoise's manifest).
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()

    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(username=username))
    return client


def report_url(slug, part="", **params):
    from django.urls import reverse

    from reporting.reports import REPORTS

    return reverse(f"admin:{REPORTS[slug].url_name(part)}") + "?" + urlencode(params)


def fetch(client, url):
    """GET a page (reading all of a streamed one); returns (seconds, response, body)."""
    start = time.perf_counter()
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return elapsed, response, body


def time_page(client, url, runs, *, must_contain=b"Run by"):
    seconds, _response, body = fetch(client, url)  # warm-up
    if must_contain not in body:
        raise RuntimeError(f"{url}: the report did not run (no {must_contain!r} on the page)")
    times = [fetch(client, url)[0] * 1000 for _ in range(runs)]
    return statistics.median(times), max(times)


def queries_of(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    return [(query["sql"], float(query["time"]) * 1000) for query in captured.captured_queries]


def last_month():
    from django.utils import timezone

    first_this_month = timezone.localdate().replace(day=1)
    last = first_this_month - dt.timedelta(days=1)
    return last.replace(day=1), last


def page_cases():
    """(name, report slug, part, params) of every page measured."""
    first, last = last_month()
    month = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    cases = []
    for grouping in ("day", "week", "month"):
        for breakdown in ("route", "fare_class", "agent"):
            cases.append(
                (
                    f"sales by {breakdown}, {grouping}",
                    "sales",
                    "",
                    {**month, "grouping": grouping, "breakdown": breakdown},
                )
            )
    for grouping in ("day", "week", "month"):
        cases.append((f"refunds, {grouping}", "refunds", "", {**month, "grouping": grouping}))
    for grouping in ("day", "week", "month"):
        cases.append((f"cash-up, {grouping}", "cash_up", "", {**month, "grouping": grouping}))
    cases.append(("cash-up, one agent, day", "cash_up", "", {**month, "grouping": "day", "agent": "agent01"}))
    for grouping in ("day", "week", "month"):
        cases.append((f"load factor, {grouping}", "load_factor", "", {**month, "grouping": grouping}))
    for slug, label in (
        ("sales", "sales"),
        ("refunds", "refunds"),
        ("cash_up", "cash-up"),
        ("load_factor", "load factor"),
    ):
        cases.append((f"{label} listing, page 1", slug, "listing", dict(month)))
        cases.append((f"{label} listing, last page", slug, "listing", {**month, "page": "last"}))
    return cases


def last_page_number(client, slug, params):
    """The listing's last page, read from its first (the page says `Page 1 of N`)."""
    import re

    _seconds, _response, body = fetch(client, report_url(slug, "listing", **params))
    match = re.search(rb"Page [\d,]+ of ([\d,]+)", body)
    return int(match.group(1).replace(b",", b"")) if match else 1


def measure_pages(args, client):
    results, slowest = [], None
    print(
        f"\nReport pages for {' to '.join(d.isoformat() for d in last_month())}, as {FINANCE_USER}; "
        f"median of {args.runs} after a warm-up, ms:\n"
    )
    print(f"{'page':<36} {'median':>8} {'worst':>8} {'queries':>7}  limit")
    for name, slug, part, params in page_cases():
        if args.only and args.only not in name:
            continue
        if params.get("page") == "last":
            params = {
                **params,
                "page": last_page_number(client, slug, {k: v for k, v in params.items() if k != "page"}),
            }
        url = report_url(slug, part, **params)
        median, worst = time_page(client, url, args.runs)
        queries = queries_of(client, url)
        passed = median <= PAGE_LIMIT_MS
        print(
            f"{name:<36} {median:>8.0f} {worst:>8.0f} {len(queries):>7}  <= {PAGE_LIMIT_MS} ms  "
            f"{'PASS' if passed else 'FAIL'}"
        )
        results.append(Result(f"page: {name}", f"{median:.0f} ms", f"<= {PAGE_LIMIT_MS} ms", passed))
        if slowest is None or median > slowest[1]:
            slowest = (name, median, queries)
    print(f"(load average after the pages: {load_average()})")
    return results, slowest


DASHBOARD_USERS = (("counter", "agent01"), ("finance", FINANCE_USER), ("admin", "admin01"))


def dashboard_staff():
    """The Admin user the generator does not make, and agent01's station: the airport with most departures today."""
    from django.contrib.auth.models import Group, User
    from django.db.models import Count
    from django.utils import timezone

    from backoffice.roles import ADMIN
    from fleet.models import Flight, StaffStation

    admin, _created = User.objects.get_or_create(
        username="admin01", defaults={"is_staff": True, "first_name": "Admin", "last_name": "01"}
    )
    admin.groups.add(Group.objects.get(name=ADMIN))
    busiest = (
        Flight.objects.filter(flight_date=timezone.localdate())
        .values("origin")
        .annotate(n=Count("pk"))
        .order_by("-n", "origin")
        .first()
    )
    agent = User.objects.get(username="agent01")
    if busiest is not None:
        StaffStation.objects.update_or_create(user=agent, defaults={"airport_id": busiest["origin"]})


def measure_dashboards(args):
    """Each role's admin home (the dashboard), through the real view, as a person of that role."""
    from django.urls import reverse

    dashboard_staff()
    results = []
    print(f"\nDashboards (the admin home), median of {args.runs} after a warm-up, ms:\n")
    print(f"{'dashboard':<36} {'median':>8} {'worst':>8} {'queries':>7}  limit")
    for role, username in DASHBOARD_USERS:
        name = f"dashboard, {role}"
        if args.only and args.only not in name:
            continue
        client = client_for(username)
        url = reverse("admin:index")
        median, worst = time_page(client, url, args.runs, must_contain=f'data-section="{role}"'.encode())
        queries = queries_of(client, url)
        passed = median <= DASHBOARD_LIMIT_MS
        print(
            f"{name:<36} {median:>8.0f} {worst:>8.0f} {len(queries):>7}  <= {DASHBOARD_LIMIT_MS} ms  "
            f"{'PASS' if passed else 'FAIL'}"
        )
        results.append(Result(name, f"{median:.0f} ms", f"<= {DASHBOARD_LIMIT_MS} ms", passed))
        if args.explain:
            for sql, ms in sorted(queries, key=lambda query: -query[1])[:3]:
                print(f"    {ms:.1f} ms: {sql[:160]}")
    print(f"(load average after the dashboards: {load_average()})")
    return results


def days_holding(rows):
    """The range of whole local days, ending yesterday, whose tickets issued number at least `rows`."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from reporting.periods import business_zone
    from sales.models import Ticket

    last = timezone.localdate() - dt.timedelta(days=1)
    per_day = (
        Ticket.objects.filter(issued_at__isnull=False)
        .annotate(day=TruncDate("issued_at", tzinfo=business_zone()))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("-day")
    )
    total = 0
    first = last
    for row in per_day:
        if row["day"] > last:
            continue
        total += row["n"]
        first = row["day"]
        if total >= rows:
            break
    return first, last, total


def run_export_child(url, kind):
    """Run one export in a fresh process; returns its figures (dict)."""
    output = subprocess.run(
        [sys.executable, __file__, "--child-export", url, "--child-kind", kind],
        check=True,
        capture_output=True,
        text=True,
        # The Excel file of 200,000 rows is over what the page makes while one waits (REPORT_XLSX_MAX_ROWS):
        # the bench lifts the limit to time the file itself.
        env={**os.environ, "REPORT_XLSX_MAX_ROWS": "100000000"},
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def child_export(url, kind):
    """In a fresh process: fetch one export, counting its rows; print figures as JSON."""
    setup_django()
    client = client_for(FINANCE_USER)
    baseline = current_mb()
    start = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200 or "html" in response["Content-Type"]:
        raise SystemExit(f"{url}: HTTP {response.status_code}, {response['Content-Type']}: not the file")
    first_byte = None
    size = lines = 0
    if response.streaming:
        for chunk in response.streaming_content:
            if first_byte is None:
                first_byte = time.perf_counter() - start
            size += len(chunk)
            lines += chunk.count(b"\r\n")
    else:
        body = response.content
        size = len(body)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "first_byte": first_byte,
                "bytes": size,
                "lines": lines,
                "baseline_mb": baseline,
                "peak_mb": peak_mb(),
                "kind": kind,
            }
        )
    )


def measure_exports(args):
    from django.db import connection

    results = []
    csv_rows = args.csv_rows if not args.small else min(args.csv_rows, args.tickets // 5)
    first, last, rows = days_holding(csv_rows)
    params = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    print(f"\nCSV of the sales listing, {first} to {last}: {rows:,} tickets (fresh process each):")
    for separator in ("comma", "semicolon"):
        if args.only and args.only not in f"csv {separator}":
            continue
        url = report_url("sales", "listing_csv", **params, **({"separator": separator} if separator != "comma" else {}))
        figures = run_export_child(url, "csv")
        data_rows = figures["lines"] - 1
        rate = data_rows / figures["seconds"]
        fast, small = rate >= CSV_ROWS_PER_S, figures["peak_mb"] <= CSV_PEAK_MB
        print(
            f"  {separator:<9} {data_rows:,} rows in {figures['seconds']:.2f} s = {rate:,.0f} rows/s "
            f"({'PASS' if fast else 'FAIL'} >= {CSV_ROWS_PER_S:,}); "
            f"first byte after {figures['first_byte'] * 1000:.0f} ms; "
            f"{figures['bytes'] / 2**20:.0f} MiB; peak RSS {figures['peak_mb']:.0f} MB "
            f"(process before: {figures['baseline_mb']:.0f} MB) ({'PASS' if small else 'FAIL'} <= {CSV_PEAK_MB} MB)"
        )
        results.append(
            Result(f"CSV {separator}, {data_rows:,} rows", f"{rate:,.0f} rows/s", f">= {CSV_ROWS_PER_S:,} rows/s", fast)
        )
        results.append(
            Result(f"CSV {separator}, peak memory", f"{figures['peak_mb']:.0f} MB", f"<= {CSV_PEAK_MB} MB", small)
        )
    if not args.only or "copy" in args.only:
        # The anchor: PostgreSQL alone writing the same tickets' own columns as CSV.
        start = time.perf_counter()
        size = 0
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY (SELECT number, issued_at, fare_amount, tax_amount, total_amount, status FROM sales_ticket "
                "WHERE issued_at >= %s AND issued_at < %s ORDER BY issued_at, number) TO STDOUT WITH CSV",
                [first, last + dt.timedelta(days=1)],
            ) as copy:
                for block in copy:
                    size += len(block)
        print(
            f"  (anchor: COPY of the tickets' own columns, no joins: {time.perf_counter() - start:.2f} s, "
            f"{size / 2**20:.0f} MiB)"
        )

    xlsx_rows = args.xlsx_rows if not args.small else min(args.xlsx_rows, args.tickets // 10)
    first, last, rows = days_holding(xlsx_rows)
    if not args.only or "xlsx" in args.only:
        url = report_url("sales", "listing_xlsx", date_from=first.isoformat(), date_to=last.isoformat())
        figures = run_export_child(url, "xlsx")
        fast, small = figures["seconds"] <= XLSX_SECONDS, figures["peak_mb"] <= XLSX_PEAK_MB
        print(
            f"\nExcel of the sales listing, {first} to {last}: {rows:,} rows in {figures['seconds']:.1f} s "
            f"({'PASS' if fast else 'FAIL'} <= {XLSX_SECONDS} s), {figures['bytes'] / 2**20:.0f} MiB, peak RSS "
            f"{figures['peak_mb']:.0f} MB (process before: {figures['baseline_mb']:.0f} MB) "
            f"({'PASS' if small else 'FAIL'} <= {XLSX_PEAK_MB} MB)"
        )
        results.append(Result(f"XLSX, {rows:,} rows", f"{figures['seconds']:.1f} s", f"<= {XLSX_SECONDS} s", fast))
        results.append(Result("XLSX, peak memory", f"{figures['peak_mb']:.0f} MB", f"<= {XLSX_PEAK_MB} MB", small))
    print(f"(load average after the exports: {load_average()})")
    return results


def explain(queries):
    from django.db import connection

    for sql, ms in queries:
        print(f"\n-- {ms:.1f} ms: {sql[:200]}{'...' if len(sql) > 200 else ''}")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            print("\n".join(row[0] for row in cursor.fetchall()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=5_000_000)
    parser.add_argument("--payments", type=int, default=2_000_000)
    parser.add_argument("--refunds", type=int, default=300_000)
    parser.add_argument("--small", action="store_true", help="50,000 tickets, 20,000 payments, 3,000 refunds")
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each query of the slowest page")
    parser.add_argument("--only", default="", help="only the measures whose name contains this")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database afterwards")
    parser.add_argument("--reuse", action="store_true", help=f"reuse the {DATABASE} database kept by --keep")
    parser.add_argument("--database", default=DATABASE, help=f"the benchmark's database (bench_...; {DATABASE})")
    parser.add_argument("--child-export", help=argparse.SUPPRESS)
    parser.add_argument("--child-kind", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        child_export(args.child_export, args.child_kind)
        return
    if args.small:
        args.tickets, args.payments, args.refunds = 50_000, 20_000, 3_000

    began = time.perf_counter()
    generation = None
    if args.reuse:
        use_existing_database(args.database)
        setup_django()
        from django.core.management import call_command

        start = time.perf_counter()
        call_command("migrate", verbosity=0)  # the indexes added since the database was made
        print(f"migrate: {time.perf_counter() - start:.1f} s")
    else:
        recreate_database(args.database)
        setup_django()
        generation = generate(args)
    from django.db import connection

    from fleet.models import Flight
    from refunds.models import Refund
    from sales.models import Payment, Ticket

    print(
        f"\n{Ticket.objects.count():,} tickets, {Payment.objects.count():,} payments, "
        f"{Refund.objects.count():,} refunds, {Flight.objects.count():,} flights; "
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}; "
        f"load average {load_average()}"
    )
    client = client_for(FINANCE_USER)
    results, slowest = measure_pages(args, client)
    results += measure_dashboards(args)
    results += measure_exports(args)
    if args.explain and slowest:
        print(f"\nEXPLAIN ANALYZE of each query of the slowest page, {slowest[0]} ({slowest[1]:.0f} ms):")
        explain(slowest[2])

    print(f"\n{'measure':<44} {'figure':>16} {'limit':>18}")
    for result in results:
        print(f"{result.name:<44} {result.figure:>16} {result.limit:>18}  {'PASS' if result.passed else 'FAIL'}")
    failed = [result for result in results if not result.passed]
    print(f"\n{len(results) - len(failed)} PASS, {len(failed)} FAIL; load average {load_average()}")
    if generation is not None:
        print(f"Generation took {generation:.0f} s.")
    connection.close()
    if not args.keep and not args.reuse:
        drop_database(args.database)
    print(f"Total run time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
