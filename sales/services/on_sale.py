"""When a flight may be sold at the counter, and where its check-in stands: they close together."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from backoffice.rules import ALLOWED, refuse
from fleet.models import Flight
from sales.exceptions import FlightNotBookable

# Counter sales close when check-in does (docs/decisions.md).
SALES_CLOSE_BEFORE_DEPARTURE = dt.timedelta(minutes=settings.CHECK_IN_CLOSES_MINUTES)


def can_sell_on(flight, *, now=None):
    """Whether the counter may sell seats on this flight now: scheduled, and sales not yet closed."""
    now = now or timezone.now()
    if flight.status != Flight.Status.SCHEDULED:
        return refuse(FlightNotBookable(f"{flight} is {flight.get_status_display().lower()}: it cannot be sold."))
    if flight.scheduled_departure <= now + SALES_CLOSE_BEFORE_DEPARTURE:
        minutes = int(SALES_CLOSE_BEFORE_DEPARTURE.total_seconds() // 60)
        return refuse(FlightNotBookable(f"Sales for {flight} have closed ({minutes} minutes before departure)."))
    return ALLOWED


@dataclass(frozen=True)
class CheckIn:
    """Where a departure's check-in at the airport counter stands, read from the clock (docs/decisions.md).

    `state` is one of CHECK_IN_STATES; `at` the local time it changes next (opening, closing), if any.
    """

    state: str
    at: object = None


CHECK_IN_STATES = ("not_open", "open", "closed", "departure_due", "departed", "cancelled")


def check_in(flight, *, now=None):
    """Not open yet, open, closed (with counter sales), departure due (the time has passed and nobody
    recorded it), departed or cancelled."""
    now = now or timezone.now()
    if flight.status == Flight.Status.CANCELLED:
        return CheckIn("cancelled")
    if flight.status == Flight.Status.DEPARTED:
        return CheckIn("departed")
    opens = flight.scheduled_departure - dt.timedelta(hours=settings.CHECK_IN_OPENS_HOURS)
    closes = flight.scheduled_departure - SALES_CLOSE_BEFORE_DEPARTURE
    if now < opens:
        return CheckIn("not_open", opens)
    if now < closes:
        return CheckIn("open", closes)
    if now < flight.scheduled_departure:
        return CheckIn("closed")
    return CheckIn("departure_due")
