"""Cancelling a flight with many tickets, in the background (backoffice/jobs.py).

The cancellation is one transaction (refunds.services.cancel_flight): a worker killed half-way leaves the
flight as it was, and the job, run again, cancels it whole. A run that finds the flight cancelled already
(its first run committed, then died before saying so) reports it done.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from backoffice import jobs
from backoffice.errors import AlreadyDone
from fleet.models import Flight
from refunds import services
from sales.models import Ticket

CANCEL_FLIGHT = "cancel_flight"


def live_tickets(flight):
    return Ticket.objects.filter(flight=flight, status__in=[Ticket.Status.OPEN, Ticket.Status.HELD]).count()


def in_background(flight):
    """Whether cancelling this flight is work for a job: more live tickets than FLIGHT_CANCEL_BACKGROUND_TICKETS."""
    return live_tickets(flight) > settings.FLIGHT_CANCEL_BACKGROUND_TICKETS


def start_cancellation(*, flight, user):
    title = _("Cancel %(flight)s") % {"flight": flight}
    return jobs.start(user=user, kind=CANCEL_FLIGHT, params={"flight": flight.pk}, title=str(title))


def cancellation_message(done):
    return _(
        "%(flight)s cancelled: %(refunds)s involuntary refund request(s), %(seats)s seat(s) released, "
        "%(holds)s held booking(s) cancelled."
    ) % {
        "flight": done.flight,
        "refunds": done.refunds_requested,
        "seats": done.seats_released,
        "holds": done.holds_cancelled,
    }


@jobs.kind(CANCEL_FLIGHT)
def cancel_flight(job, progress):
    flight = Flight.objects.filter(pk=job.params.get("flight")).first()
    if flight is None:
        raise jobs.JobFailed(_("This flight no longer exists."))
    user = job.user
    # Asked again when the job runs: a person who lost the right since cancels nothing.
    if not (user.is_active and user.has_perm("fleet.change_flight")):
        raise jobs.JobFailed(_("You may no longer cancel flights."))
    if flight.status == Flight.Status.CANCELLED and job.attempts > 1:
        return jobs.Result(message=_("%(flight)s is cancelled.") % {"flight": flight})
    progress.total(live_tickets(flight))
    try:
        done = services.cancel_flight(flight=flight, user=user)
    except AlreadyDone as error:
        return jobs.Result(message=str(error))
    message = cancellation_message(done)
    if done.paid_holds:
        message += " " + _("Held bookings already paid, to settle at the counter: %(locators)s.") % {
            "locators": ", ".join(done.paid_holds)
        }
    return jobs.Result(message=message)
