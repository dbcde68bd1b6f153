"""Report files at the export limits: seconds, peak memory and pages of a 10,000-row PDF (and a 200,000-row XLSX).

Run from the project root (no database is read or written):

    SECRET_KEY=x .venv/bin/python bench/report_pdf.py

The rows are synthetic, fed to the renderer the export view uses (`reporting.pdf.report_pdf`,
`reporting.exports.xlsx_file`) with the real columns of a listing (`reporting.reports.SALES_LISTING`,
14 columns, and `REFUNDS_LISTING`, 19, the widest): values as the listing's `to_row` makes them
(Decimal money, aware local times, ticket numbers, names with accents, the odd long reason). The
database query is left out: it is timed by the report benchmarks, and a listing reads 10,000 rows in
a fraction of a second.

Each case runs in a fresh child process, so its peak RSS (getrusage ru_maxrss) is what a worker would
reach making that one file, Django and the libraries included; the child's RSS before it starts is
printed too. Targets (issue 9): PDF of 10,000 rows <= 8 s and <= 400 MB; XLSX of 200,000 rows
<= 30 s and <= 100 MB.

Options: --rows N (PDF rows, default REPORT_PDF_MAX_ROWS), --xlsx-rows N (default
REPORT_XLSX_MAX_ROWS), --no-xlsx, --keep DIR (write the files there to look at them).
"""

import argparse
import datetime as dt
import io
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PDF_TARGET = (8.0, 400)
XLSX_TARGET = (30.0, 100)
SURNAMES = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "NGUYEN", "OKONKWO", "VAN DER BERG", "DA SILVA SANTOS"]
GIVEN = ["ANNE", "JEAN PIERRE", "MARIE CLAIRE", "LUC", "AMINATA", "CHLOE"]
AGENTS = ["carl", "cleo", "élodie.brûlé", "fay", "gus"]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sales_rows(count, zone):
    chance = random.Random(count)
    start = dt.datetime(2021, 1, 1, tzinfo=zone)
    for index in range(count):
        fare = Decimal(chance.randrange(3000, 300000)) / 100
        taxes = Decimal(chance.choice([1698, 2933, 4512])) / 100
        yield {
            "number": f"952{index:010d}",
            "issued_at": start + dt.timedelta(minutes=index * 3),
            "agent": chance.choice(AGENTS),
            "record_locator": "".join(chance.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
            "passenger": f"{chance.choice(SURNAMES)}/{chance.choice(GIVEN)} {chance.choice(['MR', 'MRS', 'MS'])}",
            "passenger_type": chance.choice(["ADT", "ADT", "ADT", "CHD", "INF"]),
            "flight": f"XB {chance.randrange(100, 1999)} {chance.randrange(1, 28):02d}FEB21",
            "route": chance.choice(["CDG-LHR", "CDG-FCO", "CDG-MAD", "ORY-RUN", "CDG-JFK"]),
            "fare_class": chance.choice("JCYBMHKLQ"),
            "fare": fare,
            "taxes": taxes,
            "total": fare + taxes,
            "form_of_payment": chance.choice(["Cash", "Card", "Bank transfer"]),
            "status": chance.choice(["Open", "Flown", "Void", "Refunded", "Surrendered"]),
        }


def refund_rows(count, zone):
    chance = random.Random(count)
    start = dt.datetime(2021, 1, 1, tzinfo=zone)
    for index in range(count):
        requested = start + dt.timedelta(minutes=index * 5)
        paid = requested + dt.timedelta(hours=chance.uniform(2, 400)) if index % 3 == 0 else None
        fare = Decimal(chance.randrange(3000, 300000)) / 100
        fee = min(fare, Decimal("30.00"))
        yield {
            "requested_at": requested,
            "ticket_number": f"952{index:010d}",
            "record_locator": "".join(chance.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
            "passenger": f"{chance.choice(SURNAMES)}/{chance.choice(GIVEN)} MRS",
            "route": chance.choice(["CDG-LHR", "CDG-FCO", "CDG-MAD"]),
            "kind": chance.choice(["Voluntary", "Involuntary", "Void", "No-show"]),
            "status": chance.choice(["Requested", "Approved", "Rejected", "Paid"]),
            "fare_paid": fare,
            "fee_kept": fee,
            "taxes_returned": Decimal("16.98"),
            "amount": fare - fee + Decimal("16.98"),
            "requester": chance.choice(AGENTS),
            "approver": chance.choice(["fay", "gus", ""]),
            "decided_at": requested + dt.timedelta(hours=1),
            "rejection_reason": "Outside the fare's rules: the ticket was used in part" if index % 7 == 0 else "",
            "paid_at": paid,
            "method": "Bank transfer" if paid else "",
            "reference": f"PAY-{index}" if paid else "",
            "days_to_payment": (Decimal((paid - requested).total_seconds()) / 86400).quantize(Decimal("0.1"))
            if paid
            else None,
        }


def totals_of(rows, keys):
    totals = dict.fromkeys(keys, Decimal(0))
    for row in rows:
        for key in keys:
            totals[key] += row[key]
    return totals


def run_case(case, rows_wanted, keep):
    """In the child process: make one file, print one line of figures."""
    setup_django()
    from django.conf import settings
    from pypdf import PdfReader

    from reporting import reports
    from reporting.exports import xlsx_file
    from reporting.pdf import report_pdf
    from reporting.periods import business_zone

    zone = business_zone()
    before = peak_rss_mb()
    listing, make_rows, money = {
        "sales": (reports.SALES_LISTING, sales_rows, ["fare", "taxes", "total"]),
        "refunds": (reports.REFUNDS_LISTING, refund_rows, ["fare_paid", "fee_kept", "taxes_returned", "amount"]),
    }[case.split("-")[1]]
    # The rows come from a generator while the file is made, as from the listing's iterator; totals before.
    totals = totals_of(make_rows(rows_wanted, zone), money)
    rows = make_rows(rows_wanted, zone)
    heading = [
        "Tickets issued from Fri 1 Jan 2021 to Sun 31 Jan 2021, both days whole, Europe/Paris time.",
        "Run by Élodie Brûlé on 1 Feb 2021 09:00 CET (Europe/Paris).",
    ]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    if case.startswith("pdf"):
        output = report_pdf(
            airline=settings.AIRLINE_NAME, title="Bench", heading=heading, columns=listing, rows=rows, totals=totals
        )
        data = output.read()
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        pages, size = len(PdfReader(io.BytesIO(data)).pages), len(data)
    else:
        output = xlsx_file(title="Bench", heading=heading, columns=listing, rows=rows, totals=totals)
        data = output.read()
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        pages, size = None, len(data)
    if keep:
        Path(keep, f"{case}.{'pdf' if case.startswith('pdf') else 'xlsx'}").write_bytes(data)
    print(f"{elapsed:.2f} {cpu:.2f} {peak_rss_mb():.0f} {before:.0f} {pages or 0} {size}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int)
    parser.add_argument("--xlsx-rows", type=int)
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--keep")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        run_case(options.child[0], int(options.child[1]), options.keep)
        return
    setup_django()
    from django.conf import settings

    pdf_rows = options.rows or settings.REPORT_PDF_MAX_ROWS
    xlsx_rows = options.xlsx_rows or settings.REPORT_XLSX_MAX_ROWS
    cases = [("pdf-sales", pdf_rows, PDF_TARGET), ("pdf-refunds", pdf_rows, PDF_TARGET)]
    if not options.no_xlsx:
        cases.append(("xlsx-sales", xlsx_rows, XLSX_TARGET))
    print(f"load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    header = ("case", "rows", "seconds", "CPU s", "peak MB", "start MB", "pages", "KB")
    print("{:<12} {:>8} {:>8} {:>6} {:>8} {:>8} {:>6} {:>7}  target".format(*header))
    failed = False
    for case, count, (max_seconds, max_mb) in cases:
        command = [sys.executable, __file__, "--child", case, str(count)]
        if options.keep:
            command += ["--keep", options.keep]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            sys.exit(result.stderr)
        seconds, cpu, peak, start, pages, size = result.stdout.split()
        ok = float(seconds) <= max_seconds and float(peak) <= max_mb
        failed |= not ok
        print(
            f"{case:<12} {count:>8,} {float(seconds):>8.2f} {float(cpu):>6.2f} {peak:>8} {start:>8} {pages:>6} "
            f"{int(size) // 1024:>7}  "
            f"<= {max_seconds:.0f} s, <= {max_mb} MB: {'met' if ok else 'MISSED'}"
        )
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
