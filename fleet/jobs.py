"""Schedule imports too large to preview while the Admin waits, done by a job (backoffice/jobs.py).

A schedule with more lines than SCHEDULE_UPLOAD_MAX_LINES is stored whole when uploaded, then checked,
expanded, planned and applied by a worker in one transaction, like `manage.py import_schedule`: all or
nothing. A worker killed half-way leaves nothing imported (the transaction dies with its connection), and
the job, run again, imports the file from the start; importing the same file twice changes nothing.
"""

import uuid
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from backoffice import jobs
from backoffice.models import job_files
from fleet import schedule

SCHEDULE_IMPORT = "schedule_import"


def start_import(*, data, name, user, create_aircraft_types):
    """Store the uploaded schedule and start importing it in the background."""
    suffix = "".join(ch for ch in PurePath(name).suffix[:8] if ch.isalnum() or ch == ".")
    stored = job_files().save(f"schedule-uploads/{uuid.uuid4().hex}{suffix}", ContentFile(data))
    title = _("Schedule import: %(name)s") % {"name": schedule.cut(name)}
    params = {"file": stored, "name": name[:200], "create_aircraft_types": bool(create_aircraft_types)}
    return jobs.start(user=user, kind=SCHEDULE_IMPORT, params=params, title=str(title))


@jobs.kind(SCHEDULE_IMPORT)
def import_in_background(job, progress):
    user = job.user
    if not (user.is_active and user.has_perm("fleet.add_scheduleline")):
        raise jobs.JobFailed(_("You may no longer import schedules."))
    storage = job_files()
    try:
        with storage.open(job.params["file"], "rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        raise jobs.JobFailed(_("The uploaded file is no longer kept: upload it again.")) from None
    try:
        parsed = schedule.read_file(data, name=job.params["name"])
    except schedule.ScheduleFileError as error:
        raise jobs.JobFailed(str(error)) from None
    create_types = job.params["create_aircraft_types"] and user.has_perm("fleet.add_aircrafttype")
    summary = schedule.import_schedule(parsed, user=user, progress=progress.set, create_aircraft_types=create_types)
    storage.delete(job.params["file"])  # imported, or refused for good: either way not needed again
    if summary.refused:
        raise jobs.JobFailed(
            _("Nothing was imported: %(count)s line(s) refused.") % {"count": len(summary.refused)}
            + "\n"
            + "\n".join(summary.lines())
        )
    return jobs.Result(message="\n".join(summary.lines()))
