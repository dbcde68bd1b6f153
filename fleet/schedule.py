"""Schedule import: read schedule lines (IATA SSIM Chapter 7, CSV or XLSX), check every
line, expand each line into dated flights and apply the result in one transaction.

Nothing is written when any line is refused: the caller gets every line's reason, with
the line number as the file shows it and the column at fault.
Local times become UTC per date with each airport's time zone, so daylight-saving
changes land right. Importing the same file twice changes nothing.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from backoffice import locks
from backoffice.history import bulk_create_with_history, bulk_history_update, copy_create_with_history
from fleet.aircraft_reference import Seating, aircraft_type_name
from fleet.exceptions import FleetError
from fleet.models import MAX_SEATS, AircraftType, Airport, Flight, ScheduleLine
from fleet.services import create_aircraft_types as add_aircraft_types
from fleet.services import get_or_create_airport
from fleet.signals import flights_created
from fleet.timezones import local_to_utc, zone

MAX_FILE_BYTES = 20 * 1024 * 1024
# What a schedule table may hold, whoever imports it (checked while reading, before any other work): rows of
# a CSV file or of a workbook's first sheet, columns read, characters in one cell, and for a workbook, its
# unpacked size and its shared strings (a small file can unpack to gigabytes, or hold millions of strings).
MAX_TABLE_ROWS = 50_000
MAX_TABLE_COLUMNS = 50
MAX_CELL_CHARS = 100
MAX_XLSX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_SHARED_STRINGS = 200_000
# A value quoted back in a message is cut to this many characters.
EXCERPT_CHARS = 40
SSIM_RECORD_LENGTH = 200
BATCH = 5000
MONTHS = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}
TABLE_COLUMNS = [
    "designator",
    "leg",
    "origin",
    "destination",
    "departure",
    "arrival",
    "arrival_day_offset",
    "days",
    "valid_from",
    "valid_to",
    "aircraft_type",
    "capacity",
]
REQUIRED_COLUMNS = {
    "designator",
    "origin",
    "destination",
    "departure",
    "arrival",
    "days",
    "valid_from",
    "valid_to",
    "aircraft_type",
}
OPTIONAL_COLUMNS = {"leg", "arrival_day_offset", "departure_day_offset", "capacity"}
# Where each field sits in an SSIM flight leg record (type 3), as its errors name it.
SSIM_COLUMNS = {
    "time_mode": "time mode (byte 2)",
    "suffix": "operational suffix (byte 2)",
    "carrier": "airline designator (bytes 3-5)",
    "number": "flight number (bytes 6-9)",
    "leg": "leg sequence number (bytes 12-13)",
    "valid_from": "period of operation (bytes 15-21)",
    "valid_to": "period of operation (bytes 22-28)",
    "days": "days of operation (bytes 29-35)",
    "frequency": "frequency rate (byte 36)",
    "origin": "departure station (bytes 37-39)",
    "departure": "departure time (bytes 40-43)",
    "destination": "arrival station (bytes 55-57)",
    "arrival": "arrival time (bytes 62-65)",
    "aircraft_type": "aircraft type (bytes 73-75)",
    "configuration": "aircraft configuration (bytes 173-192)",
    "departure_day_offset": "departure date variation (byte 193)",
    "arrival_day_offset": "arrival date variation (byte 194)",
}
FORMATS = ("SSIM", "CSV", "XLSX")
SCHEDULE_KINDS = (
    "A schedule file is SSIM, CSV or XLSX: an IATA SSIM file (Chapter 7, 200-byte records), "
    "a CSV file whose first line names the columns, or an Excel workbook saved as .xlsx."
)


class ScheduleFileError(FleetError):
    """The file as a whole cannot be read (empty, too big, not a schedule)."""


@dataclass
class RowError:
    """A refused line: its number as the file shows it (0: the file as a whole) and the column at fault."""

    row: int
    message: str
    column: str = ""

    def __str__(self):
        where = ", ".join(part for part in (f"line {self.row}" if self.row else "", self.column) if part)
        return f"{where}: {self.message}" if where else self.message


class CellError(ValueError):
    """A value that cannot be read, with the column it sits in."""

    def __init__(self, column, message):
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass
class LineInput:
    """One schedule line as read from its source, before the database is consulted."""

    row: int
    carrier: str
    number: int
    suffix: str
    itinerary_variation: str
    leg_number: int
    origin: str
    destination: str
    departure_time: dt.time
    arrival_time: dt.time
    departure_day_offset: int
    arrival_day_offset: int | None
    days: str
    valid_from: dt.date
    valid_to: dt.date
    aircraft_type: str
    capacity: int | None
    time_mode: str = ScheduleLine.TimeMode.LOCAL
    seating: Seating | None = None  # the seats the file gives, for an aircraft type the import creates

    @property
    def designator(self):
        return f"{self.carrier} {self.number}{self.suffix}"


@dataclass
class ParsedSchedule:
    lines: list
    errors: list
    records_read: int = 0
    segment_records: int = 0
    format: str = ""
    columns: dict = field(default_factory=dict)  # field -> the column's name in this file's format

    def column(self, name):
        return self.columns.get(name, name)


@dataclass
class NewAircraftType:
    """An aircraft type the file uses and the database lacks, with the seats the file gives it."""

    code: str
    name: str
    seatings: list  # [(Seating, legs)], the most used first: the type gets that one

    @property
    def seating(self):
        return self.seatings[0][0]

    @property
    def legs(self):
        return sum(legs for _, legs in self.seatings)

    @property
    def seats_in_file(self):
        return "; also ".join(str(seating) for seating, _ in self.seatings)

    def __str__(self):
        return f"{self.code} {self.name}: {self.seats_in_file}"


@dataclass
class ImportSummary:
    format: str = ""
    lines_read: int = 0
    legs: int = 0
    segment_records: int = 0
    flights_created: int = 0
    flights_updated: int = 0
    flights_unchanged: int = 0
    flights_cancelled: int = 0
    refused: list = field(default_factory=list)
    written: bool = False
    new_aircraft_types: list = field(default_factory=list)
    creates_aircraft_types: bool = False
    flights_in_past: int = 0  # of the flights created or changed
    flights_by_other_carrier: dict = field(default_factory=dict)  # carrier -> flights created or changed

    @property
    def ok(self):
        return not self.refused

    @property
    def flights_written(self):
        return self.flights_created + self.flights_updated

    def warnings(self):
        """What the person should know before confirming, though nothing is wrong with the file."""
        found = []
        if self.flights_in_past:
            found.append(f"{self.flights_in_past} of the {self.flights_written} flights depart in the past.")
        for carrier, count in sorted(self.flights_by_other_carrier.items()):
            found.append(
                f"{count} of the {self.flights_written} flights are for carrier {carrier}, "
                f"not {settings.AIRLINE_CODE} (this airline)."
            )
        return found

    def lines(self):
        out = [
            f"Format: {self.format}",
            f"Lines read: {self.lines_read} ({self.legs} flight legs, {self.segment_records} segment records)",
        ]
        if self.new_aircraft_types:
            if self.written and self.creates_aircraft_types:
                state = "created"
            elif self.creates_aircraft_types and not self.refused:
                state = "to create"
            else:
                state = "unknown"
            out.append(f"Aircraft types {state}: {len(self.new_aircraft_types)}")
            out += [f"  {new_type}" for new_type in self.new_aircraft_types]
        out += [
            f"Flights created: {self.flights_created}",
            f"Flights updated: {self.flights_updated}",
            f"Flights unchanged: {self.flights_unchanged}",
            f"Flights cancelled: {self.flights_cancelled}",
            f"Lines refused: {len(self.refused)}",
        ]
        out += [f"  {error}" for error in self.refused]
        out += [f"Warning: {warning}" for warning in self.warnings()]
        return out


# --- Reading ------------------------------------------------------------------


def _ssim_date(text):
    day, month, year = text[:2], text[2:5], text[5:7]
    if not (day.isdigit() and year.isdigit() and month in MONTHS):
        raise ValueError(f"{text!r} is not a date (DDMMMYY)")
    return dt.date(2000 + int(year), MONTHS[month], int(day))


def _hhmm(text):
    if not re.fullmatch(r"\d{4}", text or ""):
        raise ValueError(f"{text!r} is not a time (HHMM)")
    hours, minutes = int(text[:2]), int(text[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return dt.time(hours, minutes)


def _days(text):
    """Canonical seven-position days of operation ('1 3 5 7'), from positional or compact ('1357') forms."""
    raw = str(text or "").strip() if not isinstance(text, int | float) else str(int(text))
    if len(raw) == 7 and all(ch == " " or ch == str(i) for i, ch in enumerate(raw, 1)) and raw.strip():
        return raw
    compact = raw.replace(" ", "").replace(".", "")
    if not compact or not compact.isdigit() or set(compact) - set("1234567") or list(compact) != sorted(set(compact)):
        raise ValueError(f"{text!r} is not a days-of-operation pattern (e.g. 1234567 or '1 3 5  ')")
    return "".join(str(i) if str(i) in compact else " " for i in range(1, 8))


def _date_variation(char, what):
    if char in (" ", "0"):
        return 0
    if char in ("1", "2"):
        return int(char)
    raise ValueError(f"{what} date variation {char!r} is not supported (0, 1 or 2)")


def read_ssim(data):
    """Parse an IATA SSIM Chapter 7 file (200-byte fixed records)."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        raise ScheduleFileError("This is not an SSIM file: SSIM is plain ASCII text.") from error
    records = [r.rstrip("\r") for r in text.split("\n")]
    while records and not records[-1]:
        records.pop()
    parsed = ParsedSchedule(
        lines=[], errors=[], records_read=len(records), format="IATA SSIM", columns=dict(SSIM_COLUMNS)
    )
    if not records:
        raise ScheduleFileError("The file is empty.")
    if not records[0].startswith("1"):
        raise ScheduleFileError("This is not an SSIM file: it does not start with a header record (type 1).")
    time_mode = ScheduleLine.TimeMode.LOCAL
    carriers = 0
    trailers = 0
    for number, record in enumerate(records, 1):
        if len(record) != SSIM_RECORD_LENGTH:
            parsed.errors.append(
                RowError(number, f"record is {len(record)} bytes long; SSIM records are {SSIM_RECORD_LENGTH}")
            )
            continue
        kind = record[0]
        if kind in "10":
            continue
        if kind == "2":
            carriers += 1
            if record[1] not in "UL":
                parsed.errors.append(
                    RowError(number, f"{record[1]!r} is neither U (UTC) nor L (local)", SSIM_COLUMNS["time_mode"])
                )
            time_mode = ScheduleLine.TimeMode.UTC if record[1] == "U" else ScheduleLine.TimeMode.LOCAL
        elif kind == "3":
            if not carriers:
                parsed.errors.append(RowError(number, "flight leg record before any carrier record (type 2)"))
                continue
            try:
                parsed.lines.append(_ssim_leg(number, record, time_mode))
            except CellError as error:
                parsed.errors.append(RowError(number, error.message, error.column))
            except ValueError as error:  # a value no reader above foresaw: still this line's error, not a crash
                parsed.errors.append(RowError(number, str(error)))
        elif kind == "4":
            parsed.segment_records += 1
        elif kind == "5":
            trailers += 1
        else:
            parsed.errors.append(RowError(number, f"unknown record type {kind!r}", "record type (byte 1)"))
    if not carriers:
        parsed.errors.append(RowError(0, "no carrier record (type 2): this is not a complete SSIM file"))
    if not trailers:
        parsed.errors.append(RowError(0, "no trailer record (type 5): the file looks truncated"))
    return parsed


def _ssim_field(name, read, *args):
    """read(*args), its ValueError told as an error in the named SSIM field."""
    try:
        return read(*args)
    except ValueError as error:
        raise CellError(SSIM_COLUMNS[name], str(error)) from None


def _ssim_leg(number, r, time_mode):
    suffix = r[1].strip()
    carrier = r[2:5].strip()
    if not re.fullmatch(r"(?=.*[A-Z])[A-Z0-9]{2}", carrier):
        raise CellError(SSIM_COLUMNS["carrier"], f"{r[2:5]!r} is not a two-character IATA airline code")
    if suffix and not re.fullmatch(r"[A-Z]", suffix):
        raise CellError(SSIM_COLUMNS["suffix"], f"{suffix!r} is not a letter")
    if not r[5:9].strip().isdigit() or not 1 <= int(r[5:9]) <= 9999:
        raise CellError(SSIM_COLUMNS["number"], f"{r[5:9]!r} is not a flight number from 1 to 9999")
    if not r[11:13].isdigit() or int(r[11:13]) < 1:
        raise CellError(SSIM_COLUMNS["leg"], f"{r[11:13]!r} is not a leg number")
    if r[35] not in " 1":
        raise CellError(SSIM_COLUMNS["frequency"], f"{r[35]!r} is not supported (weekly only)")
    seating = Seating.from_configuration(r[172:192])
    if seating and seating.total > MAX_SEATS:
        raise CellError(
            SSIM_COLUMNS["configuration"],
            f"{seating.configuration} is {seating.total} seats; no aircraft has more than {MAX_SEATS}",
        )
    return LineInput(
        row=number,
        carrier=carrier,
        number=int(r[5:9]),
        suffix=suffix,
        itinerary_variation=r[9:11].strip(),
        leg_number=int(r[11:13]),
        origin=r[36:39],
        destination=r[54:57],
        departure_time=_ssim_field("departure", _hhmm, r[39:43]),
        arrival_time=_ssim_field("arrival", _hhmm, r[61:65]),
        departure_day_offset=_ssim_field("departure_day_offset", _date_variation, r[192], "departure"),
        arrival_day_offset=(
            _ssim_field("arrival_day_offset", _date_variation, r[193], "arrival") if r[193] != " " else None
        ),
        days=_ssim_field("days", _days, r[28:35]),
        valid_from=_ssim_field("valid_from", _ssim_date, r[14:21]),
        valid_to=_ssim_field("valid_to", _ssim_date, r[21:28]),
        aircraft_type=r[72:75].strip(),
        capacity=seating.total if seating else None,
        time_mode=time_mode,
        seating=seating,
    )


_FORMULA = re.compile(r"^[=@]|^[+-](?!\d)")
_DESIGNATOR = re.compile(r"^\s*([A-Z0-9]{2})\s*(\d{1,4})([A-Z]?)\s*$")


def read_table(rows, *, format_name):
    """Schedule lines from a table (CSV or XLSX): rows of (line number in the file, cells), the header first."""
    (header_line, headers), *body = rows
    names = _column_names(headers)
    parsed = ParsedSchedule(lines=[], errors=[], records_read=len(body) + 1, format=format_name)
    unknown = [n for n in names if n and n not in REQUIRED_COLUMNS | OPTIONAL_COLUMNS]
    missing = sorted(REQUIRED_COLUMNS - set(names))
    if unknown or missing:
        problems = []
        if missing:
            problems.append("missing column(s): " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s): " + ", ".join(cut(n) for n in unknown[:5]))
        parsed.errors.append(RowError(header_line, "; ".join(problems) + f". Expected: {', '.join(TABLE_COLUMNS)}"))
        return parsed
    for number, values in body:
        cells = dict(zip(names, values, strict=False))
        if all(v in (None, "") for v in cells.values()):
            continue
        formulas = [
            RowError(number, f"a formula ({cut(value.strip())}); enter the value itself", name)
            for name, value in cells.items()
            if isinstance(value, str) and _FORMULA.match(value.strip())
        ]
        if formulas:
            parsed.errors += formulas
            continue
        try:
            parsed.lines.append(_table_line(number, cells))
        except CellError as error:
            parsed.errors.append(RowError(number, error.message, error.column))
        except ValueError as error:  # a value no reader above foresaw: still this line's error, not a crash
            parsed.errors.append(RowError(number, str(error)))
    if not parsed.lines and not parsed.errors:
        raise ScheduleFileError("The file holds no schedule line.")
    return parsed


def _column_names(headers):
    return [str(h or "").strip().lower().replace(" ", "_") for h in headers]


def cut(value):
    """A value as a message shows it: at most EXCERPT_CHARS characters, visibly cut."""
    text = str(value)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def excerpt(value):
    """A value as a message quotes it."""
    return repr(cut(value))


def _cell_text(cells, name):
    value = cells.get(name)
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_CELL_CHARS:
        raise CellError(name, f"{excerpt(text)} is too long: a cell holds at most {MAX_CELL_CHARS} characters")
    return text


def _cell_date(cells, name):
    day = _any_date(cells, name)
    if not 2000 <= day.year <= 2099:
        raise CellError(name, f"{day} is outside 2000-2099")
    return day


def _any_date(cells, name):
    value = cells.get(name)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(cells, name)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    try:
        return _ssim_date(text.upper())
    except ValueError:
        raise CellError(name, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _cell_time(cells, name):
    value = cells.get(name)
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    text = _cell_text(cells, name)
    match = re.fullmatch(r"(\d{1,2}):?(\d{2})(?::00)?", text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise CellError(name, f"{text!r} is not a time (HH:MM)")
    return dt.time(int(match.group(1)), int(match.group(2)))


def _cell_int(cells, name, *, low, high, default=None):
    text = _cell_text(cells, name)
    if text == "":
        return default
    text = text.lstrip("+")
    if text.endswith(".0"):
        text = text[:-2]
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise CellError(name, f"{text!r} is not a whole number from {low} to {high}")
    return int(text)


def _table_line(number, cells):
    match = _DESIGNATOR.match(_cell_text(cells, "designator").upper())
    if not match or not 1 <= int(match.group(2)) <= 9999:
        raise CellError("designator", f"{_cell_text(cells, 'designator')!r} is not a flight designator (e.g. XB 1021)")
    carrier, flight_number, suffix = match.groups()
    try:
        days = _days(cells.get("days"))
    except ValueError as error:
        raise CellError("days", str(error)) from None
    capacity = _cell_int(cells, "capacity", low=1, high=999)
    return LineInput(
        row=number,
        carrier=carrier,
        number=int(flight_number),
        suffix=suffix,
        itinerary_variation="",
        leg_number=_cell_int(cells, "leg", low=1, high=99, default=1),
        origin=_cell_text(cells, "origin").upper(),
        destination=_cell_text(cells, "destination").upper(),
        departure_time=_cell_time(cells, "departure"),
        arrival_time=_cell_time(cells, "arrival"),
        departure_day_offset=_cell_int(cells, "departure_day_offset", low=0, high=2, default=0),
        arrival_day_offset=_cell_int(cells, "arrival_day_offset", low=0, high=2),
        days=days,
        valid_from=_cell_date(cells, "valid_from"),
        valid_to=_cell_date(cells, "valid_to"),
        aircraft_type=_cell_text(cells, "aircraft_type").upper(),
        capacity=capacity,
        seating=Seating.from_capacity(capacity),
    )


def check_size(size):
    """Refuse an empty file, or one too big to read, from its size in bytes."""
    if not size:
        raise ScheduleFileError("The file is empty.")
    if size > MAX_FILE_BYTES:
        raise ScheduleFileError(
            f"The file is {size / 1024 / 1024:.1f} MB; a schedule file may be at most "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Split the season."
        )


def detect_format(data, *, name=""):
    """The format of a schedule file, "SSIM", "CSV" or "XLSX", from its name and content; else ScheduleFileError.

    The content decides where it can (a workbook is a ZIP holding xl/workbook.xml, an SSIM file
    starts with a 200-byte header record); the name decides for text that could be either.
    """
    check_size(len(data))
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "XLSX"
        except zipfile.BadZipFile:
            pass
        if suffix == "xlsx":
            raise ScheduleFileError("This file is not a readable XLSX workbook: it may be damaged. Save it again.")
        raise ScheduleFileError(f"This is not a schedule file. {SCHEDULE_KINDS}")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ScheduleFileError(
            f"This is an old Excel (XLS) workbook: save it as XLSX, then upload that. {SCHEDULE_KINDS}"
        )
    if suffix == "xlsx":
        raise ScheduleFileError("This file is named .xlsx but is not a readable XLSX workbook.")
    first_record = data.split(b"\n", 1)[0].rstrip(b"\r")
    if suffix == "ssim" or (first_record[:1] == b"1" and len(first_record) == SSIM_RECORD_LENGTH):
        return "SSIM"
    if suffix == "csv":
        return "CSV"
    try:
        text = data.decode("utf-8-sig")
        header = [] if "\x00" in text else _column_names(next(_csv_reader(text), []))
    except (UnicodeDecodeError, csv.Error):
        header = []
    if not set(header) & (REQUIRED_COLUMNS | OPTIONAL_COLUMNS):
        raise ScheduleFileError(f"This is not a schedule file. {SCHEDULE_KINDS}")
    return "CSV"


def read_file(data, *, name=""):
    """Detect the format (SSIM, XLSX or CSV) and read the schedule lines."""
    return READERS[detect_format(data, name=name)](data)


def _csv_reader(text):
    """Comma-separated, or semicolon- or tab-separated when the first line says so (as some spreadsheets save)."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return csv.reader(io.StringIO(text), delimiter=delimiter)


def read_csv(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScheduleFileError("This is not a UTF-8 CSV file: save it as CSV UTF-8 and upload it again.") from error
    reader = _csv_reader(text)
    rows = []
    first_line = 1
    try:
        for values in reader:
            if len(rows) > MAX_TABLE_ROWS:
                raise ScheduleFileError(_too_many_rows())
            rows.append((first_line, values[:MAX_TABLE_COLUMNS]))
            first_line = reader.line_num + 1  # a quoted cell may span lines: the next row starts after it
    except csv.Error as error:
        raise ScheduleFileError(f"Line {first_line} is not valid CSV: {error}.") from error
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise ScheduleFileError("The file is empty.")
    return read_table(rows, format_name="CSV")


def _too_many_rows():
    return (
        f"The file has more than {MAX_TABLE_ROWS:,} rows; a schedule file may have at most that many. "
        "Split the season into several files."
    )


def _check_workbook_size(data):
    """Refuse, before openpyxl reads anything, a workbook that unpacks to more than we read or holds more
    shared strings than a schedule needs (both are read whole by any XLSX reader)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > MAX_XLSX_UNPACKED_BYTES:
                raise ScheduleFileError(
                    f"This workbook unpacks to {unpacked / 1024 / 1024:,.0f} MB; a schedule workbook may unpack to "
                    f"at most {MAX_XLSX_UNPACKED_BYTES // 1024 // 1024} MB. Save the schedule alone, or as CSV."
                )
            if "xl/sharedStrings.xml" in archive.namelist():
                with archive.open("xl/sharedStrings.xml") as strings:
                    head = strings.read(1024).decode("utf-8", "replace")
                declared = [int(n) for n in re.findall(r'\b(?:uniqueCount|count)="(\d{1,12})"', head)]
                if declared and max(declared) > MAX_SHARED_STRINGS:
                    raise ScheduleFileError(
                        f"This workbook holds {max(declared):,} texts; a schedule workbook may hold at most "
                        f"{MAX_SHARED_STRINGS:,}. Save the schedule alone, or as CSV."
                    )
    except (zipfile.BadZipFile, OSError, RuntimeError) as error:
        raise ScheduleFileError("This file is not a readable XLSX workbook.") from error


def read_xlsx(data):
    from openpyxl import load_workbook

    _check_workbook_size(data)
    try:
        # Formulas are read as formulas (not their cached values) so that they can be refused.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ScheduleFileError("This file is not a readable XLSX workbook.") from error
    sheet = workbook.worksheets[0]
    # The sheet says how far its cells go (A1:XFD1048576 in a hostile file): more rows than a schedule may have
    # is refused before reading, and no more columns than a schedule could use are read.
    if (sheet.max_row or 0) > MAX_TABLE_ROWS + 1:
        used = sheet.calculate_dimension() if sheet.max_column else f"{sheet.max_row:,} rows"
        workbook.close()
        raise ScheduleFileError(f"The first sheet reaches {used}. " + _too_many_rows())
    # The sheet's own row numbers: empty rows come as empty tuples, so counting from 1 keeps them.
    cells = sheet.iter_rows(max_row=MAX_TABLE_ROWS + 2, max_col=MAX_TABLE_COLUMNS)
    rows = [(number, [cell.value for cell in row]) for number, row in enumerate(cells, 1)]
    workbook.close()
    if len(rows) > MAX_TABLE_ROWS + 1 and any(value not in (None, "") for value in rows[-1][1]):
        raise ScheduleFileError(_too_many_rows())
    if not rows:
        raise ScheduleFileError("The workbook's first sheet is empty.")
    return read_table(rows, format_name="XLSX")


READERS = {"SSIM": read_ssim, "CSV": read_csv, "XLSX": read_xlsx}


# --- Checking against the database --------------------------------------------


@dataclass
class CheckedLine:
    source: LineInput
    origin: Airport
    destination: Airport
    aircraft_type: AircraftType

    @property
    def capacity(self):
        return self.source.capacity or self.aircraft_type.total_seats


def _new_aircraft_types(lines, known):
    """The types the lines use that the database lacks and the file gives seats for, by code."""
    seatings = defaultdict(Counter)
    for line in lines:
        if line.aircraft_type not in known and line.seating and re.fullmatch(r"[A-Z0-9]{3}", line.aircraft_type):
            seatings[line.aircraft_type][line.seating] += 1
    return [NewAircraftType(code, aircraft_type_name(code), seatings[code].most_common()) for code in sorted(seatings)]


def check_lines(parsed, *, user, create_aircraft_types=False):
    """Resolve stations (creating airports from airportsdata) and aircraft types; check each line.

    Returns the lines that passed, the errors, and the aircraft types the file uses but the
    database lacks; those are created (with the seats the file gives) when asked, else refused.
    """
    errors = list(parsed.errors)
    types = {t.code: t for t in AircraftType.objects.all()}
    new_types = _new_aircraft_types(parsed.lines, types)
    if create_aircraft_types and new_types:
        created = add_aircraft_types(types=[(t.code, t.name, t.seating) for t in new_types], user=user)
        types.update({t.code: t for t in created})
    creatable = {t.code for t in new_types}
    airports = {}
    checked = []
    for line in parsed.lines:
        problems = []
        if line.valid_to < line.valid_from:
            problems.append(
                RowError(
                    line.row,
                    f"the period ends ({line.valid_to}) before it starts ({line.valid_from})",
                    parsed.column("valid_to"),
                )
            )
        elif (line.valid_to - line.valid_from).days > 800:
            problems.append(RowError(line.row, "a period longer than two years", parsed.column("valid_to")))
        resolved = []
        for label, code in (("origin", line.origin), ("destination", line.destination)):
            if code not in airports:
                try:
                    airports[code] = get_or_create_airport(code=code, user=user)
                except FleetError as error:
                    airports[code] = error
            found = airports[code]
            if isinstance(found, FleetError):
                problems.append(RowError(line.row, str(found), parsed.column(label)))
            resolved.append(found)
        if line.origin == line.destination:
            problems.append(
                RowError(line.row, "origin and destination are the same airport", parsed.column("destination"))
            )
        aircraft_type = types.get(line.aircraft_type)
        if aircraft_type is None:
            if line.aircraft_type in creatable:
                reason = "is not known; add it under Aircraft types first, or let the import create it"
            else:
                reason = "is not known and the file gives no seats for it; add it under Aircraft types first"
            problems.append(
                RowError(line.row, f"aircraft type {line.aircraft_type!r} {reason}", parsed.column("aircraft_type"))
            )
        if problems:
            errors += problems
            continue
        checked.append(CheckedLine(line, resolved[0], resolved[1], aircraft_type))
    return checked, errors, new_types


# --- Expansion and planning ---------------------------------------------------


@dataclass
class PlannedFlight:
    line: CheckedLine
    flight_date: dt.date
    departure: dt.datetime
    arrival: dt.datetime

    @property
    def key(self):
        s = self.line.source
        return (s.carrier, s.number, s.suffix, self.flight_date, s.leg_number)


def _instant(day, time, airport, mode):
    if mode == ScheduleLine.TimeMode.UTC:
        return dt.datetime.combine(day, time, tzinfo=dt.UTC)
    return local_to_utc(day, time, zone(airport.time_zone))


def expand(checked, column=str):
    """Every dated flight the lines describe, and the lines that contradict each other or themselves.

    `column` names a field as the file's format calls it.
    """
    planned = {}
    owner = {}
    errors = {}
    for line in checked:
        s = line.source
        day = s.valid_from
        while day <= s.valid_to:
            if s.days[day.weekday()] != " ":
                departure = _instant(
                    day + dt.timedelta(days=s.departure_day_offset), s.departure_time, line.origin, s.time_mode
                )
                offset = s.arrival_day_offset if s.arrival_day_offset is not None else s.departure_day_offset
                arrival = _instant(day + dt.timedelta(days=offset), s.arrival_time, line.destination, s.time_mode)
                if s.arrival_day_offset is None and arrival <= departure:
                    # No day offset given and the arrival would come first: it lands the next day.
                    arrival = _instant(
                        day + dt.timedelta(days=offset + 1), s.arrival_time, line.destination, s.time_mode
                    )
                if arrival <= departure:
                    errors.setdefault(s.row, (f"on {day} the arrival is not after the departure", column("arrival")))
                else:
                    flight = PlannedFlight(line, day, departure, arrival)
                    if flight.key in planned and owner[flight.key] != s.row:
                        other = owner[flight.key]
                        what = f"{s.designator} leg {s.leg_number} on {day}"
                        errors.setdefault(s.row, (f"contradicts line {other}: both describe {what}", ""))
                        errors.setdefault(other, (f"contradicts line {s.row}: both describe {what}", ""))
                    else:
                        planned[flight.key] = flight
                        owner[flight.key] = s.row
            day += dt.timedelta(days=1)
    return planned, [RowError(row, message, name) for row, (message, name) in sorted(errors.items())]


@dataclass
class Plan:
    create: list = field(default_factory=list)
    update: list = field(default_factory=list)  # (flight id, PlannedFlight)
    cancel: list = field(default_factory=list)  # flight ids
    unchanged: int = 0
    errors: list = field(default_factory=list)


_EXISTING_FIELDS = (
    "id",
    "carrier",
    "number",
    "suffix",
    "flight_date",
    "leg_number",
    "origin_id",
    "destination_id",
    "scheduled_departure",
    "scheduled_arrival",
    "aircraft_type_id",
    "capacity",
    "seats_sold",
    "status",
)


def plan(planned, checked, *, now):
    """Compare the expansion with the flights in the database."""
    result = Plan()
    if not planned:
        return result
    designators = {(c.source.carrier, c.source.number, c.source.suffix) for c in checked}
    first = min(c.source.valid_from for c in checked)
    last = max(c.source.valid_to for c in checked) + dt.timedelta(days=2)
    numbers = {number for _, number, _ in designators}
    existing = {}
    rows = (
        Flight.objects.filter(flight_date__gte=first, flight_date__lte=last, number__in=numbers)
        .values_list(*_EXISTING_FIELDS)
        .iterator(chunk_size=10000)
    )
    for row in rows:
        record = dict(zip(_EXISTING_FIELDS, row, strict=True))
        if (record["carrier"], record["number"], record["suffix"]) in designators:
            existing[
                (record["carrier"], record["number"], record["suffix"], record["flight_date"], record["leg_number"])
            ] = record
    refused = defaultdict(list)
    for key, flight in planned.items():
        current = existing.get(key)
        if current is None:
            result.create.append(flight)
            continue
        line = flight.line
        same_route = (current["origin_id"], current["destination_id"]) == (line.origin.pk, line.destination.pk)
        same_times = (current["scheduled_departure"], current["scheduled_arrival"]) == (
            flight.departure,
            flight.arrival,
        )
        same_aircraft = (current["aircraft_type_id"], current["capacity"]) == (line.aircraft_type.pk, line.capacity)
        if same_route and same_times and same_aircraft:
            result.unchanged += 1
            continue
        what = f"{line.source.designator} leg {line.source.leg_number} on {flight.flight_date}"
        if current["status"] != Flight.Status.SCHEDULED:
            refused[line.source.row].append(f"{what} is {current['status']}: an import does not change it")
        elif current["scheduled_departure"] <= now:
            refused[line.source.row].append(f"{what} has already left: an import does not change it")
        elif current["seats_sold"] and not (same_route and same_times):
            refused[line.source.row].append(f"would move {what}, which has {current['seats_sold']} seat(s) sold")
        elif line.capacity < current["seats_sold"]:
            refused[line.source.row].append(
                f"would shrink {what} to {line.capacity} seats; {current['seats_sold']} are sold"
            )
        else:
            result.update.append((current["id"], flight))
    rows_by_designator = {}
    periods = {}
    for c in checked:
        designator = (c.source.carrier, c.source.number, c.source.suffix)
        rows_by_designator.setdefault(designator, c.source.row)
        first_day, last_day = periods.get(designator, (c.source.valid_from, c.source.valid_to))
        periods[designator] = (min(first_day, c.source.valid_from), max(last_day, c.source.valid_to))
    for key, current in existing.items():
        if key in planned or current["status"] != Flight.Status.SCHEDULED or current["scheduled_departure"] <= now:
            continue
        designator = key[:3]
        first_day, last_day = periods[designator]
        if not first_day <= key[3] <= last_day:
            continue  # Outside the period this file describes for that flight: not this import's business.
        what = f"{designator[0]} {designator[1]}{designator[2]} leg {key[4]} on {key[3]}"
        if current["seats_sold"]:
            refused[rows_by_designator[designator]].append(
                f"would cancel {what}, which has {current['seats_sold']} seat(s) sold"
            )
        else:
            result.cancel.append(current["id"])
    for row, messages in sorted(refused.items()):
        shown = messages[:3] + ([f"and {len(messages) - 3} more"] if len(messages) > 3 else [])
        result.errors.append(RowError(row, "; ".join(shown)))
    return result


# --- Applying -----------------------------------------------------------------


@dataclass
class NewFlight:
    """What `flights_created` says of a flight just written."""

    pk: int
    origin_id: int
    destination_id: int
    capacity: int


def _flight_row(flight):
    line = flight.line
    s = line.source
    return {
        "carrier": s.carrier,
        "number": s.number,
        "suffix": s.suffix,
        "leg_number": s.leg_number,
        "flight_date": flight.flight_date,
        "origin_id": line.origin.pk,
        "destination_id": line.destination.pk,
        "scheduled_departure": flight.departure,
        "scheduled_arrival": flight.arrival,
        "aircraft_type_id": line.aircraft_type.pk,
        "capacity": line.capacity,
        "seats_sold": 0,
        "status": Flight.Status.SCHEDULED,
    }


def _save_lines(checked, user):
    """Keep the imported lines as the schedule of record: upsert by designator, leg and period."""
    current = {
        (line.carrier, line.number, line.suffix, line.itinerary_variation, line.leg_number, line.valid_from): line
        for line in ScheduleLine.objects.filter(number__in={c.source.number for c in checked})
    }
    new, changed = [], []
    for c in checked:
        s = c.source
        # Compared by id: reading line.origin would cost a query per line.
        values = {
            "origin_id": c.origin.pk,
            "destination_id": c.destination.pk,
            "departure_time": s.departure_time,
            "arrival_time": s.arrival_time,
            "time_mode": s.time_mode,
            "departure_day_offset": s.departure_day_offset,
            "arrival_day_offset": s.arrival_day_offset,
            "days_of_operation": s.days,
            "valid_to": s.valid_to,
            "aircraft_type_id": c.aircraft_type.pk,
            "capacity": s.capacity,
        }
        key = (s.carrier, s.number, s.suffix, s.itinerary_variation, s.leg_number, s.valid_from)
        line = current.get(key)
        if line is None:
            new.append(
                ScheduleLine(
                    carrier=s.carrier,
                    number=s.number,
                    suffix=s.suffix,
                    itinerary_variation=s.itinerary_variation,
                    leg_number=s.leg_number,
                    valid_from=s.valid_from,
                    **values,
                )
            )
        elif any(getattr(line, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(line, name, value)
            changed.append(line)
    bulk_create_with_history(new, ScheduleLine, batch_size=BATCH, user=user)
    if changed:
        fields = [
            "origin",
            "destination",
            "departure_time",
            "arrival_time",
            "time_mode",
            "departure_day_offset",
            "arrival_day_offset",
            "days_of_operation",
            "valid_to",
            "aircraft_type",
            "capacity",
        ]
        ScheduleLine.objects.bulk_update(changed, fields, batch_size=BATCH)
        bulk_history_update(changed, ScheduleLine, user=user)


def apply(result, checked, *, user, progress=None):
    """Write the plan: new flights (announced: sales gives them their fare buckets), changed ones,
    cancelled ones. With history."""
    _save_lines(checked, user)
    # Every flight changed or cancelled, locked at once in the one order (backoffice/locks.py):
    # by id across the whole plan, before any is written.
    locked = locks.lock_in_order(flights=[i for i, _ in result.update] + list(result.cancel)).flights
    done = 0
    total = len(result.create) + len(result.update) + len(result.cancel)
    for start in range(0, len(result.create), BATCH):
        batch = [_flight_row(f) for f in result.create[start : start + BATCH]]
        ids = copy_create_with_history(Flight, batch, user=user)
        created = [
            NewFlight(pk, row["origin_id"], row["destination_id"], row["capacity"])
            for pk, row in zip(ids, batch, strict=True)
        ]
        flights_created.send(sender=Flight, flights=created, user=user)
        done += len(batch)
        if progress:
            progress(done, total)
    for start in range(0, len(result.update), BATCH):
        chunk = result.update[start : start + BATCH]
        # Locked, then checked again: a sale may have landed since the plan was read.
        flights = {i: locked[i] for i, _ in chunk}
        for flight_id, planned_flight in chunk:
            _recheck(flights[flight_id], planned_flight)
        changed = []
        for flight_id, planned_flight in chunk:
            flight = flights[flight_id]
            line = planned_flight.line
            flight.origin = line.origin
            flight.destination = line.destination
            flight.scheduled_departure = planned_flight.departure
            flight.scheduled_arrival = planned_flight.arrival
            flight.aircraft_type = line.aircraft_type
            flight.capacity = line.capacity
            changed.append(flight)
        fields = ["origin", "destination", "scheduled_departure", "scheduled_arrival", "aircraft_type", "capacity"]
        Flight.objects.bulk_update(changed, fields, batch_size=BATCH)
        bulk_history_update(changed, Flight, user=user)
        done += len(chunk)
        if progress:
            progress(done, total)
    for start in range(0, len(result.cancel), BATCH):
        flights = [locked[i] for i in result.cancel[start : start + BATCH] if i in locked]
        for flight in flights:
            if flight.seats_sold or flight.status != Flight.Status.SCHEDULED:
                raise ScheduleConflict(f"{flight} was sold or changed during the import; import the file again.")
        for flight in flights:
            flight.status = Flight.Status.CANCELLED
        Flight.objects.bulk_update(flights, ["status"], batch_size=BATCH)
        bulk_history_update(flights, Flight, user=user)
        done += len(flights)
        if progress:
            progress(done, total)


def apply_or_refuse(result, checked, *, user, progress=None):
    """`apply` in a savepoint: None once written, else the refusal (a RowError) and nothing written."""
    try:
        with transaction.atomic():
            apply(result, checked, user=user, progress=progress)
    except ScheduleConflict as error:
        return RowError(0, str(error))
    except OperationalError as error:
        if not locks.is_lock_error(error):
            raise
        # The flights stayed busy past the lock timeout (sales, a cancellation).
        return RowError(0, "The flights are busy with sales right now: import the file again in a moment.")
    return None


class ScheduleConflict(FleetError):
    """A flight changed between the plan and the write (a sale landed): nothing is written."""


def _recheck(flight, planned_flight):
    line = planned_flight.line
    moved = (flight.origin_id, flight.destination_id, flight.scheduled_departure, flight.scheduled_arrival) != (
        line.origin.pk,
        line.destination.pk,
        planned_flight.departure,
        planned_flight.arrival,
    )
    if flight.status != Flight.Status.SCHEDULED or (flight.seats_sold and moved) or line.capacity < flight.seats_sold:
        raise ScheduleConflict(f"{flight} was sold or changed during the import; import the file again.")


def import_schedule(parsed, *, user, dry_run=False, now=None, progress=None, create_aircraft_types=False):
    """Check, expand, plan and (unless dry_run or anything is refused) apply, in one transaction.

    With create_aircraft_types, the aircraft types the file uses and the database lacks are
    created with the seats the file gives them (in the same transaction: kept only if the
    import is); without, the lines using them are refused.
    """
    now = now or timezone.now()
    summary = ImportSummary(
        format=parsed.format,
        lines_read=parsed.records_read,
        legs=len(parsed.lines),
        segment_records=parsed.segment_records,
        creates_aircraft_types=create_aircraft_types,
    )
    with transaction.atomic():
        checked, errors, summary.new_aircraft_types = check_lines(
            parsed, user=user, create_aircraft_types=create_aircraft_types
        )
        planned, contradictions = expand(checked, parsed.column)
        errors += contradictions
        contradicted = {e.row for e in contradictions}
        if contradicted:
            planned = {k: f for k, f in planned.items() if f.line.source.row not in contradicted}
        result = plan(planned, checked, now=now)
        errors += result.errors
        summary.refused = sorted(errors, key=lambda e: e.row)
        summary.flights_created = len(result.create)
        summary.flights_updated = len(result.update)
        summary.flights_unchanged = result.unchanged
        summary.flights_cancelled = len(result.cancel)
        written = result.create + [flight for _, flight in result.update]
        summary.flights_in_past = sum(1 for flight in written if flight.departure <= now)
        summary.flights_by_other_carrier = dict(
            Counter(f.line.source.carrier for f in written if f.line.source.carrier != settings.AIRLINE_CODE)
        )
        if summary.refused or dry_run:
            # Airports found in airportsdata along the way are not kept either: all or nothing.
            transaction.set_rollback(True)
            return summary
        refusal = apply_or_refuse(result, checked, user=user, progress=progress)
        if refusal is not None:
            summary.refused = [refusal]
            transaction.set_rollback(True)
            return summary
        summary.written = True
    return summary
