"""Schedule import in the admin, through django-import-export.

The person uploads a file; its format (SSIM, CSV or XLSX) is read from the file, never
asked. `fleet.schedule` reads and checks it in the preview, which lists each refused
line by its number in the file and its column, the aircraft types the import would
create, and what deserves a second look (flights in the past, another carrier's). On
confirmation the whole schedule is written in the import's transaction, or nothing.

import-export's row machinery is not used: the schedule is checked and written as a whole.
The dataset holds one row standing for the file, and a refused file is one invalid row,
which is what tells import-export not to offer the confirmation.
"""

import tablib
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.formats.base_formats import Format
from import_export.forms import ConfirmImportForm
from import_export.forms import ImportForm as BaseImportForm
from import_export.results import RowResult
from unfold.contrib.import_export.forms import ImportForm
from unfold.widgets import UnfoldBooleanWidget

from fleet import schedule
from fleet.models import ScheduleLine


class ScheduleFormat(Format):
    """A schedule file read by `fleet.schedule`; the dataset carries the parsed schedule."""

    title = ""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return self.title

    def get_extension(self):
        return self.title.lower()

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def can_import(self):
        return True

    def can_export(self):
        return False

    def create_dataset(self, in_stream, **kwargs):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode()
        dataset = tablib.Dataset([self.title], headers=["file"])
        dataset.parsed = schedule.READERS[self.title](data)
        legs = len(dataset.parsed.lines) + len(dataset.parsed.errors)
        if legs > settings.SCHEDULE_UPLOAD_MAX_LINES:
            # A schedule this large is imported by a job (ScheduleLineAdmin.import_in_background) before it
            # gets here: a preview of it would hold the web worker past its timeout.
            raise schedule.ScheduleFileError(
                f"This schedule has {legs:,} lines; an upload here may have at most "
                f"{settings.SCHEDULE_UPLOAD_MAX_LINES:,}, which is what an import can do while you wait. Split the "
                "season into several files, or import it on the server with: manage.py import_schedule FILE"
            )
        return dataset


SCHEDULE_FORMATS = [type(f"{name}ScheduleFormat", (ScheduleFormat,), {"title": name}) for name in schedule.FORMATS]


class ScheduleImportForm(ImportForm):
    """The upload: one file, whose format is detected here, so the person never picks it."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.titles = [f().get_title() for f in formats]
        self.fields["format"] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.fields["import_file"].label = _("Schedule file")
        self.fields["import_file"].help_text = _("IATA SSIM, CSV or XLSX: the format is read from the file.")
        # Hidden, with one choice: any other value was not typed on this page.
        changed = _("This upload form was changed: open the import page again and upload the file.")
        self.fields["resource"].error_messages.update(required=changed, invalid_choice=changed)

    @property
    def media(self):
        # Not import-export's script that guesses the format select from the file name: there is no select.
        return super(BaseImportForm, self).media

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is None:
            return cleaned
        try:
            schedule.check_size(upload.size)
            data = upload.read()
            upload.seek(0)
            cleaned["format"] = str(self.titles.index(schedule.detect_format(data, name=upload.name)))
        except schedule.ScheduleFileError as error:
            self.add_error("import_file", str(error))
        return cleaned


class ScheduleConfirmForm(ConfirmImportForm):
    create_aircraft_types = forms.BooleanField(
        label=_("Create these aircraft types, with the seats the file gives"),
        required=False,
        widget=UnfoldBooleanWidget,
    )


class ScheduleImportResource(resources.ModelResource):
    file = fields.Field(column_name="file")

    class Meta:
        model = ScheduleLine
        fields = ("file",)
        import_id_fields = ("file",)
        use_transactions = True

    def import_row(self, row, instance_loader, **kwargs):
        result = self.get_row_result_class()()
        result.import_type = RowResult.IMPORT_TYPE_SKIP
        return result

    def after_import(self, dataset, result, **kwargs):
        summary = schedule.import_schedule(
            dataset.parsed,
            user=kwargs.get("user"),
            dry_run=kwargs.get("dry_run", True),
            create_aircraft_types=kwargs.get("create_aircraft_types", False),
        )
        result.schedule_summary = summary
        if summary.refused:
            refused = "; ".join(str(e) for e in summary.refused[:10])
            result.append_invalid_row(0, {}, ValidationError(refused))
