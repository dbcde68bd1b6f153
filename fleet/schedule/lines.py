"""What a schedule file is read into: its lines, before the database is consulted, and its errors."""

import datetime as dt
from dataclasses import dataclass, field

from fleet.aircraft_reference import Seating
from fleet.exceptions import FleetError
from fleet.models import ScheduleLine


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
