"""The schedule import in the admin (django-import-export): preview with every row's reason, then confirm."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fleet.imports import SCHEDULE_FORMATS
from fleet.models import Flight, ScheduleLine
from tests.fleet.test_schedule_import import HEADER, SAMPLE, aircraft  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:fleet_scheduleline_import")
PROCESS = reverse("admin:fleet_scheduleline_process_import")


def format_index(title):
    return str([f.title for f in SCHEDULE_FORMATS].index(title))


def upload(client, name, data, title):
    page = client.get(IMPORT)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(
        IMPORT,
        {
            "csrfmiddlewaretoken": token,
            "format": format_index(title),
            "resource": "0",
            "import_file": SimpleUploadedFile(name, data),
        },
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', preview.content.decode()).group(1)
    return client.post(PROCESS, {**{k: v for k, v in form.initial.items()}, "csrfmiddlewaretoken": token})


@pytest.fixture
def admin_client(admin_role_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_role_user)
    return client


def test_admin_previews_then_imports_the_ssim_sample(aircraft, admin_client, admin_role_user):  # noqa: F811
    preview = upload(admin_client, "sample.ssim", SAMPLE.read_bytes(), "SSIM")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Flights to create" in html and "3070" in html
    assert not Flight.objects.exists()  # the preview writes nothing
    done = confirm(admin_client, preview)
    assert done.status_code == 302
    assert Flight.objects.count() == 3070 and ScheduleLine.objects.count() == 514
    assert set(Flight.history.values_list("history_user", flat=True)) == {admin_role_user.pk}


def test_preview_lists_every_refused_row_and_offers_no_confirmation(aircraft, admin_client):  # noqa: F811
    data = "\n".join(
        [
            HEADER,
            "XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,",
            "XB 2,1,CDG,QQQ,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,",
            "XB 3,1,CDG,LHR,10:00,10:20,,1234567,2027-01-10,2027-01-04,320,",
        ]
    ).encode()
    preview = upload(admin_client, "s.csv", data, "CSV")
    html = preview.content.decode()
    assert "destination: QQQ is not an IATA airport code" in html
    assert "the period ends (2027-01-04) before it starts" in html
    assert preview.context.get("confirm_form") is None
    assert not Flight.objects.exists()


def test_an_empty_or_foreign_file_is_refused_on_the_file_field(aircraft, admin_client):  # noqa: F811
    for name, data, title, reason in (
        ("empty.csv", b"", "CSV", "The submitted file is empty."),
        ("photo.ssim", b"\xff\xd8\xff\xe0 jpeg", "SSIM", "SSIM is plain ASCII"),
    ):
        preview = upload(admin_client, name, data, title)
        assert preview.status_code == 200
        assert reason in preview.content.decode()
    assert not Flight.objects.exists()


def test_only_admin_may_import(counter_user, finance_user):
    for user in (counter_user, finance_user):
        client = Client()
        client.force_login(user)
        assert client.get(IMPORT).status_code == 403


def test_confirming_twice_says_the_upload_is_gone(aircraft, admin_client):  # noqa: F811
    data = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n").encode()
    preview = upload(admin_client, "s.csv", data, "CSV")
    assert confirm(admin_client, preview).status_code == 302
    again = confirm(admin_client, preview)
    assert again.status_code == 302
    assert "no longer available" in admin_client.get(again["Location"]).content.decode()
    assert Flight.objects.count() == 7
