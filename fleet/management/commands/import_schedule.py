import sys
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from backoffice.system import system_user
from fleet import schedule


class Command(BaseCommand):
    help = (
        "Import a schedule (IATA SSIM, CSV or XLSX; the format is detected) and expand it into dated flights. "
        "All or nothing: any refused row means nothing is written, and the command exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The schedule file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")
        parser.add_argument("--user", help="Username to record as the author (default: the system account).")

    def handle(self, *args, file, dry_run, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        if path.stat().st_size > schedule.MAX_FILE_BYTES:
            raise CommandError(
                f"{file} is {path.stat().st_size / 1024 / 1024:.1f} MB; a schedule file may be at most "
                f"{schedule.MAX_FILE_BYTES // 1024 // 1024} MB."
            )
        author = system_user()
        if user:
            author = User.objects.filter(username=user, is_active=True).first()
            if author is None:
                raise CommandError(f"--user {user}: no active user of that name.")
        try:
            parsed = schedule.read_file(path.read_bytes(), name=path.name)
        except schedule.ScheduleFileError as error:
            raise CommandError(f"{file}: {error}") from error
        summary = schedule.import_schedule(parsed, user=author, dry_run=dry_run, progress=self._progress())
        if self._bar_shown:
            self.stderr.write("")
        for line in summary.lines():
            self.stdout.write(line)
        if summary.refused:
            raise CommandError(f"{len(summary.refused)} row(s) refused: nothing was written.")
        self.stdout.write("Dry run: nothing was written." if dry_run else "Imported.")

    _bar_shown = False

    def _progress(self):
        if not sys.stderr.isatty():
            return None

        def show(done, total):
            width = 40
            filled = int(width * done / total) if total else width
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} flights", ending="")
            self.stderr.flush()
            self._bar_shown = True

        return show
