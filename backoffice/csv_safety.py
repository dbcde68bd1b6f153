"""CSV that a spreadsheet opens as data, never as a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`,
`-` or `@` (and, in some versions, a tab or carriage return) as a formula,
which can fetch URLs or run commands on the machine of whoever opens the
export. Text cells starting that way get a leading `'`, which spreadsheets
read as "this is text" (OWASP, CSV injection). Numbers are left alone: a
`Decimal("-2.50")` is a number to sum, and its text cannot be a formula.

Lines are produced one by one so that a `StreamingHttpResponse` can send a
large export without building it in memory.
"""

import csv
from decimal import Decimal

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBERS = (int, float, Decimal)


def safe_cell(value, *, decimal_comma=False):
    """The text of one cell, neutralised if a spreadsheet would run it as a formula.

    With `decimal_comma`, numbers are written `12,50`, as European spreadsheets read them.
    """
    if value is None:
        return ""
    if isinstance(value, _NUMBERS) and not isinstance(value, bool):
        text = str(value)
        return text.replace(".", ",") if decimal_comma else text
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Line:
    """A file-like object whose `write` returns what it is given, for csv.writer."""

    def write(self, value):
        return value


def csv_rows(rows, *, delimiter=",", decimal_comma=False):
    """Each row (an iterable of values) as one CSV line (RFC 4180 quoting, CRLF), every cell made safe."""
    writer = csv.writer(_Line(), delimiter=delimiter)
    for row in rows:
        yield writer.writerow([safe_cell(value, decimal_comma=decimal_comma) for value in row])
