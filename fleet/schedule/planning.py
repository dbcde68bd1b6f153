"""Planning an import: the dated flights compared with the database's, into flights to create, change and
cancel, and the changes refused (a flight sold, left, or not scheduled)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from fleet.models import Flight
from fleet.schedule.lines import RowError


@dataclass
class Plan:
    create: list = field(default_factory=list)
    update: list = field(default_factory=list)  # (flight id, PlannedFlight)
    cancel: list = field(default_factory=list)  # flight ids
    unchanged: int = 0
    errors: list = field(default_factory=list)


_EXISTING_FIELDS = (
    "id",
    "carrier",
    "number",
    "suffix",
    "flight_date",
    "leg_number",
    "origin_id",
    "destination_id",
    "scheduled_departure",
    "scheduled_arrival",
    "aircraft_type_id",
    "capacity",
    "seats_sold",
    "status",
)


def plan(planned, checked, *, now):
    """Compare the expansion with the flights in the database."""
    result = Plan()
    if not planned:
        return result
    designators = {(c.source.carrier, c.source.number, c.source.suffix) for c in checked}
    first = min(c.source.valid_from for c in checked)
    last = max(c.source.valid_to for c in checked) + dt.timedelta(days=2)
    numbers = {number for _, number, _ in designators}
    existing = {}
    rows = (
        Flight.objects.filter(flight_date__gte=first, flight_date__lte=last, number__in=numbers)
        .values_list(*_EXISTING_FIELDS)
        .iterator(chunk_size=10000)
    )
    for row in rows:
        record = dict(zip(_EXISTING_FIELDS, row, strict=True))
        if (record["carrier"], record["number"], record["suffix"]) in designators:
            existing[
                (record["carrier"], record["number"], record["suffix"], record["flight_date"], record["leg_number"])
            ] = record
    refused = defaultdict(list)
    for key, flight in planned.items():
        current = existing.get(key)
        if current is None:
            result.create.append(flight)
            continue
        line = flight.line
        same_route = (current["origin_id"], current["destination_id"]) == (line.origin.pk, line.destination.pk)
        same_times = (current["scheduled_departure"], current["scheduled_arrival"]) == (
            flight.departure,
            flight.arrival,
        )
        same_aircraft = (current["aircraft_type_id"], current["capacity"]) == (line.aircraft_type.pk, line.capacity)
        if same_route and same_times and same_aircraft:
            result.unchanged += 1
            continue
        what = f"{line.source.designator} leg {line.source.leg_number} on {flight.flight_date}"
        if current["status"] != Flight.Status.SCHEDULED:
            refused[line.source.row].append(f"{what} is {current['status']}: an import does not change it")
        elif current["scheduled_departure"] <= now:
            refused[line.source.row].append(f"{what} has already left: an import does not change it")
        elif current["seats_sold"] and not (same_route and same_times):
            refused[line.source.row].append(f"would move {what}, which has {current['seats_sold']} seat(s) sold")
        elif line.capacity < current["seats_sold"]:
            refused[line.source.row].append(
                f"would shrink {what} to {line.capacity} seats; {current['seats_sold']} are sold"
            )
        else:
            result.update.append((current["id"], flight))
    rows_by_designator = {}
    periods = {}
    for c in checked:
        designator = (c.source.carrier, c.source.number, c.source.suffix)
        rows_by_designator.setdefault(designator, c.source.row)
        first_day, last_day = periods.get(designator, (c.source.valid_from, c.source.valid_to))
        periods[designator] = (min(first_day, c.source.valid_from), max(last_day, c.source.valid_to))
    for key, current in existing.items():
        if key in planned or current["status"] != Flight.Status.SCHEDULED or current["scheduled_departure"] <= now:
            continue
        designator = key[:3]
        first_day, last_day = periods[designator]
        if not first_day <= key[3] <= last_day:
            continue  # Outside the period this file describes for that flight: not this import's business.
        what = f"{designator[0]} {designator[1]}{designator[2]} leg {key[4]} on {key[3]}"
        if current["seats_sold"]:
            refused[rows_by_designator[designator]].append(
                f"would cancel {what}, which has {current['seats_sold']} seat(s) sold"
            )
        else:
            result.cancel.append(current["id"])
    for row, messages in sorted(refused.items()):
        shown = messages[:3] + ([f"and {len(messages) - 3} more"] if len(messages) > 3 else [])
        result.errors.append(RowError(row, "; ".join(shown)))
    return result
