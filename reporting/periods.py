"""Date ranges and periods in the business time zone.

A report's range is two calendar days, both whole, in the installation's
business time zone: from local midnight at the start of the first day to
local midnight at the end of the last (a DST day is 23 or 25 hours long, and
zoneinfo makes it so). Rows are grouped by the local day, ISO week (Monday to
Sunday, labelled with its ISO year and week number, so 29 Dec 2025 is in
2026-W01) or month they fall in; the database truncates, in the business zone,
on PostgreSQL and on SQLite alike.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DateField
from django.db.models.functions import Trunc
from django.utils.translation import gettext_lazy as _


class Grouping:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    choices = [(DAY, _("Day")), (WEEK, _("ISO week")), (MONTH, _("Month"))]
    values = [value for value, _label in choices]


def business_zone():
    return ZoneInfo(settings.BUSINESS_TIME_ZONE)


@dataclass(frozen=True)
class DateRange:
    """Whole local days `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    @property
    def zone(self):
        return business_zone()

    @property
    def start(self):
        """The first instant inside: local midnight opening `first`, aware."""
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=self.zone)

    @property
    def end(self):
        """The first instant outside: local midnight closing `last`, aware."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=self.zone)

    @property
    def days(self):
        return (self.last - self.first).days + 1

    def instants(self, field):
        """Lookups keeping the rows whose `field` (a stored UTC time) falls inside."""
        return {f"{field}__gte": self.start, f"{field}__lt": self.end}

    def dates(self, field):
        """Lookups keeping the rows whose `field` (a calendar date) falls inside."""
        return {f"{field}__gte": self.first, f"{field}__lte": self.last}


def period_of(field, grouping, *, calendar_date=False):
    """The database expression giving the local date that opens a row's period (day, Monday, 1st).

    `field` is a stored UTC time, read in the business zone; or, with `calendar_date`, a date already.
    """
    if grouping not in Grouping.values:
        raise ValueError(f"Unknown grouping {grouping!r}")
    zone = None if calendar_date else business_zone()
    return Trunc(field, grouping, output_field=DateField(), tzinfo=zone)


def period_label(opening, grouping):
    """How a period is written: `2026-01-05`, `2026-W02`, `2026-01`."""
    if grouping == Grouping.WEEK:
        year, week, _day = opening.isocalendar()
        return f"{year}-W{week:02d}"
    if grouping == Grouping.MONTH:
        return f"{opening:%Y-%m}"
    return opening.isoformat()
