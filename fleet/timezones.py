"""Local airport time <-> UTC.

Schedules are written in each airport's local time. A local time is turned
into UTC for its own date, so that a 10:00 departure stays 10:00 local on
both sides of a daylight-saving change.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@lru_cache(maxsize=1)
def _known_zones():
    return frozenset(available_timezones())


@lru_cache(maxsize=1024)
def zone(name):
    return ZoneInfo(name)


def validate_time_zone(value):
    if value not in _known_zones():
        raise ValidationError(_("%(value)s is not an IANA time zone (e.g. Europe/Paris)."), params={"value": value})


def local_to_utc(local_date, local_time, time_zone):
    """The UTC instant of a wall-clock time at an airport on a given date.

    Times that do not exist (the hour skipped when clocks go forward) are
    read with the offset in force before the change, so 02:30 on a
    spring-forward night becomes 03:30 local. Times that occur twice (the
    hour repeated when clocks go back) mean the first occurrence.
    """
    tz = zone(time_zone) if isinstance(time_zone, str) else time_zone
    local = dt.datetime.combine(local_date, local_time, tzinfo=tz)
    return local.astimezone(dt.UTC)


def to_local(instant, time_zone):
    tz = zone(time_zone) if isinstance(time_zone, str) else time_zone
    return instant.astimezone(tz)


def format_local(instant, time_zone):
    """`Tue 01 Dec 2026 10:30 CET`: what counter staff read on a flight."""
    if instant is None:
        return "-"
    local = to_local(instant, time_zone)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


def format_local_time(instant, time_zone, day):
    """`07:50 CET`, with `+1` when the local date is the day after `day` (as timetables print it)."""
    local = to_local(instant, time_zone)
    text = f"{local:%H:%M} {local.tzname()}"
    shift = (local.date() - day).days
    return f"{text} {shift:+d}" if shift else text
