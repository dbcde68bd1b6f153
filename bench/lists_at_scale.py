"""Admin lists at scale: every list's first page, a far page, each filter, the searches and the history pages.

Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=x .venv/bin/python bench/lists_at_scale.py

DATABASE_URL names the server only: the benchmark drops and recreates its own database `bench_lists`
there, migrates it, fills it with `manage.py generate_scale_data` (1,000,000 flights, 10,000,000 tickets,
4,000,000 payments, 500,000 refunds, with history rows; --scale 0.01 for a hundredth), measures, and drops
it at the end. With --database-url URL it measures a database already filled by generate_scale_data
instead, and neither creates nor drops anything.

Each page is fetched through Django's test client (middleware, changelist, queries, template: the
server's time, not the network), logged in as an Admin user (`bench_admin`, made here) or, for the
"mine" filters, as agent01: a warm-up, then --runs timed requests; it prints the median and the worst
page time, the median time of the SQL alone, and the number of queries (the same for every page of a
list), against the limits (a list page <= 300 ms; a search by record locator, ticket number or surname
<= 50 ms, judged on its SQL: the page around it is the list's), with the load average before and after.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throwaway import drop_database, recreate_database, setup_django, use_existing_database  # noqa: E402

DATABASE = "bench_lists"
PAGE_LIMIT_MS = 300
SEARCH_LIMIT_MS = 50
FAR_PAGE = 500


def load_average():
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def generate(scale):
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command(
        "generate_scale_data",
        flights=int(1_000_000 * scale),
        tickets=int(10_000_000 * scale),
        payments=int(4_000_000 * scale),
        refunds=int(500_000 * scale),
        i_know_this_is_not_production=True,
    )
    print(f"generate_scale_data: {time.perf_counter() - started:.0f} s (load {load_average()})")


def clients():
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import override_settings

    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        ALLOWED_HOSTS=["*"],
    ).enable()
    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"is_staff": True, "is_superuser": True})
    made = {}
    for name, user in (("admin", admin), ("agent", User.objects.get(username="agent01"))):
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        made[name] = client
    return made


def pages():
    """(list, what, client, URL, query string, limit in ms, judged on the SQL alone)."""
    from django.urls import reverse

    from fleet.models import Flight
    from sales.models import Booking, Passenger, Ticket

    today = dt.date.today()
    week = {"gte": (today - dt.timedelta(days=30)).isoformat(), "lte": (today - dt.timedelta(days=24)).isoformat()}
    ahead = {"gte": (today + dt.timedelta(days=7)).isoformat(), "lte": (today + dt.timedelta(days=13)).isoformat()}

    def between(field, days):
        return {f"{field}__range__gte": days["gte"], f"{field}__range__lte": days["lte"]}

    flight = Flight.objects.order_by("-pk").only("origin_id", "destination_id").first()
    booking = Booking.objects.order_by("-pk").first()
    ticket = Ticket.objects.filter(booking=booking).first()
    surname = Passenger.objects.filter(booking=booking).values_list("surname", flat=True).first()
    changelist = {name: reverse(f"admin:{name}_changelist") for name in LISTS}
    rows = []
    for name, filters in LISTS.items():
        url = changelist[name]
        rows.append((name, "first page", "admin", url, {}, PAGE_LIMIT_MS, False))
        far = far_page(name)
        rows.append((name, f"page {far}", "admin", url, {"p": far}, PAGE_LIMIT_MS, False))
        for label, params in filters(flight, week, ahead, between):
            rows.append((name, label, "agent" if "mine" in params else "admin", url, params, PAGE_LIMIT_MS, False))
    for name in ("sales_booking", "sales_ticket", "refunds_refund"):
        for label, term in (
            ("record locator", booking.record_locator),
            ("ticket number", ticket.number),
            ("surname", surname),
        ):
            rows.append((name, f"search {label}", "admin", changelist[name], {"q": term}, SEARCH_LIMIT_MS, True))
    rows.append(
        (
            "sales_payment",
            "search record locator",
            "admin",
            changelist["sales_payment"],
            {"q": booking.record_locator},
            SEARCH_LIMIT_MS,
            True,
        )
    )
    for name, key in (("sales_booking", booking.pk), ("sales_ticket", ticket.pk), ("fleet_flight", flight.pk)):
        rows.append(
            (name, "history page", "admin", reverse(f"admin:{name}_history", args=[key]), {}, PAGE_LIMIT_MS, False)
        )
    return rows


def far_page(name):
    """Page FAR_PAGE, or the last of a shorter list (as the list's own paginator counts them)."""
    from django.apps import apps
    from django.contrib import admin

    model = apps.get_model(*name.split("_", 1))
    model_admin = admin.site._registry[model]
    from backoffice.admin_base import EstimatedCountPaginator

    pages = EstimatedCountPaginator(model.objects.all(), model_admin.list_per_page).num_pages
    return min(FAR_PAGE, pages)


LISTS = {
    "fleet_flight": lambda flight, week, ahead, between: [
        ("status scheduled", {"status__exact": "scheduled"}),
        ("status cancelled", {"status__exact": "cancelled"}),
        ("departure, a week ahead", between("scheduled_departure", ahead)),
        ("over 90 % sold", {"fuller_than": "90"}),
        ("origin", {"origin__id__exact": flight.origin_id}),
        ("destination", {"destination__id__exact": flight.destination_id}),
        ("search route", {"q": "CDG-LHR"}),
    ],
    "sales_booking": lambda flight, week, ahead, between: [
        ("status ticketed", {"status__exact": "ticketed"}),
        ("status held", {"status__exact": "held"}),
        ("mine (agent01)", {"mine": "1"}),
        ("booked, a week", between("created_at", week)),
        ("hold deadline, a week", between("hold_deadline", week)),
    ],
    "sales_ticket": lambda flight, week, ahead, between: [
        ("status open", {"status__exact": "open"}),
        ("status refunded", {"status__exact": "refunded"}),
        ("mine (agent01)", {"mine": "1"}),
        ("issued, a week", between("issued_at", week)),
    ],
    "sales_payment": lambda flight, week, ahead, between: [
        ("method cash", {"method__exact": "cash"}),
        ("method bank transfer", {"method__exact": "bank_transfer"}),
        ("received, a week", between("received_at", week)),
    ],
    "refunds_refund": lambda flight, week, ahead, between: [
        ("status requested", {"status__exact": "requested"}),
        ("status paid", {"status__exact": "paid"}),
        ("kind void", {"kind__exact": "void"}),
        ("requested, a week", between("requested_at", week)),
    ],
}


def measure(client, url, params, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, params)  # warm-up
    if response.status_code != 200:
        return None
    times, sql_times, queries = [], [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, params)
            times.append((time.perf_counter() - start) * 1000)
        sql_times.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        queries.add(len(captured.captured_queries))
    return {
        "median": statistics.median(times),
        "worst": max(times),
        "sql": statistics.median(sql_times),
        "queries": "/".join(str(q) for q in sorted(queries)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the full size to generate.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="Measure this database, already generated; create nothing.")
    parser.add_argument("--keep", action="store_true", help="Keep bench_lists at the end.")
    parser.add_argument("--reuse", action="store_true", help="Use bench_lists kept by --keep.")
    parser.add_argument("--only", default="", help="Only the rows whose list or label contains this.")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    elif args.reuse:
        use_existing_database(DATABASE)
    else:
        recreate_database(DATABASE)
    setup_django()
    try:
        if not (args.database_url or args.reuse):
            generate(args.scale)
        made = clients()
        print(f"load average before: {load_average()}")
        print(f"{'list':16} {'what':28} {'median ms':>9} {'worst':>7} {'SQL ms':>7} {'queries':>7}  limit")
        failures = 0
        for name, label, who, url, params, limit, on_sql in pages():
            if args.only and args.only not in name and args.only not in label:
                continue
            result = measure(made[who], url, params, args.runs)
            if result is None:
                print(f"{name:16} {label:28} ERROR")
                failures += 1
                continue
            judged = result["sql"] if on_sql else result["median"]
            verdict = "PASS" if judged <= limit else "FAIL"
            failures += verdict == "FAIL"
            print(
                f"{name:16} {label:28} {result['median']:9.0f} {result['worst']:7.0f} {result['sql']:7.1f} "
                f"{result['queries']:>7}  <= {limit} ms{' (SQL)' if on_sql else ''} {verdict}"
            )
        print(f"load average after: {load_average()}; {failures} over the limit")
    finally:
        if not (args.database_url or args.keep or args.reuse):
            drop_database(DATABASE)


if __name__ == "__main__":
    main()
