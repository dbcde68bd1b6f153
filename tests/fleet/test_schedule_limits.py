"""Schedule files that would exhaust a worker are refused in words before the work (issue 11, item 5):
a sheet whose cells reach XFD1048576, millions of shared strings, a cell unpacking to a huge text, too many
rows, a long cell quoted back in a message, and in the admin a schedule too large to import while one waits."""

import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from backoffice.models import Job, job_files
from fleet import schedule
from fleet.models import Flight
from tests.fleet.test_schedule_admin import page_text, upload
from tests.fleet.test_schedule_import import HEADER, aircraft, csv, run  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aircraft")]

LINE = "XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,"


def workbook(*rows, far_cell=None):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in rows:
        sheet.append(row.split(","))
    if far_cell:
        sheet[far_cell] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_member(data, name, content):
    """The workbook with one of its parts replaced."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            if member.filename != name:
                out.writestr(member, source.read(member.filename))
        out.writestr(name, content)
    return target.getvalue()


def test_a_sheet_reaching_xfd1048576_is_refused_naming_its_reach():
    data = workbook(LINE, far_cell="XFD1048576")
    assert len(data) < 10_000
    with pytest.raises(schedule.ScheduleFileError, match=r"reaches A1:XFD1048576\. The file has more than 50,000 rows"):
        schedule.read_file(data, name="s.xlsx")


def test_millions_of_shared_strings_are_refused_before_they_are_read():
    strings = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2000000" '
    strings += 'uniqueCount="2000000">' + "<si><t>a</t></si>" * 2_000_000 + "</sst>"
    data = with_member(workbook(LINE), "xl/sharedStrings.xml", strings)
    assert len(data) < 200_000
    with pytest.raises(schedule.ScheduleFileError, match="holds 2,000,000 texts; .* at most 200,000"):
        schedule.read_file(data, name="s.xlsx")


def test_a_workbook_unpacking_to_a_huge_text_is_refused_before_it_is_read():
    strings = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    strings += "<si><t>" + "A" * (60 * 1024 * 1024) + "</t></si></sst>"
    data = with_member(workbook(LINE), "xl/sharedStrings.xml", strings)
    assert len(data) < 200_000
    with pytest.raises(schedule.ScheduleFileError, match=r"unpacks to 60 MB; .* at most 40 MB"):
        schedule.read_file(data, name="s.xlsx")


def test_a_csv_with_more_rows_than_a_schedule_may_have_is_refused():
    data = csv(*[LINE] * (schedule.MAX_TABLE_ROWS + 1))
    with pytest.raises(schedule.ScheduleFileError, match="more than 50,000 rows"):
        run(data)
    assert not Flight.objects.exists()


def test_a_long_cell_is_its_lines_error_and_is_quoted_short():
    long = "Q" * 10_000
    summary = run(csv(LINE.replace(",320,", f",{long},"), LINE.replace("XB 1,", f"={long},")))
    messages = [str(e) for e in summary.refused]
    assert (
        messages[0].startswith("line 2, aircraft_type: 'QQQQ")
        and "is too long: a cell holds at most 100" in messages[0]
    )
    assert "a formula (=QQQ" in messages[1]
    assert all(len(message) < 200 for message in messages), messages
    assert not Flight.objects.exists()


def test_a_schedule_too_large_to_preview_while_one_waits_is_imported_by_a_job(
    admin_role_user, settings, django_capture_on_commit_callbacks
):
    settings.SCHEDULE_UPLOAD_MAX_LINES = 3
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_role_user)
    lines = [LINE.replace("XB 1,", f"XB {n},") for n in range(1, 5)]
    # Up to the limit: the preview, nothing written yet.
    assert upload(client, "ok.csv", csv(*lines[:3]).encode()).context.get("confirm_form") is not None
    assert not Flight.objects.exists() and not Job.objects.exists()
    # Above it: a job imports it, all or nothing; the Admin lands on its page.
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "big.csv", csv(*lines).encode())
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:backoffice_job_change", args=[job.pk])
    shown = page_text(client.get(response["Location"]))
    assert "Schedule import: big.csv" in shown and "Flights created: 28" in shown
    assert Flight.objects.count() == 28
    assert {f.history.first().history_user for f in Flight.objects.all()} == {admin_role_user}
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.rows_total) == (Job.State.DONE, 28, 28)
    assert not job_files().exists(job.params["file"])  # the upload is not kept once imported


def test_a_large_schedule_with_a_refused_line_imports_nothing_and_the_job_says_why(
    admin_role_user, settings, django_capture_on_commit_callbacks
):
    settings.SCHEDULE_UPLOAD_MAX_LINES = 3
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_role_user)
    lines = [LINE.replace("XB 1,", f"XB {n},") for n in range(1, 5)] + [LINE.replace("CDG,LHR", "CDG,ZZZ")]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "big.csv", csv(*lines).encode())
    job = Job.objects.get()
    assert job.state == Job.State.FAILED
    shown = page_text(client.get(response["Location"]))
    assert "Nothing was imported: 1 line(s) refused." in shown and "ZZZ" in shown
    assert not Flight.objects.exists()


def test_a_full_disk_while_storing_an_upload_leaves_nothing_and_says_so(admin_role_user, monkeypatch):
    import errno

    from django.core.files.base import ContentFile

    from backoffice import uploads

    def half_then_full(storage, name, data):
        storage.save(name, ContentFile(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    def waiting():
        try:
            return set(uploads.upload_storage().listdir("")[1])
        except FileNotFoundError:
            return set()

    monkeypatch.setattr(uploads, "write_file", half_then_full)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_role_user)
    kept = waiting()
    refused = upload(client, "s.csv", csv(LINE).encode())
    assert refused.status_code == 302
    assert "could not store this upload (its disk may be full): nothing was imported" in page_text(
        client.get(refused["Location"])
    )
    assert waiting() == kept  # no half file left to be read as the upload
    assert not Flight.objects.exists()
