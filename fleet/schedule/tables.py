"""Reading a schedule table: a CSV file, or the first sheet of an XLSX workbook, whose first row names the
columns (TABLE_COLUMNS)."""

import csv
import datetime as dt
import io
import re
import zipfile

from fleet.aircraft_reference import Seating
from fleet.schedule.limits import (
    MAX_CELL_CHARS,
    MAX_SHARED_STRINGS,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    MAX_XLSX_UNPACKED_BYTES,
    cut,
    excerpt,
    too_many_rows,
)
from fleet.schedule.lines import CellError, LineInput, ParsedSchedule, RowError, ScheduleFileError
from fleet.schedule.ssim import days_of_operation, ssim_date

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


_FORMULA = re.compile(r"^[=@]|^[+-](?!\d)")
_DESIGNATOR = re.compile(r"^\s*([A-Z0-9]{2})\s*(\d{1,4})([A-Z]?)\s*$")


def read_table(rows, *, format_name):
    """Schedule lines from a table (CSV or XLSX): rows of (line number in the file, cells), the header first."""
    (header_line, headers), *body = rows
    names = column_names(headers)
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


def column_names(headers):
    return [str(h or "").strip().lower().replace(" ", "_") for h in headers]


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
        return ssim_date(text.upper())
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
        days = days_of_operation(cells.get("days"))
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


def csv_reader(text):
    """Comma-separated, or semicolon- or tab-separated when the first line says so (as some spreadsheets save)."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return csv.reader(io.StringIO(text), delimiter=delimiter)


def read_csv(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScheduleFileError("This is not a UTF-8 CSV file: save it as CSV UTF-8 and upload it again.") from error
    reader = csv_reader(text)
    rows = []
    first_line = 1
    try:
        for values in reader:
            if len(rows) > MAX_TABLE_ROWS:
                raise ScheduleFileError(too_many_rows())
            rows.append((first_line, values[:MAX_TABLE_COLUMNS]))
            first_line = reader.line_num + 1  # a quoted cell may span lines: the next row starts after it
    except csv.Error as error:
        raise ScheduleFileError(f"Line {first_line} is not valid CSV: {error}.") from error
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise ScheduleFileError("The file is empty.")
    return read_table(rows, format_name="CSV")


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
        raise ScheduleFileError(f"The first sheet reaches {used}. " + too_many_rows())
    # The sheet's own row numbers: empty rows come as empty tuples, so counting from 1 keeps them.
    cells = sheet.iter_rows(max_row=MAX_TABLE_ROWS + 2, max_col=MAX_TABLE_COLUMNS)
    rows = [(number, [cell.value for cell in row]) for number, row in enumerate(cells, 1)]
    workbook.close()
    if len(rows) > MAX_TABLE_ROWS + 1 and any(value not in (None, "") for value in rows[-1][1]):
        raise ScheduleFileError(too_many_rows())
    if not rows:
        raise ScheduleFileError("The workbook's first sheet is empty.")
    return read_table(rows, format_name="XLSX")
