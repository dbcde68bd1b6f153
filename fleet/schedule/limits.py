"""What a schedule file may be, whoever imports it: its size, its rows, columns and cells, a workbook's
unpacked size and texts; and how much of a value a message quotes back."""

from fleet.schedule.lines import ScheduleFileError

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


def check_size(size):
    """Refuse an empty file, or one too big to read, from its size in bytes."""
    if not size:
        raise ScheduleFileError("The file is empty.")
    if size > MAX_FILE_BYTES:
        raise ScheduleFileError(
            f"The file is {size / 1024 / 1024:.1f} MB; a schedule file may be at most "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Split the season."
        )


def too_many_rows():
    return (
        f"The file has more than {MAX_TABLE_ROWS:,} rows; a schedule file may have at most that many. "
        "Split the season into several files."
    )


def cut(value):
    """A value as a message shows it: at most EXCERPT_CHARS characters, visibly cut."""
    text = str(value)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def excerpt(value):
    """A value as a message quotes it."""
    return repr(cut(value))
