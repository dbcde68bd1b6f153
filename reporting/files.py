"""A report as a file (CSV, Excel or PDF), made the same way for the page that waits and for a background job.

The page makes a file while the person waits up to a number of rows (REPORT_PDF_MAX_ROWS,
REPORT_XLSX_MAX_ROWS); above that it offers a background job (reporting/jobs.py), which makes the
same file here with its progress counted row by row.
"""

import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import replica
from reporting.exports import FLAVOURS, XLSX_CONTENT_TYPE, csv_stream, xlsx_file
from reporting.pdf import report_pdf
from reporting.periods import Grouping

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE, "pdf": "application/pdf"}
BY = {
    Grouping.DAY: gettext_lazy("By day."),
    Grouping.WEEK: gettext_lazy("By ISO week."),
    Grouping.MONTH: gettext_lazy("By month."),
}


@dataclass(frozen=True)
class Heading:
    """What every report states: what it covers, in which zone, who ran it and when."""

    subject: str
    first: object
    last: object
    range_note: str
    time_zone: str
    grouping: str
    filters: list
    run_by: str
    run_at: object
    # Read from a replica (backoffice/replica.py): its last replayed transaction's time, if any.
    from_replica: bool = False
    data_as_of: object = None

    @property
    def statement(self):
        text = _("%(subject)s from %(first)s to %(last)s, %(note)s.") % {
            "subject": self.subject,
            "first": date_format(self.first, "D j M Y"),
            "last": date_format(self.last, "D j M Y"),
            "note": self.range_note,
        }
        if self.grouping:
            text += " " + str(BY[self.grouping])
        if self.filters:
            text += " " + ", ".join(f"{label}: {value}" for label, value in self.filters) + "."
        return text

    @property
    def signature(self):
        text = _("Run by %(who)s on %(when)s (%(zone)s).") % {
            "who": self.run_by,
            "when": date_format(self.run_at, "j M Y H:i T"),
            "zone": self.time_zone,
        }
        if self.from_replica and self.data_as_of is not None:
            text += " " + _("Data as of %(when)s (read from the replica).") % {
                "when": date_format(self.data_as_of, "j M Y H:i:s T")
            }
        elif self.from_replica:
            text += " " + _("Data as of the replica's start (it has replayed no change since).")
        return text


def report_form(report, query, *, user, listing):
    """The report's form from a query string (a QueryDict or a dict of lists); what it leaves out takes the
    report's default (this month, by day...)."""
    data = QueryDict(mutable=True)
    data.update(report.form_class.defaults())
    items = query.lists() if isinstance(query, QueryDict) else query.items()
    for key, values in items:
        data.setlist(key, list(values))
    return report.form(data, user=user, listing=listing)


def heading(report, form, user):
    grouping = form.cleaned_data.get("grouping")
    from_replica = replica.reports_alias() == replica.REPLICA
    as_of = replica.data_as_of() if from_replica else None
    return Heading(
        subject=report.subject,
        first=form.cleaned_data["date_from"],
        last=form.cleaned_data["date_to"],
        range_note=report.range_note % {"zone": form.date_range.zone.key},
        time_zone=form.date_range.zone.key,
        grouping=grouping or "",
        filters=form.described_filters(),
        run_by=user.get_full_name() or user.get_username(),
        run_at=timezone.localtime(timezone.now(), form.date_range.zone),
        from_replica=from_replica,
        data_as_of=timezone.localtime(as_of, form.date_range.zone) if as_of else None,
    )


@dataclass
class Rows:
    """What a file is made of: columns, rows (lazy), totals, and how to count the rows without reading them."""

    columns: list
    rows: object
    totals: dict | None
    count: object
    listing: object = None


def rows_of(report, form, *, listing):
    if listing:
        table = report.listing(form)
        # Counted on one table when the listing can (bench/reports.py: the joined count takes seconds).
        return Rows(table.columns, table.rows(), table.totals, table.count or table.queryset.count, listing=table)
    summary = report.summary(form)
    rows = list(summary.rows)
    return Rows(summary.columns, rows, summary.totals, lambda: len(rows))


def file_name(report, form, *, listing, file_format):
    part = "-list" if listing else ""
    return f"{report.slug}{part}-{form.date_range.first}-{form.date_range.last}.{file_format}"


def row_limit(file_format):
    """The most rows a file of this format is made with while the person waits (None: the CSV streams any)."""
    return {"pdf": settings.REPORT_PDF_MAX_ROWS, "xlsx": settings.REPORT_XLSX_MAX_ROWS}.get(file_format)


def write_file(report, form, *, user, listing, file_format, rows, separator="comma"):
    """The report as a temporary file (read from the start) in `file_format`, from `rows` (a Rows)."""
    head = heading(report, form, user)
    title = report.listing_title if listing else report.title
    if file_format == "xlsx":
        return xlsx_file(
            title=title,
            heading=[head.statement, head.signature],
            columns=rows.columns,
            rows=rows.rows,
            totals=rows.totals,
        )
    if file_format == "pdf":
        return report_pdf(
            airline=settings.AIRLINE_NAME,
            title=title,
            heading=[head.statement, head.signature],
            columns=rows.columns,
            rows=rows.rows,
            totals=rows.totals,
        )
    output = tempfile.TemporaryFile()
    for chunk in csv_stream(rows.columns, rows.rows, FLAVOURS[separator]):
        output.write(chunk.encode())
    output.seek(0)
    return output
