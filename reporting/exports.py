"""A report as CSV, streamed: the header leaves before the database is read, rows follow as they come.

UTF-8 with a byte order mark, which is how Excel knows the file is UTF-8.
Two flavours: comma-separated with a decimal point, and for Excel set to a
European locale, semicolon-separated with a decimal comma (no `sep=;` line:
with one, Excel ignores the byte order mark). Every text cell is made safe
by backoffice.csv_safety; numbers stay numbers.
"""

import datetime as dt
from dataclasses import dataclass
from itertools import chain

from backoffice.csv_safety import csv_rows

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
