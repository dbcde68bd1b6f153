"""Background jobs: work too long for a request (big exports, big imports, cancelling a busy flight).

A job is a row (`backoffice.models.Job`) and a Celery task that runs it (`backoffice.tasks.run_job`).
With `CELERY_BROKER_URL` set the task goes to the workers through the broker (Redis); without one
(the embedded demo) Celery runs it in the process that started it, before the page answers.

Higher apps say what each kind of job does with `@kind("name")`: a function `(job, progress)` that
returns a `Result` (a file, and/or a message in words) or raises `JobFailed` with the reason in words.

Safe to retry and to kill:
- the same request while one runs is that one (`start`, and a unique constraint on unfinished jobs);
- a job's file is written to a temporary file and put into storage only once whole, and the job is
  marked done in the same step: a worker killed half-way leaves no half file offered for download;
- a killed worker's task goes back to the queue (acks late, reject on worker lost) and runs again
  from the start; a kind that writes to the database does it in one transaction, so a kill leaves
  nothing half-written;
- of two runs of the same job, only the latest attempt may finish it.
"""

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.errors import DomainError
from backoffice.models import Job, job_files

logger = logging.getLogger("backoffice.jobs")

UNFINISHED = (Job.State.QUEUED, Job.State.RUNNING)

_kinds = {}


class JobFailed(Exception):
    """The job cannot do what it was asked; the message says why, in words, to the person who asked."""


@dataclass
class Result:
    """What a finished job gives: a file (an open binary file, read from the start) and/or a message."""

    file: object = None
    file_name: str = ""
    message: str = ""


def kind(name):
    """Register the decorated function `(job, progress) -> Result` as what jobs of kind `name` do."""

    def register(function):
        _kinds[name] = function
        return function

    return register


def request_key(kind_name, params):
    """One value for "this kind, with these parameters": the same request gives the same key."""
    text = json.dumps([kind_name, params], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def start(*, user, kind, params, title):
    """Start a job for `user`, or give the one of theirs already waiting or running for the same request.

    Returns (job, started): `started` is False when an unfinished job was given instead. The task is
    sent when the transaction that made the job commits.
    """
    if kind not in _kinds:
        raise ValueError(f"No job kind {kind!r}")
    key = request_key(kind, params)
    running = Job.objects.filter(user=user, key=key, state__in=UNFINISHED).first()
    if running is not None:
        return running, False
    job = Job(kind=kind, title=title[:200], params=params, key=key, user=user)
    job._history_user = user
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        # Another request made the same job between the look and the save.
        return Job.objects.get(user=user, key=key, state__in=UNFINISHED), False
    transaction.on_commit(lambda: enqueue(job.pk))
    return job, True


def enqueue(job_id):
    from backoffice.tasks import run_job

    if run_job.app.conf.task_always_eager:
        # No broker: run it here. (`delay` would take a producer from the broker pool all the same, and
        # warn on every job that the broker has no host name.)
        run_job.apply(args=[job_id])
    else:
        run_job.delay(job_id)


class Progress:
    """Rows done out of rows in all, written to the job at most every JOB_PROGRESS_SECONDS.

    Written outside the job's own work, so the page sees it while the job runs: with an `UPDATE` that
    commits at once, or, when the job's work is one transaction still open (an import), on PostgreSQL
    through a connection of its own (another thread's); SQLite has one writer at a time, so there the
    count is written when the transaction ends.
    """

    def __init__(self, job):
        self.job_id = job.pk
        self.done = 0
        self.rows_total = None
        self.every = settings.JOB_PROGRESS_SECONDS
        self.next_write = time.monotonic() + self.every

    def total(self, rows):
        self.rows_total = rows
        self._update(rows_total=rows)

    def advance(self, rows=1):
        self.done += rows
        if time.monotonic() >= self.next_write:
            self.write()

    def set(self, done, total):
        """A callback for work that counts by itself: `done` rows of `total`."""
        if total != self.rows_total:
            self.total(total)
        self.done = done
        if time.monotonic() >= self.next_write or done == total:
            self.write()

    def write(self):
        self._update(rows_done=self.done)
        self.next_write = time.monotonic() + self.every

    def _update(self, **fields):
        def update():
            Job.objects.filter(pk=self.job_id).update(**fields)

        current = connections[DEFAULT_DB_ALIAS]
        if not current.in_atomic_block:
            update()
        elif current.vendor == "postgresql":
            writer = threading.Thread(target=_in_own_connection, args=(update,))
            writer.start()
            writer.join()

    def rows(self, iterable):
        """Each item of `iterable`, counting it as one row done."""
        for item in iterable:
            yield item
            self.advance()
        self.write()


def _in_own_connection(work):
    try:
        work()
    finally:
        connections.close_all()  # this thread's connections


def run(job_id):
    """Run the job (the Celery task calls this). A job already finished is left as it is."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state not in UNFINISHED:
            return
        job.state = Job.State.RUNNING
        job.started_at = timezone.now()
        job.attempts += 1
        job.worker_pid = os.getpid()
        job.rows_done = 0
        job._history_user = job.user
        job.save()
    attempt = job.attempts
    progress = Progress(job)
    try:
        result = _kinds[job.kind](job, progress)
    except (JobFailed, DomainError) as refusal:
        # A refusal in words (a service's rule, "try again"): nothing was written.
        _finish(job, attempt, Job.State.FAILED, message=str(refusal))
        return
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(
            job,
            attempt,
            Job.State.FAILED,
            message=_("The job stopped on an unexpected error, which has been reported. Start it again later."),
        )
        return
    stored = ""
    if result.file is not None:
        try:
            stored = job_files().save(f"{job.pk}/{result.file_name}", File(result.file))
        finally:
            result.file.close()
    finished = _finish(
        job,
        attempt,
        Job.State.DONE,
        message=result.message,
        stored=stored,
        file_name=result.file_name,
        rows_total=progress.rows_total,
    )
    if not finished:
        if stored:
            job_files().delete(stored)


def _finish(job, attempt, state, *, message="", stored="", file_name="", rows_total=None):
    """Mark the job finished, if this run is still its latest attempt; False when another run took it over."""
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        if current.attempts != attempt or current.state != Job.State.RUNNING:
            return False
        now = timezone.now()
        current.state = state
        current.message = message
        current.finished_at = now
        if stored:
            current.result_file = stored
            current.file_name = file_name
            current.expires_at = now + timedelta(days=settings.JOB_FILES_KEEP_DAYS)
        if rows_total is not None:
            current.rows_total = rows_total
        if state == Job.State.DONE and current.rows_total is not None:
            current.rows_done = current.rows_total
        current._history_user = current.user
        current.save()
    return True


def expire_files(now=None):
    """Delete the files of jobs past their keeping date; the job stays, saying its file expired."""
    now = now or timezone.now()
    expired = 0
    for job in Job.objects.filter(state=Job.State.DONE, expires_at__lte=now).exclude(result_file=""):
        job_files().delete(job.result_file)
        job.result_file = ""
        job.state = Job.State.EXPIRED
        job._history_user = job.user
        job.save()
        expired += 1
    return expired


def jobs_of(user):
    """The jobs a person sees: their own, newest first."""
    return Job.objects.filter(user=user).select_related("user")
