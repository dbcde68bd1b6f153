"""Booking throughput: 16 agents (processes) filling one flight through `sales.services.book`.

Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=x .venv/bin/python bench/booking_throughput.py

DATABASE_URL names the server only: the benchmark drops and recreates its own database
`bench_booking` there, migrates it, and drops it at the end (`--keep` keeps it). No other
database is read or written.

In one run it fills three identical fresh flights (one fare bucket, 1 adult per booking,
2 tax lines per ticket) with the same worker processes, one flight per variant:

- service: `sales.services.book(...)`;
- naive:   `select_for_update()` on the flight first, then one ORM `.save()` per row, history by signals;
- ceiling: a hand-written psycopg transaction, conditional seat updates last (bench/booking_variants.py).

It prints bookings/second, p50/p99 latency, the oversold count and the seats-sold/tickets
mismatch per variant, the CPU each booking cost in the agent and in its PostgreSQL backend
(read from /proc: the server must run on this machine) and how much CPU the rest of the
machine took meanwhile, then whether the targets hold: service >= 2x naive, service >= 40% of
the ceiling, nothing oversold. Before that, a single-client pass counts the SQL statements
each variant sends per booking and how long it holds the flight's row lock.

Options: --bookings N (seats per flight, default and at most 999: fleet.models.MAX_SEATS),
--workers N (default 16),
--profile (cProfile and per-query timings of the service, one client; also runs when a target fails),
--what-if (also run the service with `take_seats` replaced, in the bench's processes only, by one
statement per counter that writes its history row too: the change recommended for sales/inventory.py),
--keep (keep the database).
"""

import argparse
import datetime as dt
import multiprocessing
import os
import re
import statistics
import sys
import threading
import time
import traceback
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throwaway import drop_database, recreate_database, setup_django  # noqa: E402

DATABASE = "bench_booking"
# A flight's capacity and a fare's allocation are at most fleet.models.MAX_SEATS (a check constraint);
# fleet.models cannot be imported before Django is set up.
MAX_SEATS = 999
FARE_CLASS = "Y"
BARRIER_TIMEOUT = 300
CENSUS_BOOKINGS = 40
PROFILE_BOOKINGS = 300


# --- Worker processes ---------------------------------------------------------


def worker_main(barrier, tasks, results):
    """One agent: its own interpreter, Django and connection; runs the tasks it is given."""
    setup_django()
    from bench.booking_variants import BOOKED, FULL, VARIANTS

    for task in iter(tasks.get, None):
        try:
            variant_class = VARIANTS[task["variant"]]
            warm_up = variant_class(**{**task["job"], "flight_id": task["warm_up_flight_id"]})
            warm_up.book()
            warm_up.close()
            variant = variant_class(**task["job"])
            backend = variant.backend_pid()
            latencies, retries = [], 0
            barrier.wait(timeout=BARRIER_TIMEOUT)
            client_cpu, server_cpu = time.process_time(), process_cpu_seconds(backend)
            while True:
                start = time.perf_counter()
                outcome = variant.book()
                if outcome == FULL:
                    break
                if outcome == BOOKED:
                    latencies.append(time.perf_counter() - start)
                else:
                    retries += 1
            client_cpu, server_cpu = time.process_time() - client_cpu, process_cpu_seconds(backend) - server_cpu
            variant.close()
            results.put(
                {"latencies": latencies, "retries": retries, "client_cpu": client_cpu, "server_cpu": server_cpu}
            )
        except Exception:  # noqa: BLE001 - reported by the main process, which then stops
            barrier.abort()
            results.put({"error": traceback.format_exc()})


def process_cpu_seconds(pid):
    """User + system CPU time of a process on this machine (a PostgreSQL backend: the server is local)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """CPU time spent by every process of the machine, all CPUs together (from /proc/stat)."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Agents:
    """A fixed set of worker processes, started once and reused for every variant."""

    def __init__(self, count):
        context = multiprocessing.get_context("spawn")
        self.count = count
        self.barrier = context.Barrier(count + 1)
        self.tasks = context.Queue()
        self.results = context.Queue()
        self.processes = [
            context.Process(target=worker_main, args=(self.barrier, self.tasks, self.results)) for _ in range(count)
        ]
        for process in self.processes:
            process.start()

    def run(self, task):
        """Seconds from the common start until the last agent found the flight full, and each agent's result."""
        for _ in range(self.count):
            self.tasks.put(task)
        try:
            self.barrier.wait(timeout=BARRIER_TIMEOUT)
        except threading.BrokenBarrierError:
            pass  # an agent failed: its error is in the results
        start, busy = time.perf_counter(), machine_busy_seconds()
        outcomes = [self.results.get(timeout=BARRIER_TIMEOUT) for _ in range(self.count)]
        elapsed, busy = time.perf_counter() - start, machine_busy_seconds() - busy
        failures = [outcome["error"] for outcome in outcomes if "error" in outcome]
        if failures:
            self.stop()
            sys.exit(f"An agent failed during the {task['variant']} run:\n{failures[0]}")
        return elapsed, busy, outcomes

    def stop(self):
        for _ in self.processes:
            self.tasks.put(None)
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()


# --- Data ---------------------------------------------------------------------


class Network:
    """CDG-LHR with taxes and a route fare, as counter staff would find it; flights made by the fleet service."""

    def __init__(self):
        from django.conf import settings
        from django.contrib.auth.models import User

        from backoffice.system import system_user
        from fleet.models import AircraftType
        from fleet.services import get_or_create_airport
        from sales.models import FareClass, RouteFare, Tax

        self.carrier = settings.AIRLINE_CODE
        self.system = system_user()
        self.agent = User.objects.create_user(username="bench-agent", password=None, is_staff=True)
        self.origin = get_or_create_airport(code="CDG", user=self.system)
        self.destination = get_or_create_airport(code="LHR", user=self.system)
        self.aircraft_type = self._save(AircraftType(code="388", name="Airbus A380", seats_economy=500))
        fare_class = self._save(FareClass(code=FARE_CLASS, cabin=FARE_CLASS, name="Economy"))
        self._save(Tax(code="FR", name="Civil aviation tax", amount="4.63", departure_country="FR"))
        self._save(Tax(code="QX", name="Passenger service charge", amount="12.50", departure_airport=self.origin))
        self._save(
            RouteFare(
                origin=self.origin,
                destination=self.destination,
                fare_class=fare_class,
                price="100.00",
                seats_allocated=MAX_SEATS,
            )
        )
        self.next_number = 1000

    def _save(self, instance):
        instance._history_user = self.system
        instance.save()
        return instance

    def new_flight(self, capacity):
        """A fresh flight in 30 days with one bucket allocated its whole capacity."""
        from django.utils import timezone

        from fleet.models import Flight
        from fleet.services import PlannedLeg, create_flights
        from sales.services import open_sales

        self.next_number += 1
        day = timezone.localdate() + dt.timedelta(days=30)
        leg = PlannedLeg(
            carrier=self.carrier,
            number=self.next_number,
            suffix="",
            leg_number=1,
            flight_date=day,
            origin=self.origin,
            destination=self.destination,
            departure_date=day,
            departure_time=dt.time(9, 0),
            arrival_date=day,
            arrival_time=dt.time(9, 20),
            aircraft_type=self.aircraft_type,
            capacity=capacity,
        )
        create_flights(legs=[leg], user=self.system)
        flight = Flight.objects.get(carrier=self.carrier, number=self.next_number, flight_date=day)
        open_sales(flights=[flight], user=self.system)
        return flight

    def job(self, flight):
        return {
            "flight_id": flight.pk,
            "fare_class": FARE_CLASS,
            "agent_id": self.agent.pk,
            "database_url": os.environ["DATABASE_URL"],
        }


def audit(flight):
    """Seats sold, live tickets and history rows written for one filled flight."""
    from fleet.models import Flight
    from sales.models import Booking, FareBucket, Passenger, Ticket, TicketTax

    flight = Flight.objects.get(pk=flight.pk)
    bucket = FareBucket.objects.get(flight=flight)
    live = Ticket.objects.filter(flight=flight, holds_seat=True).count()
    booking_ids = list(Booking.objects.filter(tickets__flight=flight).values_list("pk", flat=True))
    ticket_ids = list(Ticket.objects.filter(flight=flight).values_list("pk", flat=True))
    history_rows = (
        Booking.history.filter(id__in=booking_ids).count()
        + Passenger.history.filter(booking_id__in=booking_ids).count()
        + Ticket.history.filter(id__in=ticket_ids).count()
        + TicketTax.history.filter(ticket_id__in=ticket_ids).count()
        + Flight.history.filter(id=flight.pk, history_type="~").count()
        + FareBucket.history.filter(id=bucket.pk, history_type="~").count()
    )
    return {
        "capacity": flight.capacity,
        "bookings": len(booking_ids),
        "live_tickets": live,
        "oversold": max(0, live - flight.capacity),
        "flight_mismatch": flight.seats_sold - live,
        "bucket_mismatch": bucket.seats_sold - live,
        "history_per_booking": history_rows / len(booking_ids) if booking_ids else 0,
    }


# --- Single client: statements and lock time per booking ------------------------


def statement_kind(statement):
    """`INSERT sales_booking`, `UPDATE fleet_flight`, `SAVEPOINT`...; a CTE is named by its first write."""
    text = " ".join(statement.split())
    verb = text.split(" ", 1)[0].upper()
    if verb == "WITH":
        first_write = re.search(r"\b(INSERT INTO|UPDATE)\s+\"?(\w+)", text, re.IGNORECASE)
        return f"CTE {first_write.group(1).split()[0].upper()} {first_write.group(2)} (+ history)"
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", text, re.IGNORECASE)
    if verb == "SELECT" and "FOR UPDATE" in text:
        verb = "SELECT FOR UPDATE"
    return f"{verb} {table.group(1)}" if table and verb not in {"SAVEPOINT", "RELEASE", "ROLLBACK"} else verb


def _takes_flight_lock(statement):
    return bool(re.search(r"UPDATE\s+\"?fleet_flight\"?\s+SET|FOR UPDATE", statement))


def census(network, variant_name, bookings):
    """Book one at a time, recording each statement: (statements per booking, lock ms, latency ms, kinds)."""
    from django.db import connection

    from bench.booking_variants import BOOKED, VARIANTS

    flight = network.new_flight(bookings)
    variant = VARIANTS[variant_name](**network.job(flight))
    trace = []

    def record(execute, sql, params, many, context):
        trace.append((time.perf_counter(), sql))
        return execute(sql, params, many, context)

    statements, lock_ms, latency_ms = [], [], []
    kinds = None
    with connection.execute_wrapper(record):
        for _ in range(bookings):
            trace.clear()
            variant.trace = trace
            start = time.perf_counter()
            if variant.book() != BOOKED:
                raise RuntimeError(f"{variant_name} did not book on a flight with seats left")
            end = time.perf_counter()
            statements.append(len(trace))
            lock_ms.append(1000 * (end - next(t for t, sql in trace if _takes_flight_lock(sql))))
            latency_ms.append(1000 * (end - start))
            kinds = kinds or [statement_kind(sql) for _, sql in trace]
    variant.close()
    return {
        "statements": statistics.mean(statements[1:]),
        "lock_ms": statistics.median(lock_ms[1:]),
        "latency_ms": statistics.median(latency_ms[1:]),
        "kinds": kinds,
    }


def profile_service(network, bookings):
    """cProfile and per-statement timings of the booking service, one client."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.booking_variants import BOOKED, VARIANTS

    flight = network.new_flight(bookings)
    variant = VARIANTS["service"](**network.job(flight))
    variant.book()  # warm
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        profiler.enable()
        for _ in range(bookings - 1):
            if variant.book() != BOOKED:
                raise RuntimeError("the service did not book on a flight with seats left")
        profiler.disable()
        elapsed = time.perf_counter() - start
    done = bookings - 1
    by_kind = defaultdict(list)
    for query in captured.captured_queries[1:]:
        by_kind[statement_kind(query["sql"])].append(float(query["time"]))
    sql_seconds = sum(sum(times) for times in by_kind.values())
    print(f"\nProfile of the service, one client, {done} bookings: {1000 * elapsed / done:.2f} ms per booking")
    print(f"  time in SQL round trips: {1000 * sql_seconds / done:.2f} ms per booking; the rest is Python")
    print(f"  {'statement':<40} {'per booking':>11} {'ms each':>8} {'ms/booking':>10}")
    for kind, times in sorted(by_kind.items(), key=lambda item: -sum(item[1])):
        print(
            f"  {kind:<40} {len(times) / done:>11.2f} {1000 * statistics.mean(times):>8.3f} "
            f"{1000 * sum(times) / done:>10.3f}"
        )
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(30)
    print("\n  cProfile, 30 functions by cumulative time:")
    print("\n".join("  " + line for line in stream.getvalue().splitlines() if line.strip()))


# --- Report -----------------------------------------------------------------


def _load_average():
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=MAX_SEATS, help="seats per flight, i.e. bookings per variant")
    parser.add_argument("--workers", type=int, default=16, help="concurrent agent processes")
    parser.add_argument("--profile", action="store_true", help="profile the service even if the targets hold")
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also run the service with take_seats writing each counter and its history in one statement",
    )
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database afterwards")
    args = parser.parse_args()
    if not 1 <= args.bookings <= MAX_SEATS:
        parser.error(f"--bookings is between 1 and {MAX_SEATS} (no flight has more seats: fleet.models.MAX_SEATS)")

    began = time.perf_counter()
    recreate_database(DATABASE)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from fleet import models as fleet_models

    assert fleet_models.MAX_SEATS == MAX_SEATS, "bench/booking_throughput.py: MAX_SEATS is fleet.models.MAX_SEATS"
    network = Network()
    print(
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}, {args.workers} agent "
        f"processes, {multiprocessing.cpu_count()} CPUs, {args.bookings} bookings (1 adult, 2 tax lines) per "
        f"variant; load average before: {_load_average()}\n"
    )

    variants = ["service", "naive", "ceiling"] + (["what-if"] if args.what_if else [])
    print(f"Single client, median of {CENSUS_BOOKINGS} bookings each (BEGIN/COMMIT not counted):")
    single = {}
    for name in variants:
        single[name] = census(network, name, CENSUS_BOOKINGS)
        print(
            f"  {name:<8} {single[name]['statements']:>4.0f} statements, {single[name]['latency_ms']:6.2f} ms, "
            f"flight row locked {single[name]['lock_ms']:5.2f} ms: {', '.join(single[name]['kinds'])}"
        )

    agents = Agents(args.workers)
    rows = {}
    try:
        for name in variants:
            warm_up_flight = network.new_flight(args.workers)
            flight = network.new_flight(args.bookings)
            task = {"variant": name, "job": network.job(flight), "warm_up_flight_id": warm_up_flight.pk}
            elapsed, busy, outcomes = agents.run(task)
            latencies = [latency for outcome in outcomes for latency in outcome["latencies"]]
            client_cpu = sum(outcome["client_cpu"] for outcome in outcomes)
            server_cpu = sum(outcome["server_cpu"] for outcome in outcomes)
            rows[name] = {
                "client_cpu_ms": 1000 * client_cpu / len(latencies),
                "server_cpu_ms": 1000 * server_cpu / len(latencies),
                "other_cores": (busy - client_cpu - server_cpu) / elapsed,
                "busy_cores": busy / elapsed,
                **audit(flight),
                "seconds": elapsed,
                "per_second": len(latencies) / elapsed,
                "p50": 1000 * percentile(latencies, 0.50),
                "p99": 1000 * percentile(latencies, 0.99),
                "retries": sum(outcome["retries"] for outcome in outcomes),
            }
    finally:
        agents.stop()

    print(f"\n{args.workers} agents filling one flight of {args.bookings} seats:")
    header = (
        f"{'variant':<8} {'bookings':>8} {'seconds':>8} {'bookings/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'retries':>7} {'oversold':>8} {'sold-live':>9} {'history/booking':>15}"
    )
    print(header)
    print("-" * len(header))
    for name in variants:
        row = rows[name]
        mismatch = f"{row['flight_mismatch']}/{row['bucket_mismatch']}"
        print(
            f"{name:<8} {row['bookings']:>8} {row['seconds']:>8.2f} {row['per_second']:>10.1f} {row['p50']:>8.1f} "
            f"{row['p99']:>8.1f} {row['retries']:>7} {row['oversold']:>8} {mismatch:>9} "
            f"{row['history_per_booking']:>15.2f}"
        )
    print("(sold-live: flight/bucket seats_sold minus live tickets holding a seat; 0/0 is right)")

    cores = multiprocessing.cpu_count()
    print(f"\nWhere the CPU went ({cores} cores):")
    header = (
        f"{'variant':<8} {'agent CPU ms/booking':>20} {'PostgreSQL CPU ms/booking':>25} {'cores busy':>10} "
        f"{'of which others':>15} {'CPU-bound max/s':>15}"
    )
    print(header)
    print("-" * len(header))
    for name in variants:
        row = rows[name]
        ceiling_rate = 1000 * cores / (row["client_cpu_ms"] + row["server_cpu_ms"])
        print(
            f"{name:<8} {row['client_cpu_ms']:>20.2f} {row['server_cpu_ms']:>25.2f} {row['busy_cores']:>10.2f} "
            f"{row['other_cores']:>15.2f} {ceiling_rate:>15.0f}"
        )
    print(
        "(others: this benchmark's main process, PostgreSQL's background processes and whatever else the machine "
        "runs; CPU-bound max: cores / CPU per booking)"
    )

    service, naive, ceiling = (rows[name]["per_second"] for name in variants[:3])
    honest = all(rows[name]["oversold"] == 0 for name in variants) and all(
        rows[name]["flight_mismatch"] == rows[name]["bucket_mismatch"] == 0 for name in variants
    )
    targets = [
        (f"service / naive   = {service / naive:5.2f}x  (target >= 2x)", service >= 2 * naive),
        (f"service / ceiling = {service / ceiling:5.0%}   (target >= 40%)", service >= 0.4 * ceiling),
        ("oversold = 0 and seats sold = live tickets, every variant", honest),
    ]
    print()
    for label, holds in targets:
        print(f"{'OK  ' if holds else 'MISS'} {label}")
    if args.what_if:
        what_if = rows["what-if"]["per_second"]
        print(
            f"what-if (not the code in sales/): {what_if / naive:.2f}x naive, {what_if / ceiling:.0%} of the ceiling, "
            f"{what_if / service:.2f}x the service"
        )

    if args.profile or not all(holds for _, holds in targets):
        profile_service(network, PROFILE_BOOKINGS)

    connection.close()
    if not args.keep:
        drop_database(DATABASE)
    print(f"\nTotal run time {time.perf_counter() - began:.0f} s; load average after: {_load_average()}")


if __name__ == "__main__":
    main()
