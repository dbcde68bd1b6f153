"""Expanding the checked lines' periods of operation into dated flights, local times made UTC per date."""

import datetime as dt
from dataclasses import dataclass

from fleet.models import ScheduleLine
from fleet.schedule.checking import CheckedLine
from fleet.schedule.lines import RowError
from fleet.timezones import local_to_utc, zone


@dataclass
class PlannedFlight:
    line: CheckedLine
    flight_date: dt.date
    departure: dt.datetime
    arrival: dt.datetime

    @property
    def key(self):
        s = self.line.source
        return (s.carrier, s.number, s.suffix, self.flight_date, s.leg_number)


def _instant(day, time, airport, mode):
    if mode == ScheduleLine.TimeMode.UTC:
        return dt.datetime.combine(day, time, tzinfo=dt.UTC)
    return local_to_utc(day, time, zone(airport.time_zone))


def expand(checked, column=str):
    """Every dated flight the lines describe, and the lines that contradict each other or themselves.

    `column` names a field as the file's format calls it.
    """
    planned = {}
    owner = {}
    errors = {}
    for line in checked:
        s = line.source
        day = s.valid_from
        while day <= s.valid_to:
            if s.days[day.weekday()] != " ":
                departure = _instant(
                    day + dt.timedelta(days=s.departure_day_offset), s.departure_time, line.origin, s.time_mode
                )
                offset = s.arrival_day_offset if s.arrival_day_offset is not None else s.departure_day_offset
                arrival = _instant(day + dt.timedelta(days=offset), s.arrival_time, line.destination, s.time_mode)
                if s.arrival_day_offset is None and arrival <= departure:
                    # No day offset given and the arrival would come first: it lands the next day.
                    arrival = _instant(
                        day + dt.timedelta(days=offset + 1), s.arrival_time, line.destination, s.time_mode
                    )
                if arrival <= departure:
                    errors.setdefault(s.row, (f"on {day} the arrival is not after the departure", column("arrival")))
                else:
                    flight = PlannedFlight(line, day, departure, arrival)
                    if flight.key in planned and owner[flight.key] != s.row:
                        other = owner[flight.key]
                        what = f"{s.designator} leg {s.leg_number} on {day}"
                        errors.setdefault(s.row, (f"contradicts line {other}: both describe {what}", ""))
                        errors.setdefault(other, (f"contradicts line {s.row}: both describe {what}", ""))
                    else:
                        planned[flight.key] = flight
                        owner[flight.key] = s.row
            day += dt.timedelta(days=1)
    return planned, [RowError(row, message, name) for row, (message, name) in sorted(errors.items())]
