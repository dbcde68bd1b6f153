"""Each report is an admin page of its own, under the model that carries its permission.

The report's model has no table: its admin has no list, add, change or delete
pages, only the report (at the "changelist" address, so the admin's app list
links to it), the listing, and their CSV, Excel and PDF exports.
"""

from django.contrib import admin
from django.urls import path
from unfold.admin import ModelAdmin

from backoffice.admin_base import ReadOnlyAdminMixin
from reporting.admin_views import ReportExportView, ReportView
from reporting.reports import REPORTS


class ReportAdmin(ReadOnlyAdminMixin, ModelAdmin):
    report = None

    def get_urls(self):
        view = self.admin_site.admin_view
        report = self.report

        def route(pattern, part, view_class, **options):
            as_view = view_class.as_view(model_admin=self, report=report, **options)
            return path(pattern, view(as_view), name=report.url_name(part))

        return [
            route("", "", ReportView),
            route("csv/", "csv", ReportExportView),
            route("xlsx/", "xlsx", ReportExportView, file_format="xlsx"),
            route("pdf/", "pdf", ReportExportView, file_format="pdf"),
            route("list/", "listing", ReportView, listing=True),
            route("list/csv/", "listing_csv", ReportExportView, listing=True),
            route("list/xlsx/", "listing_xlsx", ReportExportView, listing=True, file_format="xlsx"),
            route("list/pdf/", "listing_pdf", ReportExportView, listing=True, file_format="pdf"),
        ]

    def has_view_permission(self, request, obj=None):
        return self.report.permitted(request.user)


for _report in REPORTS.values():
    admin.site.register(_report.model, type(f"{_report.model.__name__}Admin", (ReportAdmin,), {"report": _report}))
