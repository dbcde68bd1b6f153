"""Reading reports as a user gets them (CSV, Excel, PDF), and the test's own way to cut periods."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pypdf
from django.db import connection
from django.urls import reverse

from tests.reporting.conftest import PARIS

REPORT_MODELS = {
    "sales": "salesreport",
    "refunds": "refundreport",
    "cash_up": "cashupreport",
    "load_factor": "loadfactorreport",
}


def report_url(report, part="", **params):
    name = f"admin:reporting_{REPORT_MODELS[report]}_{part or 'changelist'}"
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(name) + (f"?{query}" if query else "")


def read_csv(response, delimiter=","):
    """The rows of a CSV response as dicts keyed by the header, byte order mark removed."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=delimiter))


def xlsx_sheet(response):
    """The one sheet of an Excel response, read back with openpyxl."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    (sheet,) = workbook.worksheets
    return sheet


def xlsx_rows(response):
    return [[cell.value for cell in row] for row in xlsx_sheet(response).iter_rows()]


def pdf_reader(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def pdf_pages(response):
    """The text of each page of a PDF response, whitespace runs made one space."""
    return [" ".join(page.extract_text().split()) for page in pdf_reader(response).pages]


def periods(first, last, grouping):
    """(label, first day, day after) of each period in the range, cut by its ends: worked out apart from the app."""
    day = first
    while day <= last:
        if grouping == "day":
            opening, label = day, day.isoformat()
            after = day + dt.timedelta(days=1)
        elif grouping == "week":
            opening = day - dt.timedelta(days=day.weekday())
            year, week, _ = opening.isocalendar()
            label, after = f"{year}-W{week:02d}", opening + dt.timedelta(days=7)
        else:
            label = f"{day:%Y-%m}"
            after = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        after = min(after, last + dt.timedelta(days=1))
        yield label, day, after
        day = after


def local_midnight(day):
    """The instant a local day starts, as the database compares it."""
    instant = dt.datetime.combine(day, dt.time.min, tzinfo=PARIS)
    return connection.ops.adapt_datetimefield_value(instant)


def sql(query, params):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def cents(value):
    """A sum as the database returned it (SQLite: a float), as money."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(Decimal("0.01"))
