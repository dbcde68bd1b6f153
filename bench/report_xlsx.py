"""Report Excel files at scale: 200,000 rows through `reporting.exports.xlsx_file`, before and after XlsxWriter.

Run from the project root (the file alone: no database is read or written):

    SECRET_KEY=x .venv/bin/python bench/report_xlsx.py

The rows are bench/report_pdf.py's synthetic ones (values as the listing's `to_row` makes them: Decimal
money, aware local times, ticket numbers, names with accents), made by a generator while the file is
made, with the real columns of the sales listing (14 columns) and of the refunds listing (19, the
widest). Each case runs in a fresh child process: its CPU seconds, wall seconds and peak RSS
(getrusage ru_maxrss; about 100 MB of it is Django and the libraries before the first row, also
printed: the issue's <= 100 MB is judged on what the file adds). The load average is printed before
and after: this is a shared 2-core machine, so compare the ratios within one run.

"before" is openpyxl's write-only mode with a WriteOnlyCell per value, as reporting/exports.py wrote
the file until XlsxWriter replaced it: a copy of that writer is kept here (`old_xlsx_file`), for this
comparison only. It costs about 0.6 ms of CPU a row: --old-rows (default: the same rows) runs it on
fewer rows, and its figures are then also given per 200,000 rows, scaled.

With --request, the whole request path too: a throwaway PostgreSQL database `bench_xlsx` on the server
DATABASE_URL names (nothing else there is read or written) gets a sales history generated with COPY
(refunds/scale_data.py, --tickets over a year), and the sales listing's Excel export is fetched through
the real admin view (Django's test client: the form, the COUNT, the listing's query read with
`.iterator()`, the file, the response) for the last days that hold --rows tickets, in a fresh process,
with REPORT_XLSX_MAX_ROWS lifted. --keep keeps the database, --reuse uses the kept one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=x .venv/bin/python \\
        bench/report_xlsx.py --request --keep

Options: --rows N (default 200,000), --old-rows N, --no-old, --cases sales,refunds, --keep-files DIR
(write the files there to look at them), --tickets N (default 450,000), --no-files (the request only).
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report_pdf import refund_rows, sales_rows, totals_of  # noqa: E402

TARGET_SECONDS, TARGET_MB = 30.0, 100
DATABASE = "bench_xlsx"
HEADING = [
    "Tickets issued from Fri 1 Jan 2021 to Sun 31 Jan 2021, both days whole, Europe/Paris time.",
    "Run by Élodie Brûlé on 1 Feb 2021 09:00 CET (Europe/Paris).",
]


def load_average():
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def old_xlsx_file(*, title, heading, columns, rows, totals):
    """The writer reporting/exports.py had before XlsxWriter (openpyxl write-only, a WriteOnlyCell per value)."""
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from reporting.exports import NUMBER_FORMATS, WIDTHS
    from reporting.reports import TEXT

    bold_font = Font(bold=True)

    def cell(sheet, value, column, *, bold=False):
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None)
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"
        elif column is not None and column.kind in NUMBER_FORMATS:
            written.number_format = NUMBER_FORMATS[column.kind]
        if bold:
            written.font = bold_font
        return written

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column.kind, WIDTHS[TEXT])
    sheet.freeze_panes = f"A{len(heading) + 3}"
    sheet.append([cell(sheet, str(title), None, bold=True)])
    for line in heading:
        sheet.append([cell(sheet, str(line), None)])
    sheet.append([])
    sheet.append([cell(sheet, str(column.label), None, bold=True) for column in columns])
    for row in rows:
        sheet.append([cell(sheet, row.get(column.key), column) for column in columns])
    if totals:
        cells = [totals.get(column.key) for column in columns]
        if cells[0] in (None, ""):
            cells[0] = "Total"
        sheet.append([cell(sheet, value, column, bold=True) for value, column in zip(cells, columns, strict=True)])
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return spool


def run_file_case(writer, case, rows_wanted, keep):
    """In the child process: make one file from generated rows, print its figures."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    from reporting import reports
    from reporting.exports import xlsx_file
    from reporting.periods import business_zone

    zone = business_zone()
    listing, make_rows, money = {
        "sales": (reports.SALES_LISTING, sales_rows, ["fare", "taxes", "total"]),
        "refunds": (reports.REFUNDS_LISTING, refund_rows, ["fare_paid", "fee_kept", "taxes_returned", "amount"]),
    }[case]
    totals = totals_of(make_rows(rows_wanted, zone), money)
    before = peak_rss_mb()
    write = {"new": xlsx_file, "old": old_xlsx_file}[writer]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    output = write(title="Bench", heading=HEADING, columns=listing, rows=make_rows(rows_wanted, zone), totals=totals)
    size = output.seek(0, os.SEEK_END)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    if keep:
        output.seek(0)
        Path(keep, f"{writer}-{case}.xlsx").write_bytes(output.read())
    print(f"{elapsed:.2f} {cpu:.2f} {peak_rss_mb():.0f} {before:.0f} {size}")


def measure_files(options):
    runs = []
    for case in options.cases.split(","):
        runs.append(("new", case, options.rows))
        if not options.no_old:
            runs.append(("old", case, options.old_rows or options.rows))
    print(f"Excel files from generated rows; load average before: {load_average()}")
    header = ("writer", "listing", "rows", "seconds", "CPU s", "peak MB", "start MB", "+MB", "KB", "per 200k rows")
    print("{:<7} {:<8} {:>8} {:>8} {:>7} {:>8} {:>8} {:>5} {:>7}  {}".format(*header))
    failed = False
    for writer, case, count in runs:
        command = [sys.executable, __file__, "--child", writer, case, str(count)]
        if options.keep_files:
            command += ["--keep-files", options.keep_files]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            sys.exit(result.stderr)
        seconds, cpu, peak, start, size = (float(value) for value in result.stdout.split())
        scale = 200_000 / count
        added = peak - start
        verdict = ""
        if writer == "new":
            ok = seconds * scale <= TARGET_SECONDS and added <= TARGET_MB
            failed |= not ok
            verdict = f"<= {TARGET_SECONDS:.0f} s, <= {TARGET_MB} MB more: {'met' if ok else 'MISSED'}"
        per = f"{seconds * scale:.1f} s, {cpu * scale:.1f} s CPU" + (" (scaled)" if count != 200_000 else "")
        print(
            f"{writer:<7} {case:<8} {count:>8,} {seconds:>8.2f} {cpu:>7.2f} {peak:>8.0f} {start:>8.0f} {added:>5.0f} "
            f"{int(size) // 1024:>7}  {per}  {verdict}"
        )
    print(f"load average after: {load_average()}")
    return failed


def measure_request(options):
    """The sales listing's Excel export through the admin view, on a generated history."""
    from bench import reports as bench_reports
    from bench.throwaway import drop_database, recreate_database, setup_django, use_existing_database

    if options.reuse:
        use_existing_database(DATABASE)
        setup_django()
    else:
        recreate_database(DATABASE)
        setup_django()
        print(f"Generating {options.tickets:,} tickets in {DATABASE} (load average {load_average()}):")
        generation = argparse.Namespace(
            tickets=options.tickets, payments=options.tickets * 2 // 5, refunds=options.tickets // 16, seed=1
        )
        bench_reports.generate(generation)
    try:
        first, last, rows = bench_reports.days_holding(options.rows)
        url = bench_reports.report_url("sales", "listing_xlsx", date_from=first.isoformat(), date_to=last.isoformat())
        print(f"\nThe sales listing's Excel export, {first} to {last}: {rows:,} rows; load average {load_average()}")
        figures = bench_reports.run_export_child(url, "xlsx")
        added = figures["peak_mb"] - figures["baseline_mb"]
        ok = figures["seconds"] <= TARGET_SECONDS and added <= TARGET_MB
        print(
            f"  {figures['seconds']:.1f} s from the request to the last byte, {figures['bytes'] / 2**20:.1f} MiB, "
            f"peak RSS {figures['peak_mb']:.0f} MB (process before: {figures['baseline_mb']:.0f} MB): "
            f"<= {TARGET_SECONDS:.0f} s, <= {TARGET_MB} MB more: {'met' if ok else 'MISSED'}"
        )
        print(f"load average after: {load_average()}")
        return not ok
    finally:
        if not (options.keep or options.reuse):
            drop_database(DATABASE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--old-rows", type=int)
    parser.add_argument("--no-old", action="store_true")
    parser.add_argument("--cases", default="sales,refunds")
    parser.add_argument("--keep-files")
    parser.add_argument("--request", action="store_true")
    parser.add_argument("--no-files", action="store_true")
    parser.add_argument("--tickets", type=int, default=450_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        writer, case, count = options.child
        run_file_case(writer, case, int(count), options.keep_files)
        return
    failed = False if options.no_files else measure_files(options)
    if options.request:
        failed |= measure_request(options)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
