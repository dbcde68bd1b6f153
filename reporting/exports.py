"""A report as CSV or as an Excel workbook.

CSV is streamed: the header leaves before the database is read, rows follow
as they come. UTF-8 with a byte order mark, which is how Excel knows the file
is UTF-8. Two flavours: comma-separated with a decimal point, and for Excel
set to a European locale, semicolon-separated with a decimal comma (no `sep=;`
line: with one, Excel ignores the byte order mark). Every text cell is made
safe by backoffice.csv_safety; numbers stay numbers.

Excel is written row by row by XlsxWriter in its constant-memory mode into a
temporary file, then sent from there: memory stays flat whatever the number
of rows.
Numbers and times are real numbers and times, money has two decimals, text is
stored as text (never a formula), and a totals row closes the sheet.
"""

import datetime as dt
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from django.utils.translation import gettext as _
from xlsxwriter import Workbook

from backoffice.csv_safety import csv_rows
from reporting import pg_csv
from reporting.reports import CODE, COUNT, DATE, DAYS, MONEY, PERCENT, TEXT, TIME

BOM = "\ufeff"
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
NUMBER_FORMATS = {
    MONEY: "#,##0.00",
    COUNT: "#,##0",
    PERCENT: "0.0",
    DAYS: "0.0",
    TIME: "yyyy-mm-dd hh:mm",
    DATE: "yyyy-mm-dd",
}
WIDTHS = {MONEY: 14, COUNT: 10, PERCENT: 10, DAYS: 10, TIME: 17, DATE: 11, CODE: 15, TEXT: 18}
# Text is text: never turned into a formula, a number or a link, whatever it looks like.
XLSX_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


class _Formats:
    """The workbook's cell formats, plain and bold, one per kind of column (None: the default format)."""

    def __init__(self, workbook):
        self.bold = workbook.add_format({"bold": True})
        self.kinds = {
            (kind, bold): workbook.add_format({"num_format": number_format, "bold": bold})
            for kind, number_format in NUMBER_FORMATS.items()
            for bold in (False, True)
        }

    def number(self, kind, bold):
        return self.kinds.get((kind, bold)) or (self.bold if bold else None)


def _write_text(sheet, row, col, text, cell_format):
    # XlsxWriter copies a text that reads "<r>...</r>" into the sheet as rich-text XML, unescaped (a damaged
    # file, or markup shown as formatting): such a text is written as rich text of three plain pieces instead.
    if text.startswith("<r>") and text.endswith("</r>"):
        pieces = (text[:1], text[1:2], text[2:])
        if cell_format is not None:
            pieces = (cell_format, pieces[0], cell_format, pieces[1], cell_format, pieces[2], cell_format)
        sheet.write_rich_string(row, col, *pieces)
    else:
        sheet.write_string(row, col, text, cell_format)


def _write_value(sheet, formats, row, col, value, kind, bold):
    """One cell: numbers as numbers in their column's format, times and dates as such, anything else as text."""
    if value is None:
        if bold:
            sheet.write_blank(row, col, None, formats.bold)
    elif isinstance(value, str):
        _write_text(sheet, row, col, value, formats.bold if bold else None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, formats.bold if bold else None)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, value, formats.number(kind, bold))
    elif isinstance(value, dt.datetime):
        # Excel has no time zones: the local time, as the page shows it (the heading names the zone).
        sheet.write_datetime(row, col, value.replace(tzinfo=None), formats.number(TIME, bold))
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, formats.number(DATE, bold))
    else:
        _write_text(sheet, row, col, str(value), formats.bold if bold else None)


def xlsx_file(*, title, heading, columns, rows, totals):
    """The table as an Excel workbook in a temporary file, written row by row (XlsxWriter's constant-memory mode).

    Each row goes to disk when the next one starts: memory stays flat whatever the number of rows.
    """
    spool = tempfile.TemporaryFile()
    workbook = Workbook(spool, XLSX_OPTIONS)
    formats = _Formats(workbook)
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31].strip("'") or None)
    kinds = [column.kind for column in columns]
    for index, kind in enumerate(kinds):
        sheet.set_column(index, index, WIDTHS.get(kind, WIDTHS[TEXT]))
    # Title, heading lines, a blank line, the header: all of them stay in view as the rows scroll.
    header_row = len(heading) + 2
    sheet.freeze_panes(header_row + 1, 0)
    _write_text(sheet, 0, 0, str(title), formats.bold)
    for index, line in enumerate(heading, start=1):
        _write_text(sheet, index, 0, str(line), None)
    for index, column in enumerate(columns):
        _write_text(sheet, header_row, index, str(column.label), formats.bold)
    keys = [column.key for column in columns]
    number = header_row + 1
    write_string = sheet.write_string
    for row in rows:
        for index, key in enumerate(keys):
            value = row.get(key)
            if value.__class__ is str and not value.startswith("<r>"):
                write_string(number, index, value)  # most cells: straight to the writer
            else:
                _write_value(sheet, formats, number, index, value, kinds[index], False)
        number += 1
    if totals:
        cells = [totals.get(key) for key in keys]
        if cells[0] in (None, ""):
            cells[0] = str(_("Total"))
        for index, value in enumerate(cells):
            _write_value(sheet, formats, number, index, value, kinds[index], True)
    workbook.close()
    spool.seek(0)
    return spool
