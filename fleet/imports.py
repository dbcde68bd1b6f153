"""Schedule import in the admin, through django-import-export.

The formats read the uploaded file with `fleet.schedule` (SSIM, CSV or XLSX); the
resource checks every row against the database in the preview, lists each refused
row with its reason, and on confirmation writes the whole schedule in the import's
transaction, or nothing.
"""

import tablib
from django.core.exceptions import ValidationError
from import_export import fields, resources
from import_export.formats.base_formats import Format
from import_export.results import RowResult

from fleet import schedule
from fleet.models import ScheduleLine

PREVIEW_HEADERS = ["row in file", "flight", "leg", "route", "period", "days", "times", "aircraft", "reading"]


class ScheduleFormat(Format):
    """A schedule file read by `fleet.schedule`; the rows become a preview table."""

    title = ""
    extension = ""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return self.title

    def get_extension(self):
        return self.extension

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def can_import(self):
        return True

    def can_export(self):
        return False

    def read(self, data):
        raise NotImplementedError

    def create_dataset(self, in_stream, **kwargs):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode()
        schedule.check_size(data)
        parsed = self.read(data)
        dataset = tablib.Dataset(headers=PREVIEW_HEADERS)
        for line in parsed.lines:
            dataset.append(
                [
                    line.row,
                    line.designator,
                    line.leg_number,
                    f"{line.origin}-{line.destination}",
                    f"{line.valid_from}..{line.valid_to}",
                    line.days,
                    f"{line.departure_time:%H:%M}-{line.arrival_time:%H:%M}",
                    line.aircraft_type,
                    "",
                ]
            )
        for error in parsed.errors:
            dataset.append([error.row, "", "", "", "", "", "", "", error.message])
        dataset.parsed = parsed
        return dataset


class SSIMFormat(ScheduleFormat):
    # The title matches the file extension, so the admin picks the format from the file name.
    title = "SSIM"
    extension = "ssim"

    def read(self, data):
        return schedule.read_ssim(data)


class CSVScheduleFormat(ScheduleFormat):
    title = "CSV"
    extension = "csv"

    def read(self, data):
        return schedule.read_csv(data)


class XLSXScheduleFormat(ScheduleFormat):
    title = "XLSX"
    extension = "xlsx"

    def read(self, data):
        return schedule.read_xlsx(data)


SCHEDULE_FORMATS = [CSVScheduleFormat, XLSXScheduleFormat, SSIMFormat]


class ScheduleImportResource(resources.ModelResource):
    row = fields.Field(attribute="row", column_name="row in file")

    class Meta:
        model = ScheduleLine
        fields = ("row",)
        import_id_fields = ("row",)
        report_skipped = False
        use_transactions = True

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        self.parsed = dataset.parsed
        self.refused = {}
        # Every check runs on the whole file first, so the preview can list each row's reason.
        self.summary = schedule.import_schedule(self.parsed, user=self.user, dry_run=True)
        self.refused = {}
        for error in self.summary.refused:
            self.refused.setdefault(error.row, []).append(error.message)

    def import_row(self, row, instance_loader, **kwargs):
        result = self.get_row_result_class()()
        result.number = kwargs.get("row_number")
        messages = self.refused.get(int(row["row in file"] or 0))
        if messages:
            result.import_type = RowResult.IMPORT_TYPE_INVALID
            result.validation_error = ValidationError("; ".join(messages))
        else:
            result.import_type = RowResult.IMPORT_TYPE_SKIP
        return result

    def after_import(self, dataset, result, **kwargs):
        if not kwargs.get("dry_run") and not result.has_validation_errors():
            self.summary = schedule.import_schedule(self.parsed, user=self.user)
            result.schedule_summary = self.summary
            if self.summary.refused:
                # The schedule changed under us between preview and confirmation.
                raise ValidationError("; ".join(str(e) for e in self.summary.refused[:10]))
        result.schedule_summary = self.summary
