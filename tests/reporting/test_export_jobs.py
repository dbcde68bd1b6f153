"""A report too large to make while the person waits is made in the background (a job): the job page shows its
state and progress, then the file to download; the same request while one runs is that one; a person sees
only their own jobs; a job that cannot be done says why in words; files expire.

Here jobs run in the test's process (Celery eager, as on the embedded demo); tests/backoffice/test_job_worker.py
runs them on a real worker through Redis.
"""

import datetime as dt
import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from backoffice import jobs
from backoffice.models import Job, job_files
from backoffice.roles import FINANCE
from reporting import files
from tests.reporting.conftest import at, sell
from tests.reporting.helpers import pdf_pages, report_url, xlsx_sheet

pytestmark = pytest.mark.django_db

DAY = dt.date(2020, 11, 10)
TICKET_NUMBER = re.compile(r"\b\d{13}\b")


@pytest.fixture
def six_tickets(network, agents, settings):
    for bucket in (network[0], network[6]):
        sell(bucket, agent=agents["carl"], now=at(DAY, 9), passengers=3)
    settings.REPORT_PDF_MAX_ROWS, settings.REPORT_XLSX_MAX_ROWS = 5, 1


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST as the client, then run what the request left to run on commit (sending the job): the test's
    transaction never commits."""

    def send(url):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url)

    return send


def background_form(html):
    """The address the page's "in the background" button posts to."""
    (action,) = re.findall(r'<form method="post" action="([^"]+)" id="bo-background">', html)
    return unescape(action)


def test_a_report_too_large_to_wait_for_is_made_in_the_background_and_downloaded(six_tickets, agents, client, post):
    client.force_login(agents["fay"])
    page = client.get(report_url("sales", "listing_pdf", date_from=DAY, date_to=DAY)).content.decode()
    assert "This report has 6 rows: a PDF is made while you wait for at most 5." in page
    assert "Make the PDF in the background" in page
    action = background_form(page)

    response = post(action)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:backoffice_job_change", args=[job.pk])
    assert job.state == Job.State.DONE and job.user == agents["fay"]
    assert (job.rows_done, job.rows_total) == (6, 6)
    assert job.file_name == f"sales-list-{DAY}-{DAY}.pdf"

    page = client.get(response["Location"]).content.decode()
    assert "Sales: documents issued, 2020-11-10 to 2020-11-10, PDF" in unescape(page)
    assert "6 of 6 rows" in page and f"Download {job.file_name}" in page
    download = client.get(reverse("admin:backoffice_job_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{job.file_name}"'
    pages = pdf_pages(download)
    assert len(TICKET_NUMBER.findall(" ".join(pages))) == 6
    # The list of the person's jobs shows it with its file.
    listing = client.get(reverse("admin:backoffice_job_changelist")).content.decode()
    assert job.file_name in listing and "6 of 6 rows" in listing
    # Every change of state is in the job's history, with who asked.
    assert [row.state for row in job.history.order_by("history_id")] == ["queued", "running", "done"]
    assert {row.history_user for row in job.history.all()} == {agents["fay"]}


def test_an_excel_summary_in_the_background_has_the_same_rows_as_the_page(six_tickets, agents, client, post):
    client.force_login(agents["fay"])
    page = client.get(report_url("sales", "xlsx", date_from=DAY, date_to=DAY)).content.decode()
    assert "Make the Excel file in the background" in page
    post(background_form(page))
    job = Job.objects.get()
    sheet = xlsx_sheet(client.get(reverse("admin:backoffice_job_download", args=[job.pk])))
    routes = {row[1] for row in sheet.iter_rows(values_only=True) if row[1] in ("CDG-LHR", "CDG-FCO")}
    assert routes == {"CDG-LHR", "CDG-FCO"}


def test_the_same_export_asked_for_while_it_runs_is_the_running_one(six_tickets, agents, client, post, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: None)  # the job waits for a worker
    client.force_login(agents["fay"])
    action = background_form(
        client.get(report_url("sales", "listing_pdf", date_from=DAY, date_to=DAY)).content.decode()
    )
    first = post(action)["Location"]
    second = post(action)["Location"]
    assert first == second and Job.objects.count() == 1
    assert "waiting" in client.get(first).content.decode()
    # Another range is another job; once the first is done, asking again makes a new one.
    other = post(action.replace(str(DAY), str(DAY - timedelta(days=1)), 1))["Location"]
    assert other != first and Job.objects.count() == 2
    jobs.run(Job.objects.get(pk=first.rstrip("/").split("/")[-2]).pk)
    assert post(action)["Location"] not in (first, other) and Job.objects.count() == 3


def test_a_person_sees_and_downloads_only_their_own_jobs(six_tickets, agents, client, post):
    client.force_login(agents["fay"])
    action = background_form(
        client.get(report_url("sales", "listing_pdf", date_from=DAY, date_to=DAY)).content.decode()
    )
    post(action)
    job = Job.objects.get()
    other = User.objects.create_user("gaston", password="x", is_staff=True)
    other.groups.add(Group.objects.get(name=FINANCE))
    client.force_login(other)
    for name in ("change", "status", "download"):
        assert client.get(reverse(f"admin:backoffice_job_{name}", args=[job.pk])).status_code == 404, name
    assert job.title not in client.get(reverse("admin:backoffice_job_changelist")).content.decode()
    for bad in ("abc", "99999999999999999999999", "1%00"):
        assert client.get(f"{reverse('admin:backoffice_job_changelist')}{bad}/status/").status_code == 404
    client.logout()
    assert client.get(reverse("admin:backoffice_job_download", args=[job.pk])).status_code == 302


def test_a_job_that_cannot_be_done_says_why_and_offers_no_file(six_tickets, agents, client, post, monkeypatch):
    fay = agents["fay"]
    client.force_login(fay)
    action = background_form(
        client.get(report_url("sales", "listing_pdf", date_from=DAY, date_to=DAY)).content.decode()
    )
    # Between asking and running, the person lost the right to the report.
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: None)
    post(action)
    fay.groups.clear()
    job = Job.objects.get()
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.message == "You may no longer run this report."
    assert not job.result_file
    fay.groups.add(Group.objects.get(name=FINANCE))
    page = client.get(reverse("admin:backoffice_job_change", args=[job.pk])).content.decode()
    assert "You may no longer run this report." in page and "Download" not in page
    assert client.get(reverse("admin:backoffice_job_download", args=[job.pk])).status_code == 404

    # An unexpected error: the person reads that it failed, not a traceback; nothing is offered.
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(files, "report_pdf", broken)
    post(action)
    failed = Job.objects.latest("pk")
    jobs.run(failed.pk)
    failed.refresh_from_db()
    assert failed.state == Job.State.FAILED and "unexpected error" in failed.message
    assert "disk on fire" not in client.get(reverse("admin:backoffice_job_change", args=[failed.pk])).content.decode()


def test_a_run_that_another_attempt_took_over_does_not_finish_the_job(six_tickets, agents, client, post, monkeypatch):
    """A worker that was thought dead (its task given to another) and comes back must not offer its file."""
    client.force_login(agents["fay"])
    action = background_form(
        client.get(report_url("sales", "listing_pdf", date_from=DAY, date_to=DAY)).content.decode()
    )
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: None)
    post(action)
    job = Job.objects.get()
    real = files.report_pdf

    def taken_over_meanwhile(**kwargs):
        Job.objects.filter(pk=job.pk).update(attempts=5)  # a later attempt started
        return real(**kwargs)

    monkeypatch.setattr(files, "report_pdf", taken_over_meanwhile)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING and not job.result_file
    storage = job_files()
    assert not storage.exists(str(job.pk)) or storage.listdir(str(job.pk))[1] == []


def test_job_files_expire_after_the_setting_s_days(six_tickets, agents, client, post, settings):
    settings.JOB_FILES_KEEP_DAYS = 3
    client.force_login(agents["fay"])
    post(background_form(client.get(report_url("sales", "listing_pdf", date_from=DAY, date_to=DAY)).content.decode()))
    job = Job.objects.get()
    kept_until = job.expires_at
    assert kept_until - job.finished_at == timedelta(days=3)
    storage, name = job_files(), job.result_file
    assert storage.exists(name)
    assert jobs.expire_files(now=kept_until - timedelta(seconds=1)) == 0
    assert jobs.expire_files(now=kept_until) == 1
    job.refresh_from_db()
    assert job.state == Job.State.EXPIRED and not storage.exists(name)
    assert client.get(reverse("admin:backoffice_job_download", args=[job.pk])).status_code == 404
    assert "no longer kept" in client.get(reverse("admin:backoffice_job_change", args=[job.pk])).content.decode()
