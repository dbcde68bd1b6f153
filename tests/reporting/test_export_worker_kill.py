"""A real report export on a real Celery worker, killed half-way: the person is offered no half file, and the job
runs again to a whole one.

The sales listing of a year of sales, as Excel: too large to make while the person waits, so the report page
offers to make it in the background, and the person asks for that. The worker (tests/celery_worker.py) writes the
job's progress every 0.05 s; once it is part-done, the test kills the worker's child with SIGKILL, as the kernel's
out-of-memory killer or a host going down would.
"""

import io
import os
import re
import signal
from datetime import timedelta
from html import unescape

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from backoffice.models import Job, job_files
from sales.models import Ticket
from tests.celery_worker import wait_for
from tests.reporting.helpers import report_url

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only("the worker is another process and needs the test database over a connection"),
]

# Enough rows that the worker takes seconds to write them (0.3 to 0.5 ms a row on this machine).
TICKETS = 20_000
# Ten flights a day over generate_scale_data's 427 days (generate_flights fills the days in order: fewer would
# leave the last days without flights, and the sales of the last weeks without seats).
SCALE = {"flights": 10 * 427, "tickets": TICKETS, "payments": 8_000, "refunds": 500, "airports": 12}


def job_now(job):
    return Job.objects.get(pk=job.pk)


def part_done(job):
    """A tenth to half of the rows written: well inside the sheet, far from the end."""
    now = job_now(job)
    assert now.state in (Job.State.QUEUED, Job.State.RUNNING), f"{now.state}: {now.message}"
    return now.rows_total is not None and now.rows_total // 10 < now.rows_done < now.rows_total // 2


def background_form(html):
    """The address the page's "in the background" button posts to."""
    (action,) = re.findall(r'<form method="post" action="([^"]+)" id="bo-background">', html)
    return unescape(action)


def files_of(job):
    """The files kept in the jobs' storage for this job."""
    storage = job_files()
    return storage.listdir(str(job.pk))[1] if storage.exists(str(job.pk)) else []


def test_an_export_killed_half_way_offers_no_half_file_and_runs_again_whole(worker, finance_user, client, settings):
    process, log = worker
    call_command("generate_scale_data", **SCALE, no_history=True, confirmed=True, stdout=io.StringIO())
    tickets = Ticket.objects.count()
    assert tickets > TICKETS * 0.99
    settings.REPORT_XLSX_MAX_ROWS = 1_000
    today = timezone.localdate()
    # The whole year of sales (scale_data sells over the last 365 days, up to an hour ago).
    client.force_login(finance_user)
    page = client.get(
        report_url("sales", "listing_xlsx", date_from=today - timedelta(days=370), date_to=today)
    ).content.decode()
    assert f"This report has {tickets:,} rows" in page and "Make the Excel file in the background" in page
    response = client.post(background_form(page))
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:backoffice_job_change", args=[job.pk])
    download = reverse("admin:backoffice_job_download", args=[job.pk])

    # The rows are being written: kill the worker's child.
    wait_for(lambda: part_done(job), 60, "the export to be part-done", log)
    child = job_now(job).worker_pid
    os.kill(child, signal.SIGKILL)

    # Killed half-way: the job is not done and offers no file, on its page, in the list or by its address;
    # nothing of it was put into the jobs' storage.
    killed = job_now(job)
    assert killed.state == Job.State.RUNNING and killed.attempts == 1
    assert 0 < killed.rows_done < killed.rows_total == tickets
    assert killed.result_file == ""
    assert files_of(job) == []
    assert "Download" not in client.get(response["Location"]).content.decode()
    assert ".xlsx" not in client.get(reverse("admin:backoffice_job_changelist")).content.decode()
    assert client.get(download).status_code == 404

    # The task came back to the queue: a new child makes the file again from the start, whole.
    wait_for(lambda: job_now(job).state == Job.State.DONE, 90, "the export to run again", log)
    done = job_now(job)
    assert done.attempts == 2 and done.worker_pid != child
    assert (done.rows_done, done.rows_total) == (tickets, tickets)
    assert files_of(job) == [done.result_file.split("/")[-1]]
    assert f"Download {done.file_name}" in client.get(response["Location"]).content.decode()
    answer = client.get(download)
    assert answer.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)), read_only=True)
    (sheet,) = workbook.worksheets
    numbers = [row[0] for row in sheet.iter_rows(max_col=1, values_only=True) if re.fullmatch(r"\d{13}", str(row[0]))]
    assert len(numbers) == tickets
    assert set(numbers) == set(Ticket.objects.values_list("number", flat=True))
    assert process.poll() is None  # the worker itself lives on
