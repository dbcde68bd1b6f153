"""A season's schedule through `manage.py import_schedule`: time and memory.

Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=x .venv/bin/python bench/schedule_import.py

DATABASE_URL names the server only: the benchmark drops and recreates its own database
`bench_schedule` there, migrates it, loads the airports, the aircraft types and a route
fare table (3 booking classes per route, so every flight also gets its fare buckets),
then writes a generated SSIM file of 10,000 flight leg records (5,000 flight numbers x
2 periods of 15 days, daily: 150,000 dated flights) and imports it with the command in a
child process, timing it and reading its peak memory (max RSS). It imports the same file
a second time (everything unchanged), prints the figures and drops the database.

Options: --legs N (default 10000), --days N per period (default 15), --no-fares, --keep.
"""

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throwaway import ROOT, drop_database, recreate_database, setup_django  # noqa: E402

DATABASE = "bench_schedule"
STATIONS = [
    "CDG",
    "LHR",
    "FRA",
    "AMS",
    "MAD",
    "FCO",
    "MUC",
    "ZRH",
    "VIE",
    "CPH",
    "LIS",
    "BCN",
    "ATH",
    "DUB",
    "BRU",
    "OSL",
    "ARN",
    "HEL",
    "WAW",
    "PRG",
    "BUD",
    "NCE",
    "LYS",
    "TLS",
    "MRS",
    "JFK",
    "YUL",
    "RUN",
    "DKR",
    "CMN",
]
TYPES = [
    ("320", "Airbus A320", 162),
    ("321", "Airbus A321", 196),
    ("73H", "Boeing 737-800", 180),
    ("E90", "Embraer 190", 100),
]


def ssim_date(day):
    return f"{day.day:02d}{day:%b}".upper() + f"{day:%y}"


def record(kind, body, serial):
    line = (kind + body).ljust(194)[:194]
    return line + f"{serial:06d}"


def generate(path, legs, days):
    start = dt.date(2027, 4, 5)
    serial = 1
    lines = [record("1", "AIRLINE STANDARD SCHEDULE DATA SET", serial)]
    serial += 1
    lines.append(record("2", f"LXB  S27 {ssim_date(start)}{ssim_date(start + dt.timedelta(days=2 * days))}", serial))
    pairs = [(a, b) for a in STATIONS for b in STATIONS if a != b]
    for index in range(legs):
        number = index // 2 + 1
        period = index % 2
        origin, destination = pairs[number % len(pairs)]
        first = start + dt.timedelta(days=period * days)
        last = first + dt.timedelta(days=days - 1)
        departure = f"{6 + number % 14:02d}{(number * 7) % 60:02d}"
        arrival = f"{8 + number % 14:02d}{(number * 7) % 60:02d}"
        code, _, seats = TYPES[number % len(TYPES)]
        r = [" "] * 200
        r[0] = "3"
        r[2:5] = "XB "
        r[5:9] = f"{number:4d}"
        r[9:11] = f"{period + 1:02d}"
        r[11:13] = "01"
        r[13] = "J"
        r[14:21] = ssim_date(first)
        r[21:28] = ssim_date(last)
        r[28:35] = "1234567"
        r[36:39] = origin
        r[39:43] = departure
        r[43:47] = departure
        r[47:52] = "+0000"
        r[54:57] = destination
        r[57:61] = arrival
        r[61:65] = arrival
        r[65:70] = "+0000"
        r[72:75] = code
        config = f"Y{seats}VV{seats}"
        r[172 : 172 + len(config)] = config
        serial += 1
        r[194:200] = f"{serial:06d}"
        lines.append("".join(r))
    serial += 1
    lines.append(record("5", "XB", serial))
    path.write_text("\n".join(lines) + "\n")


def prepare(fares):
    from decimal import Decimal

    from django.core.management import call_command

    from backoffice.system import system_user
    from fleet.models import AircraftType
    from fleet.services import get_or_create_airport
    from sales.models import FareClass, RouteFare

    call_command("migrate", verbosity=0)
    for code, name, seats in TYPES:
        AircraftType.objects.create(code=code, name=name, seats_economy=seats)
    airports = {code: get_or_create_airport(code=code, user=system_user()) for code in STATIONS}
    if fares:
        classes = [
            FareClass.objects.create(code=code, cabin="Y", name=name)
            for code, name in (("Y", "Economy flex"), ("M", "Economy"), ("K", "Economy light"))
        ]
        RouteFare.objects.bulk_create(
            RouteFare(
                origin=airports[a], destination=airports[b], fare_class=c, price=Decimal("99.00"), seats_allocated=60
            )
            for a in STATIONS
            for b in STATIONS
            if a != b
            for c in classes
        )


def import_once(path):
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "import_schedule", str(path)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit("the import failed")
    return elapsed, max(peak, before), done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=10000)
    parser.add_argument("--days", type=int, default=15)
    parser.add_argument("--no-fares", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    recreate_database(DATABASE)
    setup_django()
    try:
        prepare(fares=not args.no_fares)
        from django.db import connections

        connections.close_all()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "season.ssim"
            generate(path, args.legs, args.days)
            size = path.stat().st_size
            print(
                f"{args.legs} leg records ({size / 1024 / 1024:.1f} MB), {args.legs * args.days} dated flights expected"
            )
            elapsed, peak_kb, out = import_once(path)
            print(out.strip())
            print(f"first import:  {elapsed:.1f} s, peak memory {peak_kb / 1024:.0f} MiB (max RSS of the command)")
            elapsed2, peak_kb2, out2 = import_once(path)
            unchanged = [line for line in out2.splitlines() if line.startswith("Flights unchanged")]
            print(f"second import: {elapsed2:.1f} s, {unchanged[0] if unchanged else out2}")
            target = elapsed <= 60 and peak_kb / 1024 < 1024
            print(f"target (<= 60 s, < 1 GiB): {'met' if target else 'MISSED'}")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(DATABASE)


if __name__ == "__main__":
    main()
