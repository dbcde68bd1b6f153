"""The upload waiting between preview and confirmation is the uploader's alone; no other file can be named."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from backoffice.roles import ADMIN
from fleet.models import Flight
from tests.fleet.test_schedule_admin import HEADER, confirm, upload
from tests.fleet.test_schedule_import import aircraft  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

ONE_LINE = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n").encode()


def client_of(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_role_user):
    return client_of(admin_role_user)


@pytest.fixture
def other_admin(db):
    user = User.objects.create_user("otto", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=ADMIN))
    return user


@pytest.fixture
def secret_file():
    """A file in the server's temp directory that nobody uploaded."""
    with tempfile.NamedTemporaryFile("w", dir=tempfile.gettempdir(), suffix=".txt", delete=False) as file:
        file.write("SECRET-FIRST-LINE,a,b\nmore\n")
    yield Path(file.name)
    Path(file.name).unlink(missing_ok=True)


def gone_message(client, response):
    assert response.status_code == 302
    return "no longer available" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("name", ["absolute", "relative", "traversal"])
def test_a_confirmation_naming_a_server_file_neither_reads_nor_deletes_it(aircraft, admin_client, secret_file, name):  # noqa: F811
    preview = upload(admin_client, "s.csv", ONE_LINE)
    named = {
        "absolute": str(secret_file),
        "relative": secret_file.name,
        "traversal": f"../../..{secret_file}",
    }[name]
    response = confirm(admin_client, preview, import_file_name=named)
    assert "SECRET-FIRST-LINE" not in response.content.decode()
    assert gone_message(admin_client, response)
    assert secret_file.exists(), "the file was deleted"
    assert not Flight.objects.exists()


def test_another_users_upload_cannot_be_confirmed(aircraft, admin_client, other_admin):  # noqa: F811
    preview = upload(admin_client, "s.csv", ONE_LINE)
    thief = client_of(other_admin)
    stolen = confirm(
        thief,
        upload(thief, "mine.csv", ONE_LINE),
        import_file_name=preview.context["confirm_form"].initial["import_file_name"],
    )
    assert gone_message(thief, stolen)
    assert not Flight.objects.exists()
    # The uploader still confirms their own.
    assert confirm(admin_client, preview).status_code == 302
    assert Flight.objects.count() == 7


def test_the_upload_waits_in_a_directory_of_our_own_and_leaves_it_once_imported(aircraft, admin_client, settings):  # noqa: F811
    preview = upload(admin_client, "s.csv", ONE_LINE)
    waiting = list(Path(settings.UPLOAD_DIR).iterdir())
    assert len(waiting) == 1 and waiting[0].read_bytes() == ONE_LINE
    assert oct(Path(settings.UPLOAD_DIR).stat().st_mode & 0o777) == "0o700"
    confirm(admin_client, preview)
    assert not list(Path(settings.UPLOAD_DIR).iterdir())


def test_previews_never_confirmed_are_swept_after_a_day(tmp_path, settings):
    from backoffice.uploads import sweep

    old, fresh, other = tmp_path / ("a" * 32), tmp_path / ("b" * 32), tmp_path / "notes.txt"
    for path in (old, fresh, other):
        path.write_text("x")
    day_and_a_bit_ago = old.stat().st_mtime - settings.UPLOAD_MAX_AGE_HOURS * 3600 - 60
    os.utime(old, (day_and_a_bit_ago, day_and_a_bit_ago))
    os.utime(other, (day_and_a_bit_ago, day_and_a_bit_ago))
    settings.UPLOAD_DIR = str(tmp_path)
    sweep()
    assert not old.exists() and fresh.exists() and other.exists()


def test_a_damaged_spreadsheet_is_refused_in_words_not_an_exception_name(aircraft, admin_client):  # noqa: F811
    import io
    import zipfile

    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("xl/workbook.xml", "<<<")
    preview = upload(admin_client, "schedule.xlsx", damaged.getvalue())
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "This file cannot be read: it is damaged" in html
    assert "Error" not in re.sub(r"<[^>]+>", " ", html).split("This file cannot be read")[1][:300]
    assert not Flight.objects.exists()


def test_a_preview_on_one_app_server_is_confirmed_on_another_through_the_shared_storage(
    aircraft,  # noqa: F811
    admin_client,
    settings,
    tmp_path,
):
    # Two app servers behind a load balancer share the database and the upload storage (STORAGES["uploads"]:
    # here Django's in-memory storage stands for a shared bucket), never each other's disk.
    settings.STORAGES = {**settings.STORAGES, "uploads": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    preview = upload(admin_client, "s.csv", ONE_LINE)
    settings.UPLOAD_DIR = str(tmp_path / "the-other-server")  # the confirmation lands on the other server
    confirmed = confirm(admin_client, preview)
    assert confirmed.status_code == 302
    assert "no longer available" not in admin_client.get(confirmed["Location"]).content.decode()
    assert Flight.objects.count() == 7
