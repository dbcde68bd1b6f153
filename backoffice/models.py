"""History for Django's own user and group tables (the roles live in groups), and passwords to change."""

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords

# Password hashes and login stamps are not audit material; who is in which role is.
register(User, app=__package__, excluded_fields=["password", "last_login"], m2m_fields=["groups", "user_permissions"])
register(Group, app=__package__)


class PasswordToChange(models.Model):
    """A password someone else set: its owner must choose their own at the next log-in (PRODUCT.md, Roles)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="password_to_change"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("password to change")
        verbose_name_plural = _("passwords to change")

    def __str__(self):
        return f"{self.user} (set by {self.set_by})"


def job_files():
    """Where finished jobs keep their files: Django's storage named "jobs" (settings.STORAGES), looked up
    each time (a deployment may point it at object storage; each test at a directory of its own)."""
    from django.core.files.storage import storages

    return storages["jobs"]


class Job(models.Model):
    """Work done off the request path (backoffice/jobs.py): who asked, how far it is, and what it made."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("file expired")

    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("job"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict)
    # What the job was asked to do, as one value: the same request while one runs is that one.
    key = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("started by")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_done = models.PositiveBigIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveBigIntegerField(_("rows in all"), null=True, blank=True)
    # The file's name in job_files(); empty until the job is done, and again once the file expired.
    result_file = models.CharField(_("file"), max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    # The result in words when done, the reason in words when failed.
    message = models.TextField(_("message"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    worker_pid = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    started_at = models.DateTimeField(_("running since"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("file kept until"), null=True, blank=True)
    # Progress is written many times a second and is not audit material; every change of state is.
    history = HistoricalRecords(excluded_fields=["rows_done", "worker_pid"])

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="job_user_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_unfinished_job_per_request",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def unfinished(self):
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    @property
    def percent(self):
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(self.rows_done * 100 / self.rows_total))
