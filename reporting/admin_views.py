"""Report pages and their exports (CSV, Excel, PDF), inside the admin.

A report is read from the query string: the same parameters show the page and
export it. Bad parameters come back as messages on the form, never as an error
page; a user who may not run a report, or asks for someone else's drawer, gets 403.
"""

import html
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, QueryDict, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.money import grouped
from reporting.exports import FLAVOURS, XLSX_CONTENT_TYPE, csv_stream, listing_csv_stream, xlsx_file
from reporting.pdf import report_pdf
from reporting.periods import Grouping
from reporting.reports import COUNT, DAYS, MONEY, PERCENT, TIME, display

LISTING_PAGE_SIZE = 100
# A summary longer than this is shown a page at a time, its totals still those of the whole range; its files
# (CSV, Excel, PDF) have every row (docs/decisions.md: a month of cash-up by day is 5,600 rows).
SUMMARY_PAGE_SIZE = 500
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
        return _("Run by %(who)s on %(when)s (%(zone)s).") % {
            "who": self.run_by,
            "when": date_format(self.run_at, "j M Y H:i T"),
            "zone": self.time_zone,
        }


CELL_TEXT = {
    MONEY: grouped,
    TIME: lambda value: f"{value:%d %b %Y %H:%M}",
    PERCENT: str,
    DAYS: str,
    COUNT: lambda value: f"{value:,}",
}


def cell_writer(column):
    """How a column's cells are written in the page's table: `display`'s text in its <td>, in one step."""
    wraps = column.wraps and column.kind not in CELL_TEXT  # only text wraps (display: a time never does)
    tag = '<td class="num">' if column.numeric else '<td class="bo-wraps">' if wraps else "<td>"
    empty = ('<td class="num">' if column.numeric else "<td>") + "</td>"
    # Numbers and times are digits, separators and month names: only text is escaped.
    text = CELL_TEXT.get(column.kind) or (lambda value: html.escape(str(value)))

    def write(value):
        return empty if value is None or value == "" else f"{tag}{text(value)}</td>"

    return write


def table_body(columns, rows):
    """The rows (dicts by column key) as the table's HTML, written here: a month by day and route is
    thousands of rows, too many for the template engine to write cell by cell within the page's
    second (bench/reports.py)."""
    writers = [(column.key, cell_writer(column)) for column in columns]
    return mark_safe(
        "".join("<tr>" + "".join(write(row.get(key)) for key, write in writers) + "</tr>\n" for row in rows)
    )


class ReportView(UnfoldModelAdminViewMixin, TemplateView):
    """The summary of a report, or (with `listing`) its one-row-per-document listing."""

    template_name = "reporting/admin/report.html"
    report = None
    listing = False

    def has_permission(self):
        user = self.request.user
        return self.report.permitted(user) and self.report.may_open(user, self.request.GET.get("agent"))

    @property
    def title(self):
        return self.report.listing_title if self.listing else self.report.title

    def get_form(self):
        if not hasattr(self, "_form"):
            # What the query string leaves out takes the report's default (this month, by day...).
            data = QueryDict(mutable=True)
            data.update(self.report.form_class.defaults())
            for key, values in self.request.GET.lists():
                data.setlist(key, values)
            self._form = self.report.form(data, user=self.request.user, listing=self.listing)
        return self._form

    def heading(self, form):
        user = self.request.user
        grouping = form.cleaned_data.get("grouping")
        return Heading(
            subject=self.report.subject,
            first=form.cleaned_data["date_from"],
            last=form.cleaned_data["date_to"],
            range_note=self.report.range_note % {"zone": form.date_range.zone.key},
            time_zone=form.date_range.zone.key,
            grouping=grouping or "",
            filters=form.described_filters(),
            run_by=user.get_full_name() or user.get_username(),
            run_at=timezone.localtime(timezone.now(), form.date_range.zone),
        )

    def url(self, part, **changes):
        """The URL of a part of this report (page, listing, export) with the same parameters, some changed."""
        query = self.get_form().data.copy()
        for key, value in changes.items():
            query.pop(key, None)
            if value is not None:
                query[key] = value
        encoded = query.urlencode()
        return reverse(f"admin:{self.report.url_name(part)}") + (f"?{encoded}" if encoded else "")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.get_form()
        context.update(
            report=self.report,
            form=form,
            listing=self.listing,
            form_error=kwargs.get("form_error"),
            too_large=kwargs.get("too_large"),
        )
        if not form.is_valid() or context["form_error"]:
            return context
        export = "listing_" if self.listing else ""
        context.update(
            heading=self.heading(form),
            csv_url=self.url(f"{export}csv", page=None, separator=None),
            csv_semicolon_url=self.url(f"{export}csv", page=None, separator="semicolon"),
            xlsx_url=self.url(f"{export}xlsx", page=None, separator=None),
            pdf_url=self.url(f"{export}pdf", page=None, separator=None),
            other_url=self.url("" if self.listing else "listing", page=None, separator=None),
        )
        if self.listing:
            listing = self.report.listing(form)
            page = Paginator(listing.pages(), LISTING_PAGE_SIZE).get_page(self.request.GET.get("page"))
            rows = [listing.to_row(values) for values in page.object_list]
            context.update(
                page=page,
                previous_url=self.url("listing", page=page.previous_page_number()) if page.has_previous() else None,
                next_url=self.url("listing", page=page.next_page_number()) if page.has_next() else None,
            )
            table_columns, totals = listing.columns, listing.totals
        else:
            table = self.report.summary(form)
            table_columns, rows, totals = table.columns, list(table.rows), table.totals
            if len(rows) > SUMMARY_PAGE_SIZE:
                page = Paginator(rows, SUMMARY_PAGE_SIZE).get_page(self.request.GET.get("page"))
                rows = page.object_list
                context.update(
                    page=page,
                    totals_of_the_range=True,
                    previous_url=self.url("", page=page.previous_page_number()) if page.has_previous() else None,
                    next_url=self.url("", page=page.next_page_number()) if page.has_next() else None,
                )
        rows = list(rows)
        context.update(
            columns=table_columns,
            rows=rows,
            body=table_body(table_columns, rows),
            totals=[display(totals.get(column.key), column) for column in table_columns] if totals else None,
        )
        return context


class ReportExportView(ReportView):
    """The same report as a file (`file_format` csv, xlsx or pdf); with bad parameters, the page with their messages.

    A PDF or an Excel file is made while the user waits, rows read and laid out before the first byte leaves:
    above a number of rows (REPORT_PDF_MAX_ROWS, REPORT_XLSX_MAX_ROWS) the page says so and offers the CSV,
    which streams any number of rows, rather than hold a worker for minutes.
    """

    file_format = "csv"

    def row_limit(self):
        return {"pdf": settings.REPORT_PDF_MAX_ROWS, "xlsx": settings.REPORT_XLSX_MAX_ROWS}.get(self.file_format)

    def too_large(self, count, limit):
        message = {
            "pdf": _(
                "This report has %(rows)s rows: a PDF is made while you wait for at most %(limit)s. "
                "Narrow the range or the filters, or download the CSV, which has every row."
            ),
            "xlsx": _(
                "This report has %(rows)s rows: an Excel file is made while you wait for at most %(limit)s. "
                "Narrow the range or the filters, or download the CSV, which has every row."
            ),
        }[self.file_format]
        return message % {"rows": f"{count:,}", "limit": f"{limit:,}"}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        flavour = FLAVOURS.get(request.GET.get("separator") or "comma")
        if flavour is None:
            return self.render_to_response(
                self.get_context_data(form_error=_("The separator is either comma or semicolon."))
            )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data())
        limit = self.row_limit()
        if self.listing:
            listing = self.report.listing(form)
            columns, rows, totals = listing.columns, listing.rows(), listing.totals
            # Counted on one table when the listing can (bench/reports.py: the joined count takes seconds).
            count = (listing.count or listing.queryset.count)() if limit is not None else None
        else:
            table = self.report.summary(form)
            columns, rows, totals = table.columns, table.rows, table.totals
            count = len(rows)
        if limit is not None and count > limit:
            return self.render_to_response(self.get_context_data(too_large=self.too_large(count, limit)))
        name = f"{self.report.slug}{'-list' if self.listing else ''}-{form.date_range.first}-{form.date_range.last}"
        if self.file_format == "csv":
            stream = listing_csv_stream(listing, flavour) if self.listing else csv_stream(columns, rows, flavour)
            response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        heading = self.heading(form)
        if self.file_format == "xlsx":
            workbook = xlsx_file(
                title=self.title,
                heading=[heading.statement, heading.signature],
                columns=columns,
                rows=rows,
                totals=totals,
            )
            return FileResponse(workbook, as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX_CONTENT_TYPE)
        document = report_pdf(
            airline=settings.AIRLINE_NAME,
            title=self.title,
            heading=[heading.statement, heading.signature],
            columns=columns,
            rows=rows,
            totals=totals,
        )
        return FileResponse(document, as_attachment=True, filename=f"{name}.pdf", content_type="application/pdf")
