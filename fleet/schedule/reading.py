"""A schedule file of any format: which one it is, from its name and content, and its lines read."""

import csv
import io
import zipfile

from fleet.schedule.limits import check_size
from fleet.schedule.lines import ScheduleFileError
from fleet.schedule.ssim import SSIM_RECORD_LENGTH, read_ssim
from fleet.schedule.tables import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, column_names, csv_reader, read_csv, read_xlsx

FORMATS = ("SSIM", "CSV", "XLSX")
SCHEDULE_KINDS = (
    "A schedule file is SSIM, CSV or XLSX: an IATA SSIM file (Chapter 7, 200-byte records), "
    "a CSV file whose first line names the columns, or an Excel workbook saved as .xlsx."
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
        header = [] if "\x00" in text else column_names(next(csv_reader(text), []))
    except (UnicodeDecodeError, csv.Error):
        header = []
    if not set(header) & (REQUIRED_COLUMNS | OPTIONAL_COLUMNS):
        raise ScheduleFileError(f"This is not a schedule file. {SCHEDULE_KINDS}")
    return "CSV"


def read_file(data, *, name=""):
    """Detect the format (SSIM, XLSX or CSV) and read the schedule lines."""
    return READERS[detect_format(data, name=name)](data)


READERS = {"SSIM": read_ssim, "CSV": read_csv, "XLSX": read_xlsx}
