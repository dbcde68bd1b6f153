"""Report files made in the background (backoffice/jobs.py): the ones too large to make while the person waits."""

from django.utils.translation import gettext as _

from backoffice import jobs, replica
from reporting import files
from reporting.reports import REPORTS

EXPORT = "report_export"


def start_export(*, user, report, form, listing, file_format, separator="comma"):
    """Start making this report's file in the background, or give the same one already on its way."""
    params = {
        "report": report.slug,
        "listing": bool(listing),
        "format": file_format,
        "separator": separator,
        # What was asked, as the form read it: the same request twice is the same job.
        "query": {key: form.data.getlist(key) for key in sorted(form.data) if key not in ("page", "separator")},
    }
    title = _("%(report)s, %(first)s to %(last)s, %(format)s") % {
        "report": report.listing_title if listing else report.title,
        "first": form.date_range.first,
        "last": form.date_range.last,
        "format": {"csv": "CSV", "xlsx": "Excel", "pdf": "PDF"}[file_format],
    }
    return jobs.start(user=user, kind=EXPORT, params=params, title=str(title))


@jobs.kind(EXPORT)
def export_report(job, progress):
    # Off the primary when there is a replica (backoffice/replica.py); the job's own row stays on the primary.
    with replica.for_reports():
        return _export(job, progress)


def _export(job, progress):
    params = job.params
    report = REPORTS.get(params.get("report"))
    file_format = params.get("format")
    if report is None or file_format not in files.FORMATS:
        raise jobs.JobFailed(_("This export asks for a report or a format that does not exist."))
    user = job.user
    # Asked again when the job runs: a person who lost the right since does not get the file.
    agent = (params["query"].get("agent") or [None])[0]
    if not (user.is_active and report.permitted(user) and report.may_open(user, agent)):
        raise jobs.JobFailed(_("You may no longer run this report."))
    form = files.report_form(report, params["query"], user=user, listing=params.get("listing"))
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in form.errors.items())
        raise jobs.JobFailed(_("The report's parameters are not valid any more: %(errors)s") % {"errors": errors})
    rows = files.rows_of(report, form, listing=params.get("listing"))
    progress.total(rows.count())
    rows.rows = progress.rows(rows.rows)
    document = files.write_file(
        report,
        form,
        user=user,
        listing=params.get("listing"),
        file_format=file_format,
        rows=rows,
        separator=params.get("separator") or "comma",
    )
    name = files.file_name(report, form, listing=params.get("listing"), file_format=file_format)
    return jobs.Result(file=document, file_name=name)
