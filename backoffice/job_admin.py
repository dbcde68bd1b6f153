"""Each person's jobs: state, a progress bar that moves, the file to download, the reason when one failed.

Nobody adds, changes or deletes a job here; a job is started from the page whose work it does
(a report too large to wait for, for instance). A person sees only their own jobs.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from backoffice import jobs
from backoffice.admin_base import ReadOnlyAdminMixin
from backoffice.models import Job, job_files


def job_status(job):
    """What the page and its polling show of a job."""
    return {
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "unfinished": job.unfinished,
    }


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["title", "state_shown", "progress", "created_at", "finished_at", "download"]
    list_display_links = ["title"]
    list_filter = ["state"]
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request):
        return jobs.jobs_of(request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or obj.user_id == request.user.pk

    @admin.display(description=_("state"), ordering="state")
    def state_shown(self, job):
        return job.get_state_display()

    @admin.display(description=_("progress"))
    def progress(self, job):
        return format_html(
            '<div class="bo-job-progress" data-job-status="{}" data-unfinished="{}">'
            '<div class="bo-job-bar"><div class="bo-job-bar-done" style="width: {}%"></div></div>'
            '<span class="bo-job-count">{}</span></div>',
            reverse("admin:backoffice_job_status", args=[job.pk]),
            "1" if job.unfinished else "",
            job.percent,
            rows_text(job),
        )

    @admin.display(description=_("file"))
    def download(self, job):
        if job.state == Job.State.DONE and job.result_file:
            url = reverse("admin:backoffice_job_download", args=[job.pk])
            return format_html('<a href="{}" class="bo-link">{}</a>', url, job.file_name)
        return "—"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/status/", view(self.status_view), name="backoffice_job_status"),
            path("<path:object_id>/download/", view(self.download_view), name="backoffice_job_download"),
            *super().get_urls(),
        ]

    def own_job(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(object_id).isdigit() or len(str(object_id)) > 18:
            raise Http404
        job = self.get_queryset(request).filter(pk=int(object_id)).first()
        if job is None:
            raise Http404
        return job

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.own_job(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job.title,
            "job": job,
            "rows": rows_text(job),
            "status_url": reverse("admin:backoffice_job_status", args=[job.pk]),
            "download_url": reverse("admin:backoffice_job_download", args=[job.pk]),
        }
        return TemplateResponse(request, "backoffice/admin/job.html", context)

    def status_view(self, request, object_id):
        job = self.own_job(request, object_id)
        return JsonResponse({**job_status(job), "rows": rows_text(job)})

    def download_view(self, request, object_id):
        job = self.own_job(request, object_id)
        if job.state != Job.State.DONE or not job.result_file:
            raise Http404(_("This job has no file to download."))
        try:
            handle = job_files().open(job.result_file, "rb")
        except FileNotFoundError:
            raise Http404(_("This job's file is no longer kept.")) from None
        return FileResponse(handle, as_attachment=True, filename=job.file_name)


def rows_text(job):
    if job.rows_total is None:
        return ""
    return _("%(done)s of %(total)s rows") % {"done": f"{job.rows_done:,}", "total": f"{job.rows_total:,}"}
