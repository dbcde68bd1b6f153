"""Schedule import: read schedule lines (IATA SSIM Chapter 7, CSV or XLSX), check every
line, expand each line into dated flights and apply the result in one transaction.

Nothing is written when any line is refused: the caller gets every line's reason, with
the line number as the file shows it and the column at fault.
Local times become UTC per date with each airport's time zone, so daylight-saving
changes land right. Importing the same file twice changes nothing.

One module per step, in the order an import takes them:

- `lines`: what a file is read into (`LineInput`, `ParsedSchedule`) and its errors (`RowError`);
- `limits`: what a file may be (size, rows, columns, cells, a workbook's unpacked size and texts);
- `ssim`, `tables`: reading an SSIM file, a CSV file or an XLSX workbook;
- `reading`: which format a file is, and reading it (`read_file`);
- `checking`: stations and aircraft types checked against the database (`check_lines`);
- `periods`: periods of operation expanded into dated flights (`expand`);
- `planning`: those compared with the database's flights (`plan`);
- `applying`: the plan written, under the one lock order (`apply`, `apply_or_refuse`);
- `importing`: all of it in one transaction, and its summary (`import_schedule`).

The names callers use are importable from here (`from fleet import schedule; schedule.read_file(...)`).
A test that replaces one patches the module that looks it up (`fleet.schedule.importing.plan`).
"""

from fleet.schedule.applying import NewFlight, ScheduleConflict, apply, apply_or_refuse
from fleet.schedule.checking import CheckedLine, NewAircraftType, check_lines
from fleet.schedule.importing import ImportSummary, import_schedule
from fleet.schedule.limits import (
    EXCERPT_CHARS,
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_SHARED_STRINGS,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    MAX_XLSX_UNPACKED_BYTES,
    check_size,
    cut,
    excerpt,
)
from fleet.schedule.lines import CellError, LineInput, ParsedSchedule, RowError, ScheduleFileError
from fleet.schedule.periods import PlannedFlight, expand
from fleet.schedule.planning import Plan, plan
from fleet.schedule.reading import FORMATS, READERS, SCHEDULE_KINDS, detect_format, read_file
from fleet.schedule.ssim import SSIM_COLUMNS, SSIM_RECORD_LENGTH, read_ssim
from fleet.schedule.tables import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, TABLE_COLUMNS, read_csv, read_table, read_xlsx

__all__ = [
    "EXCERPT_CHARS",
    "FORMATS",
    "MAX_CELL_CHARS",
    "MAX_FILE_BYTES",
    "MAX_SHARED_STRINGS",
    "MAX_TABLE_COLUMNS",
    "MAX_TABLE_ROWS",
    "MAX_XLSX_UNPACKED_BYTES",
    "OPTIONAL_COLUMNS",
    "READERS",
    "REQUIRED_COLUMNS",
    "SCHEDULE_KINDS",
    "SSIM_COLUMNS",
    "SSIM_RECORD_LENGTH",
    "TABLE_COLUMNS",
    "CellError",
    "CheckedLine",
    "ImportSummary",
    "LineInput",
    "NewAircraftType",
    "NewFlight",
    "ParsedSchedule",
    "Plan",
    "PlannedFlight",
    "RowError",
    "ScheduleConflict",
    "ScheduleFileError",
    "apply",
    "apply_or_refuse",
    "check_lines",
    "check_size",
    "cut",
    "detect_format",
    "excerpt",
    "expand",
    "import_schedule",
    "plan",
    "read_csv",
    "read_file",
    "read_ssim",
    "read_table",
    "read_xlsx",
]
