import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from backoffice.system import system_user
from fleet import schedule
from fleet.models import AircraftType, Airport, Flight, ScheduleLine
from fleet.schedule import importing
from sales import services as sales
from tests.factories import AircraftTypeFactory
from tests.sales.conftest import CONTACT, adults

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "ssim" / "sample.ssim"
HEADER = ",".join(schedule.TABLE_COLUMNS)


@pytest.fixture
def aircraft(db):
    for code, name, seats in (
        ("733", "B737-300", 128),
        ("735", "B737-500", 108),
        ("772", "B777-200", 304),
        ("AT7", "ATR 72", 70),
        ("320", "A320", 162),
    ):
        AircraftTypeFactory(code=code, name=name, seats_business=0, seats_economy=seats)


def run(text, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return schedule.import_schedule(schedule.read_file(data, name=kwargs.pop("name", "")), user=system_user(), **kwargs)


def csv(*rows):
    return "\n".join([HEADER, *rows]) + "\n"


def test_the_real_ssim_sample_imports_completely_and_twice_changes_nothing(aircraft):
    first = run(SAMPLE.read_bytes())
    assert first.refused == []
    assert (first.format, first.lines_read, first.legs) == ("IATA SSIM", 547, 514)
    assert first.flights_created == Flight.objects.count() == 3070
    assert ScheduleLine.objects.count() == 514
    # Every flight has its history row, written by the account that imported it.
    assert Flight.history.filter(history_type="+").count() == 3070
    assert set(Flight.history.values_list("history_user__username", flat=True)) == {"system"}
    # W18Y112 in the configuration: 130 seats.
    assert set(Flight.objects.filter(number=41).values_list("capacity", flat=True)) == {130}

    again = run(SAMPLE.read_bytes())
    assert (again.flights_created, again.flights_updated, again.flights_unchanged, again.refused) == (0, 0, 3070, [])
    assert Flight.history.count() == 3070


def test_overnight_arrival_without_a_day_offset_lands_the_next_day(aircraft):
    run(SAMPLE.read_bytes())
    # XX 42 leaves Dzaoudzi 23:30 (UTC+3) and reaches Reunion 02:30 (UTC+4) the next day.
    flight = Flight.objects.get(number=42, flight_date=dt.date(2005, 6, 9))
    assert flight.scheduled_departure == dt.datetime(2005, 6, 9, 20, 30, tzinfo=dt.UTC)
    assert flight.scheduled_arrival == dt.datetime(2005, 6, 9, 22, 30, tzinfo=dt.UTC)


def test_local_times_become_utc_per_date_across_daylight_saving(aircraft):
    summary = run(csv("XB 1021,1,CDG,LHR,10:00,10:20,,1234567,2027-03-27,2027-03-29,320,"))
    assert summary.refused == [] and summary.flights_created == 3
    departures = dict(Flight.objects.values_list("flight_date", "scheduled_departure"))
    assert departures[dt.date(2027, 3, 27)] == dt.datetime(2027, 3, 27, 9, 0, tzinfo=dt.UTC)
    assert departures[dt.date(2027, 3, 28)] == dt.datetime(2027, 3, 28, 8, 0, tzinfo=dt.UTC)
    arrivals = dict(Flight.objects.values_list("flight_date", "scheduled_arrival"))
    assert arrivals[dt.date(2027, 3, 28)] == dt.datetime(2027, 3, 28, 9, 20, tzinfo=dt.UTC)


LINE = "XB 1021,1,CDG,LHR,10:00,10:20,,1234567,2027-05-03,2027-05-09,320,"


def test_a_changed_line_updates_future_unsold_flights(aircraft):
    run(csv(LINE))
    summary = run(csv(LINE.replace("10:00,10:20", "11:00,11:20")))
    assert (summary.flights_updated, summary.flights_created, summary.refused) == (7, 0, [])
    assert {f.scheduled_departure.hour for f in Flight.objects.all()} == {9}
    assert Flight.history.filter(history_type="~").count() == 7


def sell_one(flight_date):
    from tests.factories import FareBucketFactory, FareClassFactory

    flight = Flight.objects.get(flight_date=flight_date)
    bucket = FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Y"))
    sales.book(segments=[sales.SegmentRequest(flight.pk, "Y")], passengers=adults(1), agent=system_user(), **CONTACT)
    return bucket


def test_moving_or_cancelling_a_sold_flight_is_refused_and_nothing_is_written(aircraft):
    run(csv(LINE))
    sell_one(dt.date(2027, 5, 5))
    moved = run(csv(LINE.replace("10:00,10:20", "11:00,11:20")))
    assert not moved.written
    assert [str(e) for e in moved.refused] == [
        "line 2: would move XB 1021 leg 1 on 2027-05-05, which has 1 seat(s) sold"
    ]
    assert {f.scheduled_departure.hour for f in Flight.objects.all()} == {8}

    dropped_wednesday = run(csv(LINE.replace("1234567", "12 4567")))
    assert "would cancel XB 1021 leg 1 on 2027-05-05" in str(dropped_wednesday.refused[0])
    assert not Flight.objects.filter(status="cancelled").exists()


def test_shrinking_below_seats_sold_is_refused_but_down_to_it_is_applied(aircraft):
    run(csv(LINE))
    sell_one(dt.date(2027, 5, 5))
    assert run(csv(LINE + "1")).refused == []  # one seat: exactly what is sold
    assert Flight.objects.get(flight_date=dt.date(2027, 5, 5)).capacity == 1
    Flight.objects.filter(flight_date=dt.date(2027, 5, 5)).update(capacity=5, seats_sold=2)
    summary = run(csv(LINE + "1"))
    assert [str(e) for e in summary.refused] == [
        "line 2: would shrink XB 1021 leg 1 on 2027-05-05 to 1 seats; 2 are sold"
    ]
    assert Flight.objects.get(flight_date=dt.date(2027, 5, 5)).capacity == 5


def test_a_dropped_day_cancels_unsold_future_flights(aircraft):
    run(csv(LINE))
    summary = run(csv(LINE.replace("1234567", "12 4567")))
    assert (summary.flights_cancelled, summary.refused) == (1, [])
    assert Flight.objects.get(flight_date=dt.date(2027, 5, 5)).status == "cancelled"


def test_unknown_airports_come_from_airportsdata(aircraft):
    assert not Airport.objects.filter(code="NCE").exists()
    summary = run(csv("XB 7,1,NCE,ORY,07:00,08:25,,1234567,2027-01-04,2027-01-04,320,"))
    assert summary.refused == []
    nice = Airport.objects.select_related("city").get(code="NCE")
    assert (nice.time_zone, nice.city.code) == ("Europe/Paris", "NCE")
    assert Airport.objects.get(code="ORY").city.code == "PAR"


@pytest.mark.parametrize(
    "row, column, reason",
    [
        ("XB 1,1,CDG,LHR,25:00,10:20,,1234567,2027-01-04,2027-01-10,320,", "departure", "'25:00' is not a time"),
        ("XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-13-04,2027-01-10,320,", "valid_from", "'2027-13-04' is not a date"),
        (
            "XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-10,2027-01-04,320,",
            "valid_to",
            "the period ends (2027-01-04) before it starts",
        ),
        (
            "XB 1,1,CDG,LHR,10:00,10:20,,1238,2027-01-04,2027-01-10,320,",
            "days",
            "'1238' is not a days-of-operation pattern",
        ),
        (
            "XB 1,1,CDG,QQQ,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,",
            "destination",
            "QQQ is not an IATA airport code",
        ),
        (
            "XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,999,",
            "aircraft_type",
            "aircraft type '999' is not known",
        ),
        (
            "XB,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,",
            "designator",
            "'XB' is not a flight designator",
        ),
        ('=HYPERLINK("x"),1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,', "designator", "a formula"),
        (
            "XB 1,1,CDG,LHR,10:00,08:20,0,1234567,2027-01-04,2027-01-10,320,",
            "arrival",
            "the arrival is not after the departure",
        ),
    ],
)
def test_bad_rows_are_reported_with_line_column_and_reason_and_nothing_is_written(aircraft, row, column, reason):
    good = "XB 2,1,CDG,LHR,12:00,12:20,,1234567,2027-01-04,2027-01-10,320,"
    summary = run(csv(good, row))
    assert not summary.written
    assert [(e.row, e.column) for e in summary.refused] == [(3, column)]
    assert reason in summary.refused[0].message
    assert not Flight.objects.exists() and not ScheduleLine.objects.exists()


def test_two_contradicting_lines_are_both_reported(aircraft):
    summary = run(
        csv(
            "XB 5,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,",
            "XB 5,1,CDG,LHR,11:00,11:20,,1 3 5  ,2027-01-08,2027-01-20,320,",
        )
    )
    assert {e.row for e in summary.refused} == {2, 3}
    assert "contradicts line 2" in str(summary.refused[1])
    assert not Flight.objects.exists()


@pytest.mark.parametrize(
    "header, reason",
    [
        (
            "designator,origin,destination,departure,arrival,days,valid_from,valid_to",
            "missing column(s): aircraft_type",
        ),
        (HEADER + ",gate", "unknown column(s): gate"),
    ],
)
def test_missing_or_unknown_columns_are_named(aircraft, header, reason):
    summary = run(header + "\nXB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n")
    assert reason in str(summary.refused[0]) and summary.refused[0].row == 1
    assert not Flight.objects.exists()


@pytest.mark.parametrize(
    "data, name, reason",
    [
        (b"", "x.csv", "The file is empty."),
        (b"1AIRLINE STANDARD SCHEDULE DATA SET" + b" " * 50 + b"\n", "x.ssim", "record is 85 bytes long"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "x.png", "not a schedule file"),
        (b"PK\x03\x04 not really a workbook", "x.xlsx", "not a readable XLSX workbook"),
        (b"0" * (21 * 1024 * 1024), "big.ssim", "a schedule file may be at most 20 MB"),
    ],
)
def test_unreadable_files_are_refused_whole(aircraft, data, name, reason):
    try:
        summary = run(data, name=name)
    except schedule.ScheduleFileError as error:
        assert reason in str(error)
    else:
        assert reason in " ".join(str(e) for e in summary.refused)
        assert not summary.written
    assert not Flight.objects.exists()


def test_a_short_ssim_record_is_reported_with_its_number(aircraft):
    records = SAMPLE.read_bytes().split(b"\n")
    records[12] = records[12][:150]
    summary = run(b"\n".join(records))
    assert [str(e) for e in summary.refused] == ["line 13: record is 150 bytes long; SSIM records are 200"]
    assert not Flight.objects.exists()


def test_xlsx_with_a_formula_is_refused(aircraft):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["XB 1", 1, "CDG", "LHR", "10:00", "10:20", None, "1234567", "2027-01-04", "2027-01-10", "320", None])
    sheet.append(["XB 2", 1, "CDG", "LHR", "10:00", "10:20", None, "1234567", "2027-01-04", "=A1", "320", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    summary = run(buffer.getvalue(), name="s.xlsx")
    assert [str(e) for e in summary.refused] == ["line 3, valid_to: a formula (=A1); enter the value itself"]
    assert not Flight.objects.exists()


def test_xlsx_schedule_imports(aircraft):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            "XB 1",
            1,
            "CDG",
            "LHR",
            dt.time(10),
            dt.time(10, 20),
            None,
            1234567,
            dt.date(2027, 1, 4),
            dt.date(2027, 1, 10),
            "320",
            150,
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    summary = run(buffer.getvalue(), name="s.xlsx")
    assert (summary.format, summary.refused, summary.flights_created) == ("XLSX", [], 7)
    assert set(Flight.objects.values_list("capacity", flat=True)) == {150}


def test_command_prints_the_summary_and_exits_non_zero_on_refusal(aircraft, tmp_path, capsys):
    call_command("import_schedule", str(SAMPLE), "--dry-run")
    out = capsys.readouterr().out
    assert "Flights created: 3070" in out and "Dry run: nothing was written." in out
    assert not Flight.objects.exists()
    bad = tmp_path / "bad.csv"
    bad.write_text(csv("XB 1,1,CDG,QQQ,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,"))
    with pytest.raises(CommandError, match="1 line\\(s\\) refused: nothing was written"):
        call_command("import_schedule", str(bad))
    assert "line 2, destination: QQQ" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_schedule", str(tmp_path / "missing.ssim"))


def test_dates_outside_2000_to_2099_are_row_errors(aircraft):
    summary = run(csv("XB 1,1,CDG,LHR,10:00,10:20,,1234567,9999-12-25,9999-12-31,320,"))
    assert "line 2, valid_from: 9999-12-25 is outside 2000-2099" == str(summary.refused[0])
    assert not Flight.objects.exists()


def test_a_shorter_period_does_not_cancel_flights_outside_it(aircraft):
    run(csv("XB 5,1,CDG,LHR,10:00,10:20,,1234567,2027-01-01,2027-01-31,320,"))
    summary = run(csv("XB 5,1,CDG,LHR,10:00,10:20,,1234567,2027-01-01,2027-01-29,320,"))
    assert (summary.flights_cancelled, summary.flights_unchanged) == (0, 29)
    assert not Flight.objects.filter(status="cancelled").exists()


def test_csv_lines_are_counted_as_in_the_file_even_when_a_cell_spans_lines(aircraft):
    summary = run(
        HEADER
        + '\n"XB 1",1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n'
        + '"XB 2\nX",1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n'
        + "XB 3,1,CDG,QQQ,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,\n"
    )
    assert [(e.row, e.column) for e in summary.refused] == [(3, "designator"), (5, "destination")]


def test_an_ssim_field_error_names_the_field_and_its_bytes(aircraft):
    records = SAMPLE.read_bytes().split(b"\n")
    assert records[12][:1] == b"3"
    records[12] = records[12][:39] + b"25x0" + records[12][43:]
    summary = run(b"\n".join(records))
    assert [str(e) for e in summary.refused] == ["line 13, departure time (bytes 40-43): '25x0' is not a time (HHMM)"]


@pytest.mark.parametrize(
    "name, data, found",
    [
        ("sample.ssim", SAMPLE.read_bytes(), "SSIM"),
        ("sample.txt", SAMPLE.read_bytes(), "SSIM"),
        ("upload", SAMPLE.read_bytes(), "SSIM"),
        ("s.csv", b"designator,leg\n", "CSV"),
        ("s.txt", b"designator;leg\n", "CSV"),
        ("export", b"Designator\tOrigin\n", "CSV"),
        ("S.CSV", b"anything at all", "CSV"),
    ],
)
def test_the_format_is_detected_from_the_name_and_the_content(name, data, found):
    assert schedule.detect_format(data, name=name) == found


def test_an_xlsx_workbook_is_detected_whatever_its_name():
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    assert schedule.detect_format(buffer.getvalue(), name="export") == "XLSX"
    assert schedule.detect_format(buffer.getvalue(), name="schedule.xlsx") == "XLSX"


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "not a schedule file"),
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not a schedule file"),
        ("notes.docx", b"PK\x03\x04" + b"\x00" * 40, "not a schedule file"),
        ("schedule.xlsx", b"PK\x03\x04 not really a workbook", "not a readable XLSX workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "old Excel (XLS) workbook: save it as XLSX"),
        ("letter.txt", b"Dear planners,\nplease find the schedule attached.\n", "not a schedule file"),
    ],
)
def test_a_file_of_unknown_type_gets_a_clear_message(name, data, reason):
    with pytest.raises(schedule.ScheduleFileError, match=re.escape(reason)):
        schedule.detect_format(data, name=name)


def test_unknown_aircraft_types_are_refused_unless_the_import_creates_them():
    refused = run(SAMPLE.read_bytes())
    assert not refused.written and not AircraftType.objects.exists()
    assert {t.code for t in refused.new_aircraft_types} == {"733", "735", "772", "AT7"}
    assert "aircraft type '733' is not known" in " ".join(str(e) for e in refused.refused)

    summary = run(SAMPLE.read_bytes(), create_aircraft_types=True)
    assert summary.written and summary.refused == [] and summary.flights_created == 3070
    at7 = AircraftType.objects.get(code="AT7")
    assert (at7.name, at7.seats_economy, at7.total_seats) == ("ATR 72", 64, 64)
    assert set(AircraftType.history.values_list("history_type", "history_user__username")) == {("+", "system")}


def test_a_type_missing_from_the_reference_list_is_named_by_its_code_and_needs_seats(aircraft):
    summary = run(
        csv(
            "XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,ZZ9,48",
            "XB 2,1,CDG,LHR,12:00,12:20,,1234567,2027-01-04,2027-01-10,ZZ8,",
        ),
        create_aircraft_types=True,
    )
    assert [str(e) for e in summary.refused] == [
        "line 3, aircraft_type: aircraft type 'ZZ8' is not known and the file gives no seats for it; "
        "add it under Aircraft types first"
    ]
    summary = run(csv("XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,ZZ9,48"), create_aircraft_types=True)
    assert summary.written
    assert AircraftType.objects.filter(code="ZZ9", name="ZZ9", seats_economy=48).exists()


def test_the_summary_counts_past_flights_and_flights_of_another_carrier(aircraft, settings):
    settings.AIRLINE_CODE = "XB"
    summary = run(SAMPLE.read_bytes(), dry_run=True)
    assert (summary.flights_in_past, summary.flights_by_other_carrier) == (3070, {"XX": 3070})
    own = run(csv("XB 1,1,CDG,LHR,10:00,10:20,,1234567,2099-01-04,2099-01-10,320,"), dry_run=True)
    assert (own.flights_in_past, own.flights_by_other_carrier) == (0, {})


def test_command_creates_aircraft_types_only_when_asked_and_warns(settings, capsys):
    settings.AIRLINE_CODE = "XB"
    with pytest.raises(CommandError, match="refused: nothing was written"):
        call_command("import_schedule", str(SAMPLE))
    out = capsys.readouterr().out
    assert "--create-aircraft-types" in out and "733 Boeing 737-300: W18 Y112 = 130 seats" in out
    assert not AircraftType.objects.exists()

    call_command("import_schedule", str(SAMPLE), "--create-aircraft-types", "--dry-run")
    assert "Aircraft types to create: 4" in capsys.readouterr().out
    assert not AircraftType.objects.exists()

    call_command("import_schedule", str(SAMPLE), "--create-aircraft-types")
    out = capsys.readouterr().out
    assert "Aircraft types created: 4" in out
    assert "Warning: 3070 of the 3070 flights depart in the past" in out
    assert "Warning: 3070 of the 3070 flights are for carrier XX, not XB" in out
    assert Flight.objects.count() == 3070
    assert set(AircraftType.history.values_list("history_user__username", flat=True)) == {"system"}


def test_a_semicolon_separated_csv_from_a_french_spreadsheet_imports(aircraft):
    summary = run(csv("XB 1;1;CDG;LHR;10:00;10:20;;1234567;2027-01-04;2027-01-10;320;").replace(",", ";"), name="s.csv")
    assert (summary.format, summary.refused, summary.flights_created) == ("CSV", [], 7)


def test_a_digit_python_reads_but_int_refuses_is_the_lines_error(aircraft):
    summary = run(csv("XB 1,1,CDG,LHR,10:00,10:20,,1234567,2027-01-04,2027-01-10,320,1²"))
    assert [(e.row, e.column) for e in summary.refused] == [(2, "capacity")]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda line: line.replace("10:00,10:20", "11:00,11:20"), id="moving"),
        pytest.param(lambda line: line.replace("1234567", "12 4567"), id="cancelling"),
    ],
)
def test_a_sale_landing_between_the_plan_and_the_write_refuses_the_whole_import(aircraft, monkeypatch, change):
    """The plan saw 5 May unsold; a seat is sold before the write: the flight is re-read under its lock
    and the import stops whole, telling the admin to import again."""
    run(csv(LINE))
    planned = schedule.plan

    def plan_then_a_sale(*args, **kwargs):
        result = planned(*args, **kwargs)
        sell_one(dt.date(2027, 5, 5))
        return result

    monkeypatch.setattr(importing, "plan", plan_then_a_sale)  # where import_schedule looks it up
    summary = run(csv(change(LINE)))
    assert not summary.written
    assert [str(e) for e in summary.refused] == [
        "XB 1021 05MAY27 was sold or changed during the import; import the file again."
    ]
    assert {f.scheduled_departure.hour for f in Flight.objects.all()} == {8}
    assert not Flight.objects.filter(status="cancelled").exists()


def test_an_ssim_seat_configuration_larger_than_any_aircraft_is_refused_on_its_field(aircraft):
    """F999J999Y999 would make flights of 2,997 seats, which the database refuses (at most 999)."""
    records = SAMPLE.read_bytes().split(b"\n")
    assert records[12][:1] == b"3"
    records[12] = records[12][:172] + b"F999J999Y999".ljust(20) + records[12][192:]
    summary = run(b"\n".join(records))
    assert [str(e) for e in summary.refused] == [
        "line 13, aircraft configuration (bytes 173-192): F999J999Y999 is 2997 seats; no aircraft has more than 999"
    ]
    assert not Flight.objects.exists()
