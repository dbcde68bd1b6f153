"""Reading an IATA SSIM Chapter 7 file: 200-byte records, one flight leg per type 3 record."""

import datetime as dt
import re

from fleet.aircraft_reference import Seating
from fleet.models import MAX_SEATS, ScheduleLine
from fleet.schedule.lines import CellError, LineInput, ParsedSchedule, RowError, ScheduleFileError

SSIM_RECORD_LENGTH = 200


MONTHS = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}


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


def ssim_date(text):
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


def days_of_operation(text):
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
        days=_ssim_field("days", days_of_operation, r[28:35]),
        valid_from=_ssim_field("valid_from", ssim_date, r[14:21]),
        valid_to=_ssim_field("valid_to", ssim_date, r[21:28]),
        aircraft_type=r[72:75].strip(),
        capacity=seating.total if seating else None,
        time_mode=time_mode,
        seating=seating,
    )
