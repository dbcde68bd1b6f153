"""Report pages and their exports (CSV, Excel, PDF), inside the admin.

A report is read from the query string: the same parameters show the page and
export it. Bad parameters come back as messages on the form, never as an error
page; a user who may not run a report, or asks for someone else's drawer, gets 403.
"""

import html

from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice import replica
from backoffice.money import grouped
from reporting import files
from reporting.exports import FLAVOURS, csv_stream, listing_csv_stream
from reporting.jobs import start_export
from reporting.reports import COUNT, DAYS, MONEY, PERCENT, TIME, display

LISTING_PAGE_SIZE = 100
# A summary longer than this is shown a page at a time, its totals still those of the whole range; its files
# (CSV, Excel, PDF) have every row (docs/decisions.md: a month of cash-up by day is 5,600 rows).
SUMMARY_PAGE_SIZE = 500
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

    def dispatch(self, request, *args, **kwargs):
        # A report reads from the replica when there is one (backoffice/replica.py), also while its page is
        # drawn (a TemplateResponse is drawn after the view returns): the form's choices.
        with replica.for_reports():
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            return response

    def has_permission(self):
        user = self.request.user
        return self.report.permitted(user) and self.report.may_open(user, self.request.GET.get("agent"))

    @property
    def title(self):
        return self.report.listing_title if self.listing else self.report.title

    def get_form(self):
        if not hasattr(self, "_form"):
            self._form = files.report_form(self.report, self.request.GET, user=self.request.user, listing=self.listing)
        return self._form

    def heading(self, form):
        return files.heading(self.report, form, self.request.user)

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

    A PDF or an Excel file is made while the person waits, rows read and laid out before the first byte leaves:
    above a number of rows (REPORT_PDF_MAX_ROWS, REPORT_XLSX_MAX_ROWS) the page says so and offers to make it in
    the background (a job, POST to this address), or the CSV, which streams any number of rows.
    """

    file_format = "csv"

    def too_large(self, count, limit):
        message = {
            "pdf": _(
                "This report has %(rows)s rows: a PDF is made while you wait for at most %(limit)s. "
                "Have it made in the background, narrow the range or the filters, or download the CSV."
            ),
            "xlsx": _(
                "This report has %(rows)s rows: an Excel file is made while you wait for at most %(limit)s. "
                "Have it made in the background, narrow the range or the filters, or download the CSV."
            ),
        }[self.file_format]
        return message % {"rows": f"{count:,}", "limit": f"{limit:,}"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context.get("too_large"):
            context["background_url"] = self.url(f"{'listing_' if self.listing else ''}{self.file_format}", page=None)
            context["background_label"] = {
                "pdf": _("Make the PDF in the background"),
                "xlsx": _("Make the Excel file in the background"),
            }[self.file_format]
        return context

    def separator(self):
        separator = self.request.GET.get("separator") or "comma"
        return separator if separator in FLAVOURS else None

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        separator = self.separator()
        if separator is None:
            return self.render_to_response(
                self.get_context_data(form_error=_("The separator is either comma or semicolon."))
            )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data())
        limit = files.row_limit(self.file_format)
        rows = files.rows_of(self.report, form, listing=self.listing)
        if limit is not None:
            count = rows.count()
            if count > limit:
                return self.render_to_response(self.get_context_data(too_large=self.too_large(count, limit)))
        name = files.file_name(self.report, form, listing=self.listing, file_format=self.file_format)
        if self.file_format == "csv":
            flavour = FLAVOURS[separator]
            if self.listing:
                stream = listing_csv_stream(rows.listing, flavour)
            else:
                stream = csv_stream(rows.columns, rows.rows, flavour)
            response = StreamingHttpResponse(replica.streamed(stream), content_type=files.CONTENT_TYPES["csv"])
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        document = files.write_file(
            self.report, form, user=request.user, listing=self.listing, file_format=self.file_format, rows=rows
        )
        return FileResponse(
            document, as_attachment=True, filename=name, content_type=files.CONTENT_TYPES[self.file_format]
        )

    def post(self, request, *args, **kwargs):
        """Make this file in the background: the person's job page, a new job or the one already running."""
        form = self.get_form()
        separator = self.separator()
        if separator is None or not form.is_valid():
            return self.get(request, *args, **kwargs)
        job, _started = start_export(
            user=request.user,
            report=self.report,
            form=form,
            listing=self.listing,
            file_format=self.file_format,
            separator=separator,
        )
        return HttpResponseRedirect(reverse("admin:backoffice_job_change", args=[job.pk]))
