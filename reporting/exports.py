"""A report as CSV or as an Excel workbook.

CSV is streamed: the header leaves before the database is read, rows follow
as they come. UTF-8 with a byte order mark, which is how Excel knows the file
is UTF-8. Two flavours: comma-separated with a decimal point, and for Excel
set to a European locale, semicolon-separated with a decimal comma (no `sep=;`
line: with one, Excel ignores the byte order mark). Every text cell is made
safe by backoffice.csv_safety; numbers stay numbers.

Excel is written row by row in openpyxl's write-only mode into a temporary
file, then sent from there: memory stays flat whatever the number of rows.
Numbers and times are real numbers and times, money has two decimals, text is
stored as text (never a formula), and a totals row closes the sheet.
"""

import datetime as dt
import re
import tempfile
from dataclasses import dataclass
from itertools import chain

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from backoffice.csv_safety import csv_rows
from reporting import pg_csv
from reporting.reports import CODE, COUNT, DAYS, MONEY, PERCENT, TEXT, TIME

BOM = "\ufeff"
BOLD = Font(bold=True)
# Lines are sent in chunks of about this many characters, not one write per row.
CHUNK_CHARS = 64 * 1024


@dataclass(frozen=True)
class CsvFlavour:
    delimiter: str
    decimal_comma: bool


FLAVOURS = {
    "comma": CsvFlavour(delimiter=",", decimal_comma=False),
    "semicolon": CsvFlavour(delimiter=";", decimal_comma=True),
}


def _cell(value):
    """Dates and times as a spreadsheet reads them; everything else as it is (numbers stay numbers)."""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def header_line(columns, flavour):
    return next(csv_rows([[str(column.label) for column in columns]], delimiter=flavour.delimiter))


def listing_csv_stream(listing, flavour):
    """A listing's CSV: written by PostgreSQL when it can (reporting.pg_csv, the same bytes), else row by row here."""
    if pg_csv.available(listing):
        return pg_csv.copy_csv_stream(listing, flavour, header_line(listing.columns, flavour))
    return csv_stream(listing.columns, listing.rows(), flavour)


def csv_stream(columns, rows, flavour):
    """The CSV text of a table, in chunks: the first (byte order mark and header) before any row is read."""
    header = [str(column.label) for column in columns]
    keys = [column.key for column in columns]
    records = ([_cell(row.get(key)) for key in keys] for row in rows)
    lines = csv_rows(chain([header], records), delimiter=flavour.delimiter, decimal_comma=flavour.decimal_comma)
    yield BOM + next(lines)
    chunk, size = [], 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield "".join(chunk)


# --- Excel ------------------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {MONEY: "#,##0.00", COUNT: "#,##0", PERCENT: "0.0", DAYS: "0.0", TIME: "yyyy-mm-dd hh:mm"}
WIDTHS = {MONEY: 14, COUNT: 10, PERCENT: 10, DAYS: 10, TIME: 17, CODE: 15, TEXT: 18}


def _xlsx_cell(sheet, value, column, *, bold=False):
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the local time, as the page shows it (the heading names the zone).
        value = value.replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # Text stays text: a cell that starts with "=" is never stored as a formula.
        cell.data_type = "s"
    elif column is not None and column.kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[column.kind]
    if bold:
        cell.font = BOLD
    return cell


def xlsx_file(*, title, heading, columns, rows, totals):
    """The table as an Excel workbook in a temporary file, written row by row (openpyxl's write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[column.kind if column.kind in WIDTHS else TEXT]
    first_row = len(heading) + 3  # title, heading lines, a blank line, then the header
    sheet.freeze_panes = f"A{first_row}"
    sheet.append([_xlsx_cell(sheet, str(title), None, bold=True)])
    for line in heading:
        sheet.append([_xlsx_cell(sheet, str(line), None)])
    sheet.append([])
    sheet.append([_xlsx_cell(sheet, str(column.label), None, bold=True) for column in columns])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row.get(column.key), column) for column in columns])
    if totals:
        cells = [totals.get(column.key) for column in columns]
        if cells[0] in (None, ""):
            cells[0] = str(_("Total"))
        sheet.append(
            [_xlsx_cell(sheet, value, column, bold=True) for value, column in zip(cells, columns, strict=True)]
        )
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return spool
