"""Availability search on 500,000 flights: latency and queries of `sales.selectors.search_availability`.

Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=x .venv/bin/python bench/search_at_scale.py

DATABASE_URL names the server only: the benchmark drops and recreates its own database
`bench_search` there, migrates it, loads the airports, generates the flights with
`manage.py generate_flights --flights 500000 --seed 1`, runs ANALYZE, and drops the database
at the end. No other database is read or written.

For the busiest city pair, its return, a pair flown once a day, a search by metropolitan city
code and a pair without flights, it runs the search (window +/- 3 days, 1 seat) 300 times after
a warm-up and prints p50/p95/max in ms and the SQL queries per search (CaptureQueriesContext),
then whether the target holds: p95 <= 20 ms with the same number of queries whatever the pair.
When it does not, or with --explain, it prints EXPLAIN ANALYZE of the slowest query.

Options: --flights N (default 500000), --seed N (default 1), --searches N (default 300),
--explain, --what-if (search again with `airports_for` replaced, in this process only, by a UNION of two
index lookups: the change recommended for sales/selectors.py), --keep (keep the database),
--reuse (use the database kept by --keep; no generation).
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throwaway import drop_database, recreate_database, setup_django, use_existing_database  # noqa: E402

DATABASE = "bench_search"
WINDOW_DAYS = 3
TARGET_P95_MS = 20
WARM_UP = 20
DAYS_AHEAD = 30


def load_average():
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def pairs_to_search(day):
    """(label, origin code, destination code) for pairs chosen from the generated network."""
    from django.db.models import Count

    from fleet.models import Airport, City, Flight

    on_day = Flight.objects.filter(flight_date=day).values("origin__code", "destination__code")
    busiest = on_day.annotate(flights=Count("id")).order_by("-flights", "origin__code", "destination__code")
    top = busiest.first()
    once = busiest.filter(flights=1).first()
    pairs = [
        (f"busiest pair ({top['flights']} a day)", top["origin__code"], top["destination__code"]),
        ("its return", top["destination__code"], top["origin__code"]),
        ("a pair flown once a day", once["origin__code"], once["destination__code"]),
    ]
    several_airports = City.objects.annotate(airports_count=Count("airports")).filter(airports_count__gt=1)
    from_metropolitan = (
        Flight.objects.filter(flight_date=day, origin__city__in=several_airports.values("pk"))
        .select_related("origin__city", "destination")
        .order_by("origin__city__code", "number")
        .first()
    )
    if from_metropolitan:
        city = from_metropolitan.origin.city
        pairs.append(
            (
                f"city code ({city.code}: {city.airports.count()} airports)",
                city.code,
                from_metropolitan.destination.code,
            )
        )
    served = set(Flight.objects.filter(flight_date=day).values_list("origin_id", flat=True))
    unserved = Airport.objects.exclude(pk__in=served).exclude(code=top["origin__code"]).order_by("code").first()
    pairs.append(("a pair without flights", top["origin__code"], unserved.code))
    return pairs


def measure(origin, destination, day, searches):
    """Latencies (ms) of `searches` searches, and the queries of one (sql, ms) per query, averaged over 20."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sales.selectors import search_availability

    def search():
        return search_availability(origin=origin, destination=destination, date=day, window_days=WINDOW_DAYS, seats=1)

    for _ in range(WARM_UP):
        offers = search()
    latencies = []
    for _ in range(searches):
        start = time.perf_counter()
        search()
        latencies.append(1000 * (time.perf_counter() - start))
    query_counts = []
    query_times = defaultdict(list)
    sql_of = {}
    for _ in range(20):
        with CaptureQueriesContext(connection) as captured:
            search()
        query_counts.append(len(captured.captured_queries))
        for position, query in enumerate(captured.captured_queries):
            query_times[position].append(1000 * float(query["time"]))
            sql_of[position] = query["sql"]
    queries = [(sql_of[position], statistics.mean(times)) for position, times in sorted(query_times.items())]
    return offers, latencies, set(query_counts), queries


def search_pairs(pairs, day, searches):
    """Measure and print each pair; returns (label, p95, query counts, queries, found flights) per pair."""
    header = (
        f"{'pair':<34} {'from':>4} {'to':>4} {'flights':>7} {'fares':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'max ms':>7} {'queries':>7}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for label, origin, destination in pairs:
        offers, latencies, counts, queries = measure(origin, destination, day, searches)
        p95 = percentile(latencies, 0.95)
        results.append((label, p95, counts, queries, bool(offers)))
        print(
            f"{label:<34} {origin:>4} {destination:>4} {len(offers):>7} {sum(len(o.fares) for o in offers):>6} "
            f"{statistics.median(latencies):>7.2f} {p95:>7.2f} {max(latencies):>7.2f} "
            f"{'/'.join(str(count) for count in sorted(counts)):>7}"
        )
    print(f"(load average after: {load_average()})")
    return results


def airports_for_by_union(code):
    """What-if for `sales.selectors.airports_for`: the airport by its code UNION the airports of the city by
    its code, two index lookups, instead of one OR across the airport-city join (two sequential scans)."""
    from fleet.models import Airport
    from sales.selectors import UnknownLocation

    code = (code or "").strip().upper()
    airports = list(Airport.objects.filter(code=code).union(Airport.objects.filter(city__code=code)))
    if not airports:
        raise UnknownLocation(f"{code or '(empty)'} is neither an airport nor a city we know.")
    return airports


def explain(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flights", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--searches", type=int, default=300, help="timed searches per pair (default 300)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the slowest query")
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also search with airports_for looking airports up by UNION (the change recommended for selectors.py)",
    )
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database afterwards")
    parser.add_argument("--reuse", action="store_true", help=f"reuse the {DATABASE} database kept by --keep")
    args = parser.parse_args()

    began = time.perf_counter()
    if args.reuse:
        use_existing_database(DATABASE)
        setup_django()
    else:
        recreate_database(DATABASE)
        setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"manage.py generate_flights --flights {args.flights} --seed {args.seed}")
        start = time.perf_counter()
        call_command("generate_flights", flights=args.flights, seed=args.seed)
        print(f"  (command took {time.perf_counter() - start:.1f} s, airports included)")
    from django.db import connection
    from django.utils import timezone

    from fleet.models import Flight
    from sales.models import FareBucket

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    load = load_average()
    print(
        f"\n{Flight.objects.count():,} flights, {FareBucket.objects.count():,} fare buckets; PostgreSQL "
        f"{connection.pg_version // 10000}.{connection.pg_version % 10000}; load average {load}"
    )

    day = timezone.localdate() + dt.timedelta(days=DAYS_AHEAD)
    print(
        f"search_availability(date={day}, window_days={WINDOW_DAYS}, seats=1), "
        f"{args.searches} timed searches per pair after {WARM_UP} warm-up:\n"
    )
    pairs = pairs_to_search(day)
    results = search_pairs(pairs, day, args.searches)

    worst_label, worst_p95, _, worst_queries, _ = max(results, key=lambda result: result[1])
    print(f"\nQueries of one search, {worst_label} (mean ms over 20 searches):")
    for sql, ms in worst_queries:
        print(f"  {ms:6.2f} ms  {sql[:150]}{'...' if len(sql) > 150 else ''}")

    # Django skips a prefetch when there is nothing to prefetch for: a search that finds nothing costs one less.
    counts = set().union(*(result[2] for result in results if result[4]))
    fast = all(result[1] <= TARGET_P95_MS for result in results)
    print()
    print(f"{'OK  ' if fast else 'MISS'} p95 <= {TARGET_P95_MS} ms for every pair (worst: {worst_p95:.2f} ms)")
    print(
        f"{'OK  ' if len(counts) == 1 else 'MISS'} same number of queries whatever the flights found: "
        f"{'/'.join(str(count) for count in sorted(counts))} (a search that finds no flight skips the bucket query)"
    )

    if args.explain or not fast:
        slowest_sql, slowest_ms = max(worst_queries, key=lambda query: query[1])
        print(f"\nEXPLAIN ANALYZE of the slowest query ({slowest_ms:.2f} ms), {worst_label}:\n")
        print(explain(slowest_sql))

    if args.what_if:
        from sales import selectors

        selectors.airports_for = airports_for_by_union
        print("\nWhat-if (not the code in sales/): airports_for by UNION")
        union_queries = search_pairs(pairs, day, args.searches)[0][3]
        print(f"\nEXPLAIN ANALYZE of the airport lookup by UNION ({union_queries[0][1]:.2f} ms):\n")
        print(explain(union_queries[0][0]))

    connection.close()
    if not args.keep:
        drop_database(DATABASE)
    print(f"\nTotal run time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
