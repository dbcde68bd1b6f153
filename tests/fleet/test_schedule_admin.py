"""The schedule import in the admin (django-import-export): preview with every line's reason, then confirm."""

import html as htmllib
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fleet.exceptions import FleetError
from fleet.models import AircraftType, Flight, ScheduleLine
from fleet.schedule import applying
from tests.fleet.test_schedule_import import HEADER, SAMPLE, aircraft  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:fleet_scheduleline_import")
PROCESS = reverse("admin:fleet_scheduleline_process_import")


def upload(client, name, data):
    """Upload a file the way a person does: pick it and press the button; nobody names its format."""
    page = client.get(IMPORT)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(
        IMPORT,
        {"csrfmiddlewaretoken": token, "resource": "0", "import_file": SimpleUploadedFile(name, data)},
    )


def confirm(client, preview, **changes):
    form = preview.context["confirm_form"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', preview.content.decode()).group(1)
    data = {**{k: v for k, v in form.initial.items()}, **changes, "csrfmiddlewaretoken": token}
    return client.post(PROCESS, {k: v for k, v in data.items() if v is not None})


def text(fragment):
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table(html, table_id):
    """The rows of a table on the page, header first, as the text of each cell."""
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert found, f"no table {table_id!r} on the page"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(0), re.S)
    return [[text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def page_text(response):
    return text(response.content.decode())


@pytest.fixture
def admin_client(admin_role_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_role_user)
    return client


def test_admin_previews_then_imports_the_ssim_sample(aircraft, admin_client, admin_role_user):  # noqa: F811
    preview = upload(admin_client, "sample.ssim", SAMPLE.read_bytes())
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Flights to create" in html and "3070" in html
    assert not Flight.objects.exists()  # the preview writes nothing
    done = confirm(admin_client, preview)
    assert done.status_code == 302
    assert Flight.objects.count() == 3070 and ScheduleLine.objects.count() == 514
    assert set(Flight.history.values_list("history_user", flat=True)) == {admin_role_user.pk}


def test_an_empty_or_foreign_file_is_refused_on_the_file_field(aircraft, admin_client):  # noqa: F811
    for name, data, reason in (
        ("empty.csv", b"", "The submitted file is empty."),
        ("photo.ssim", b"\xff\xd8\xff\xe0 jpeg", "SSIM is plain ASCII"),
    ):
        preview = upload(admin_client, name, data)
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
    preview = upload(admin_client, "s.csv", data)
    assert confirm(admin_client, preview).status_code == 302
    again = confirm(admin_client, preview)
    assert again.status_code == 302
    assert "no longer available" in admin_client.get(again["Location"]).content.decode()
    assert Flight.objects.count() == 7


def test_preview_lists_problems_by_the_files_own_line_in_order_with_their_column(aircraft, admin_client):  # noqa: F811
    data = "\n".join(
        [
            HEADER,
            "XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,",
            "XB 2,1,CDG,QQQ,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,",
            "XB 3,1,CDG,LHR,=NOW(),10:20,,1234567,2027-01-04,2027-01-10,320,",
            "XB 4,1,CDG,LHR,25:00,10:20,,1234567,2027-01-04,2027-01-10,320,",
            "XB 5,1,CDG,LHR,10:00,10:20,,1234567,2027-01-10,2027-01-04,320,",
        ]
    ).encode()
    preview = upload(admin_client, "s.csv", data)
    html = preview.content.decode()
    assert table(html, "schedule-problems") == [
        ["Line", "Column", "Problem"],
        ["3", "destination", "QQQ is not an IATA airport code known to airportsdata."],
        ["4", "departure", "a formula (=NOW()); enter the value itself"],
        ["5", "departure", "'25:00' is not a time (HH:MM)"],
        ["6", "valid_to", "the period ends (2027-01-04) before it starts (2027-01-10)"],
    ]
    # None of django-import-export's own words for its generic importer.
    shown = page_text(preview)
    for leftover in ("This importer will import the following fields", "row in file", "Non field specific"):
        assert leftover.lower() not in shown.lower()
    assert preview.context.get("confirm_form") is None
    assert not Flight.objects.exists()


def test_an_xlsx_formula_names_its_column_and_the_sheets_row(aircraft, admin_client):  # noqa: F811
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["XB 1", 1, "CDG", "LHR", "10:00", "10:20", None, "1234567", "2027-01-04", "2027-01-10", "320", None])
    sheet.append([])
    sheet.append(["XB 2", 1, "CDG", "LHR", "10:00", "10:20", None, "1234567", "2027-01-04", "=I2+6", "320", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = upload(admin_client, "schedule.xlsx", buffer.getvalue())
    assert table(preview.content.decode(), "schedule-problems")[1:] == [
        ["4", "valid_to", "a formula (=I2+6); enter the value itself"]
    ]


def test_nobody_picks_the_format_it_is_read_from_the_file(aircraft, admin_client):  # noqa: F811
    form = admin_client.get(IMPORT).content.decode()
    assert not re.search(r'<select[^>]*name="format"', form)
    assert "Select format" not in form
    csv_text = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n").encode()
    for name, data, shown in (
        ("season.txt", SAMPLE.read_bytes(), "IATA SSIM"),
        ("schedule", csv_text, "CSV"),
        ("schedule.CSV", csv_text, "CSV"),
    ):
        preview = upload(admin_client, name, data)
        assert preview.context.get("confirm_form") is not None, name
        assert f"Format {shown}" in page_text(preview), name
    assert not Flight.objects.exists()


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "not a schedule file"),
        ("notes.docx", b"PK\x03\x04" + b"\x00" * 40, "not a schedule file"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "old Excel (XLS) workbook: save it as XLSX"),
        ("letter.txt", b"Dear planners,\nplease find the schedule attached.\n", "not a schedule file"),
    ],
)
def test_a_file_of_unknown_type_is_refused_with_a_clear_message(admin_client, name, data, reason):
    preview = upload(admin_client, name, data)
    assert preview.status_code == 200
    shown = page_text(preview)
    assert reason in shown and "SSIM, CSV or XLSX" in shown
    assert preview.context.get("confirm_form") is None


def test_a_fresh_installation_imports_the_sample_creating_its_aircraft_types(admin_client, admin_role_user):
    assert not AircraftType.objects.exists()
    preview = upload(admin_client, "sample.ssim", SAMPLE.read_bytes())
    html = preview.content.decode()
    assert table(html, "schedule-new-aircraft-types") == [
        ["Type", "Name", "Seats in the file", "Legs"],
        ["733", "Boeing 737-300", "W18 Y112 = 130 seats; also Y133 = 133 seats", "206"],
        ["735", "Boeing 737-500", "Y118 = 118 seats; also W18 Y97 = 115 seats", "123"],
        ["772", "Boeing 777-200", "J14 W34 Y316 = 364 seats", "117"],
        ["AT7", "ATR 72", "Y64 = 64 seats", "68"],
    ]
    assert re.search(r'<input[^>]*name="create_aircraft_types"[^>]*checked', html)
    assert "Flights to create 3070" in page_text(preview)
    assert not AircraftType.objects.exists()  # the preview writes nothing

    done = confirm(admin_client, preview)
    assert done.status_code == 302
    assert Flight.objects.count() == 3070
    created = {t.code: t for t in AircraftType.objects.all()}
    assert set(created) == {"733", "735", "772", "AT7"}
    b733 = created["733"]
    assert (b733.name, b733.seats_premium_economy, b733.seats_economy, b733.total_seats) == (
        "Boeing 737-300",
        18,
        112,
        130,
    )
    assert created["772"].seats_business == 14
    assert set(AircraftType.history.values_list("history_user", flat=True)) == {admin_role_user.pk}
    assert "4 aircraft types created" in page_text(admin_client.get(done["Location"]))


def test_leaving_the_box_unticked_imports_nothing_and_says_why(admin_client):
    preview = upload(admin_client, "sample.ssim", SAMPLE.read_bytes())
    done = confirm(admin_client, preview, create_aircraft_types=None)
    assert done.status_code == 302
    shown = page_text(admin_client.get(done["Location"]))
    assert "Nothing was imported" in shown and "aircraft type '733' is not known" in shown
    assert not AircraftType.objects.exists() and not Flight.objects.exists()


def test_preview_warns_of_past_flights_and_another_carrier_and_counts_them(aircraft, admin_client, settings):  # noqa: F811
    settings.AIRLINE_CODE = "XB"
    preview = upload(admin_client, "sample.ssim", SAMPLE.read_bytes())
    shown = page_text(preview)
    assert "3070 of the 3070 flights depart in the past" in shown
    assert "3070 of the 3070 flights are for carrier XX, not XB" in shown
    assert preview.context.get("confirm_form") is not None  # a warning, not a refusal

    future_own = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2099-01-04,2099-01-10,320,\n").encode()
    shown = page_text(upload(admin_client, "s.csv", future_own))
    assert "in the past" not in shown and "for carrier" not in shown


def test_a_refusal_at_confirmation_is_shown_in_its_own_words_and_a_fault_is_not_called_a_lost_upload(
    aircraft,  # noqa: F811 - fixture
    admin_client,
    monkeypatch,
):
    data = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n").encode()

    def refuse(*args, **kwargs):
        raise FleetError("Flights of XB 1 are being changed by another import; try again in a minute.")

    monkeypatch.setattr(applying, "apply", refuse)  # where apply_or_refuse looks it up
    refused = confirm(admin_client, upload(admin_client, "s.csv", data))
    shown = page_text(admin_client.get(refused["Location"]))
    assert "being changed by another import" in shown and "no longer available" not in shown

    def fault(*args, **kwargs):
        raise ValueError("a bug of ours")

    monkeypatch.setattr(applying, "apply", fault)
    with pytest.raises(ValueError, match="a bug of ours"):
        confirm(admin_client, upload(admin_client, "s.csv", data))
    assert not Flight.objects.exists()


@pytest.mark.parametrize("typed", ["7", "-1", "x", "", "٣"])
def test_a_confirmation_with_a_format_typed_in_is_refused_and_writes_nothing(aircraft, admin_client, typed):  # noqa: F811
    data = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n").encode()
    refused = confirm(admin_client, upload(admin_client, "s.csv", data), format=typed)
    assert refused.status_code == 302
    assert "does not match an upload" in page_text(admin_client.get(refused["Location"]))
    assert not Flight.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"import_file_name": ""},
        {"import_file_name": "\x00"},
        {"original_file_name": ""},
        {"original_file_name": "\x00"},
    ],
)
def test_a_confirmation_with_a_hidden_field_emptied_or_mangled_says_so_and_writes_nothing(
    aircraft,  # noqa: F811
    admin_client,
    changes,
):
    """The confirmation's hidden fields sent back empty or with a NUL: the page came back with the error on a
    field it does not draw, saying nothing (issue 11, found by tests/backoffice/test_hostile_posts.py)."""
    data = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n").encode()
    refused = confirm(admin_client, upload(admin_client, "s.csv", data), **changes)
    assert refused.status_code == 302
    assert "does not match an upload" in page_text(admin_client.get(refused["Location"]))
    assert not Flight.objects.exists()


@pytest.mark.parametrize("resource", ["1", "99999999999999999999"])
def test_a_confirmation_naming_an_import_that_does_not_exist_is_refused_and_writes_nothing(
    aircraft,  # noqa: F811
    admin_client,
    resource,
):
    """The hidden `resource` is the index of the import among ours (there is one): any other number was a
    server error (IndexError) (issue 11, found by tests/backoffice/test_hostile_posts.py)."""
    data = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n").encode()
    refused = confirm(admin_client, upload(admin_client, "s.csv", data), resource=resource)
    assert refused.status_code == 302
    assert "does not match an upload" in page_text(admin_client.get(refused["Location"]))
    assert not Flight.objects.exists()


@pytest.mark.parametrize("resource", ["1", "-1", "x" * 300])
def test_an_upload_form_sent_back_changed_says_so_on_the_page(admin_client, resource):
    """The upload form's hidden `resource` sent back as something else: its error was on no field the page
    draws, so the page came back with no word (issue 11)."""
    page = admin_client.get(IMPORT)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    data = (HEADER + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n").encode()
    response = admin_client.post(
        IMPORT, {"csrfmiddlewaretoken": token, "resource": resource, "import_file": SimpleUploadedFile("s.csv", data)}
    )
    assert response.status_code == 200
    assert "This upload form was changed: open the import page again and upload the file." in page_text(response)
    assert not Flight.objects.exists()
