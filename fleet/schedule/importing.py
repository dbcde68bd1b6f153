"""The import as a whole: check, expand, plan and (unless a line is refused or it is a dry run) apply, in one
transaction; and the summary the person reads before confirming."""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fleet.schedule.applying import apply_or_refuse
from fleet.schedule.checking import check_lines
from fleet.schedule.periods import expand
from fleet.schedule.planning import plan


@dataclass
class ImportSummary:
    format: str = ""
    lines_read: int = 0
    legs: int = 0
    segment_records: int = 0
    flights_created: int = 0
    flights_updated: int = 0
    flights_unchanged: int = 0
    flights_cancelled: int = 0
    refused: list = field(default_factory=list)
    written: bool = False
    new_aircraft_types: list = field(default_factory=list)
    creates_aircraft_types: bool = False
    flights_in_past: int = 0  # of the flights created or changed
    flights_by_other_carrier: dict = field(default_factory=dict)  # carrier -> flights created or changed

    @property
    def ok(self):
        return not self.refused

    @property
    def flights_written(self):
        return self.flights_created + self.flights_updated

    def warnings(self):
        """What the person should know before confirming, though nothing is wrong with the file."""
        found = []
        if self.flights_in_past:
            found.append(f"{self.flights_in_past} of the {self.flights_written} flights depart in the past.")
        for carrier, count in sorted(self.flights_by_other_carrier.items()):
            found.append(
                f"{count} of the {self.flights_written} flights are for carrier {carrier}, "
                f"not {settings.AIRLINE_CODE} (this airline)."
            )
        return found

    def lines(self):
        out = [
            f"Format: {self.format}",
            f"Lines read: {self.lines_read} ({self.legs} flight legs, {self.segment_records} segment records)",
        ]
        if self.new_aircraft_types:
            if self.written and self.creates_aircraft_types:
                state = "created"
            elif self.creates_aircraft_types and not self.refused:
                state = "to create"
            else:
                state = "unknown"
            out.append(f"Aircraft types {state}: {len(self.new_aircraft_types)}")
            out += [f"  {new_type}" for new_type in self.new_aircraft_types]
        out += [
            f"Flights created: {self.flights_created}",
            f"Flights updated: {self.flights_updated}",
            f"Flights unchanged: {self.flights_unchanged}",
            f"Flights cancelled: {self.flights_cancelled}",
            f"Lines refused: {len(self.refused)}",
        ]
        out += [f"  {error}" for error in self.refused]
        out += [f"Warning: {warning}" for warning in self.warnings()]
        return out


def import_schedule(parsed, *, user, dry_run=False, now=None, progress=None, create_aircraft_types=False):
    """Check, expand, plan and (unless dry_run or anything is refused) apply, in one transaction.

    With create_aircraft_types, the aircraft types the file uses and the database lacks are
    created with the seats the file gives them (in the same transaction: kept only if the
    import is); without, the lines using them are refused.
    """
    now = now or timezone.now()
    summary = ImportSummary(
        format=parsed.format,
        lines_read=parsed.records_read,
        legs=len(parsed.lines),
        segment_records=parsed.segment_records,
        creates_aircraft_types=create_aircraft_types,
    )
    with transaction.atomic():
        checked, errors, summary.new_aircraft_types = check_lines(
            parsed, user=user, create_aircraft_types=create_aircraft_types
        )
        planned, contradictions = expand(checked, parsed.column)
        errors += contradictions
        contradicted = {e.row for e in contradictions}
        if contradicted:
            planned = {k: f for k, f in planned.items() if f.line.source.row not in contradicted}
        result = plan(planned, checked, now=now)
        errors += result.errors
        summary.refused = sorted(errors, key=lambda e: e.row)
        summary.flights_created = len(result.create)
        summary.flights_updated = len(result.update)
        summary.flights_unchanged = result.unchanged
        summary.flights_cancelled = len(result.cancel)
        written = result.create + [flight for _, flight in result.update]
        summary.flights_in_past = sum(1 for flight in written if flight.departure <= now)
        summary.flights_by_other_carrier = dict(
            Counter(f.line.source.carrier for f in written if f.line.source.carrier != settings.AIRLINE_CODE)
        )
        if summary.refused or dry_run:
            # Airports found in airportsdata along the way are not kept either: all or nothing.
            transaction.set_rollback(True)
            return summary
        refusal = apply_or_refuse(result, checked, user=user, progress=progress)
        if refusal is not None:
            summary.refused = [refusal]
            transaction.set_rollback(True)
            return summary
        summary.written = True
    return summary
