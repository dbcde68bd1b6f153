import sys
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from backoffice.system import system_user
from fleet import schedule


class Command(BaseCommand):
    help = (
        "Import a schedule (IATA SSIM, CSV or XLSX; the format is detected) and expand it into dated flights. "
        "All or nothing: any refused line means nothing is written, and the command exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The schedule file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")
        parser.add_argument("--user", help="Username to record as the author (default: the system account).")
        parser.add_argument(
            "--create-aircraft-types",
            action="store_true",
            help="Create the aircraft types the file uses and the database lacks, with the seats the file gives.",
        )

    def handle(self, *args, file, dry_run, user, create_aircraft_types, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        author = system_user()
        if user:
            author = User.objects.filter(username=user, is_active=True).first()
            if author is None:
                raise CommandError(f"--user {user}: no active user of that name.")
        try:
            schedule.check_size(path.stat().st_size)
            parsed = schedule.read_file(path.read_bytes(), name=path.name)
        except schedule.ScheduleFileError as error:
            raise CommandError(f"{file}: {error}") from error
        summary = schedule.import_schedule(
            parsed,
            user=author,
            dry_run=dry_run,
            progress=self._progress(),
            create_aircraft_types=create_aircraft_types,
        )
        if self._bar_shown:
            self.stderr.write("")
        for line in summary.lines():
            self.stdout.write(line)
        if summary.new_aircraft_types and not create_aircraft_types:
            self.stdout.write("Run again with --create-aircraft-types to create the unknown aircraft types above.")
        if summary.refused:
            raise CommandError(f"{len(summary.refused)} line(s) refused: nothing was written.")
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
