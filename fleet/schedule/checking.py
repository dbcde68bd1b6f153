"""Checking the lines read against the database: stations (airports created from airportsdata) and aircraft
types (created with the seats the file gives them, when asked)."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from fleet.aircraft_reference import aircraft_type_name
from fleet.exceptions import FleetError
from fleet.models import AircraftType, Airport
from fleet.schedule.lines import LineInput, RowError
from fleet.services import create_aircraft_types as add_aircraft_types
from fleet.services import get_or_create_airport


@dataclass
class NewAircraftType:
    """An aircraft type the file uses and the database lacks, with the seats the file gives it."""

    code: str
    name: str
    seatings: list  # [(Seating, legs)], the most used first: the type gets that one

    @property
    def seating(self):
        return self.seatings[0][0]

    @property
    def legs(self):
        return sum(legs for _, legs in self.seatings)

    @property
    def seats_in_file(self):
        return "; also ".join(str(seating) for seating, _ in self.seatings)

    def __str__(self):
        return f"{self.code} {self.name}: {self.seats_in_file}"


@dataclass
class CheckedLine:
    source: LineInput
    origin: Airport
    destination: Airport
    aircraft_type: AircraftType

    @property
    def capacity(self):
        return self.source.capacity or self.aircraft_type.total_seats


def _new_aircraft_types(lines, known):
    """The types the lines use that the database lacks and the file gives seats for, by code."""
    seatings = defaultdict(Counter)
    for line in lines:
        if line.aircraft_type not in known and line.seating and re.fullmatch(r"[A-Z0-9]{3}", line.aircraft_type):
            seatings[line.aircraft_type][line.seating] += 1
    return [NewAircraftType(code, aircraft_type_name(code), seatings[code].most_common()) for code in sorted(seatings)]


def check_lines(parsed, *, user, create_aircraft_types=False):
    """Resolve stations (creating airports from airportsdata) and aircraft types; check each line.

    Returns the lines that passed, the errors, and the aircraft types the file uses but the
    database lacks; those are created (with the seats the file gives) when asked, else refused.
    """
    errors = list(parsed.errors)
    types = {t.code: t for t in AircraftType.objects.all()}
    new_types = _new_aircraft_types(parsed.lines, types)
    if create_aircraft_types and new_types:
        created = add_aircraft_types(types=[(t.code, t.name, t.seating) for t in new_types], user=user)
        types.update({t.code: t for t in created})
    creatable = {t.code for t in new_types}
    airports = {}
    checked = []
    for line in parsed.lines:
        problems = []
        if line.valid_to < line.valid_from:
            problems.append(
                RowError(
                    line.row,
                    f"the period ends ({line.valid_to}) before it starts ({line.valid_from})",
                    parsed.column("valid_to"),
                )
            )
        elif (line.valid_to - line.valid_from).days > 800:
            problems.append(RowError(line.row, "a period longer than two years", parsed.column("valid_to")))
        resolved = []
        for label, code in (("origin", line.origin), ("destination", line.destination)):
            if code not in airports:
                try:
                    airports[code] = get_or_create_airport(code=code, user=user)
                except FleetError as error:
                    airports[code] = error
            found = airports[code]
            if isinstance(found, FleetError):
                problems.append(RowError(line.row, str(found), parsed.column(label)))
            resolved.append(found)
        if line.origin == line.destination:
            problems.append(
                RowError(line.row, "origin and destination are the same airport", parsed.column("destination"))
            )
        aircraft_type = types.get(line.aircraft_type)
        if aircraft_type is None:
            if line.aircraft_type in creatable:
                reason = "is not known; add it under Aircraft types first, or let the import create it"
            else:
                reason = "is not known and the file gives no seats for it; add it under Aircraft types first"
            problems.append(
                RowError(line.row, f"aircraft type {line.aircraft_type!r} {reason}", parsed.column("aircraft_type"))
            )
        if problems:
            errors += problems
            continue
        checked.append(CheckedLine(line, resolved[0], resolved[1], aircraft_type))
    return checked, errors, new_types
