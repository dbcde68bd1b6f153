"""Applying a plan: the schedule lines kept, new flights written (and announced), changed and cancelled ones
locked in the one order (backoffice/locks.py), checked again, and written; with history."""

from dataclasses import dataclass

from django.db import OperationalError, transaction

from backoffice import locks
from backoffice.history import bulk_create_with_history, bulk_history_update, copy_create_with_history
from fleet.exceptions import FleetError
from fleet.models import Flight, ScheduleLine
from fleet.schedule.lines import RowError
from fleet.signals import flights_created

BATCH = 5000


@dataclass
class NewFlight:
    """What `flights_created` says of a flight just written."""

    pk: int
    origin_id: int
    destination_id: int
    capacity: int


def _flight_row(flight):
    line = flight.line
    s = line.source
    return {
        "carrier": s.carrier,
        "number": s.number,
        "suffix": s.suffix,
        "leg_number": s.leg_number,
        "flight_date": flight.flight_date,
        "origin_id": line.origin.pk,
        "destination_id": line.destination.pk,
        "scheduled_departure": flight.departure,
        "scheduled_arrival": flight.arrival,
        "aircraft_type_id": line.aircraft_type.pk,
        "capacity": line.capacity,
        "seats_sold": 0,
        "status": Flight.Status.SCHEDULED,
    }


def _save_lines(checked, user):
    """Keep the imported lines as the schedule of record: upsert by designator, leg and period."""
    current = {
        (line.carrier, line.number, line.suffix, line.itinerary_variation, line.leg_number, line.valid_from): line
        for line in ScheduleLine.objects.filter(number__in={c.source.number for c in checked})
    }
    new, changed = [], []
    for c in checked:
        s = c.source
        # Compared by id: reading line.origin would cost a query per line.
        values = {
            "origin_id": c.origin.pk,
            "destination_id": c.destination.pk,
            "departure_time": s.departure_time,
            "arrival_time": s.arrival_time,
            "time_mode": s.time_mode,
            "departure_day_offset": s.departure_day_offset,
            "arrival_day_offset": s.arrival_day_offset,
            "days_of_operation": s.days,
            "valid_to": s.valid_to,
            "aircraft_type_id": c.aircraft_type.pk,
            "capacity": s.capacity,
        }
        key = (s.carrier, s.number, s.suffix, s.itinerary_variation, s.leg_number, s.valid_from)
        line = current.get(key)
        if line is None:
            new.append(
                ScheduleLine(
                    carrier=s.carrier,
                    number=s.number,
                    suffix=s.suffix,
                    itinerary_variation=s.itinerary_variation,
                    leg_number=s.leg_number,
                    valid_from=s.valid_from,
                    **values,
                )
            )
        elif any(getattr(line, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(line, name, value)
            changed.append(line)
    bulk_create_with_history(new, ScheduleLine, batch_size=BATCH, user=user)
    if changed:
        fields = [
            "origin",
            "destination",
            "departure_time",
            "arrival_time",
            "time_mode",
            "departure_day_offset",
            "arrival_day_offset",
            "days_of_operation",
            "valid_to",
            "aircraft_type",
            "capacity",
        ]
        ScheduleLine.objects.bulk_update(changed, fields, batch_size=BATCH)
        bulk_history_update(changed, ScheduleLine, user=user)


def apply(result, checked, *, user, progress=None):
    """Write the plan: new flights (announced: sales gives them their fare buckets), changed ones,
    cancelled ones. With history."""
    _save_lines(checked, user)
    # Every flight changed or cancelled, locked at once in the one order (backoffice/locks.py):
    # by id across the whole plan, before any is written.
    locked = locks.lock_in_order(flights=[i for i, _ in result.update] + list(result.cancel)).flights
    done = 0
    total = len(result.create) + len(result.update) + len(result.cancel)
    for start in range(0, len(result.create), BATCH):
        batch = [_flight_row(f) for f in result.create[start : start + BATCH]]
        ids = copy_create_with_history(Flight, batch, user=user)
        created = [
            NewFlight(pk, row["origin_id"], row["destination_id"], row["capacity"])
            for pk, row in zip(ids, batch, strict=True)
        ]
        flights_created.send(sender=Flight, flights=created, user=user)
        done += len(batch)
        if progress:
            progress(done, total)
    for start in range(0, len(result.update), BATCH):
        chunk = result.update[start : start + BATCH]
        # Locked, then checked again: a sale may have landed since the plan was read.
        flights = {i: locked[i] for i, _ in chunk}
        for flight_id, planned_flight in chunk:
            _recheck(flights[flight_id], planned_flight)
        changed = []
        for flight_id, planned_flight in chunk:
            flight = flights[flight_id]
            line = planned_flight.line
            flight.origin = line.origin
            flight.destination = line.destination
            flight.scheduled_departure = planned_flight.departure
            flight.scheduled_arrival = planned_flight.arrival
            flight.aircraft_type = line.aircraft_type
            flight.capacity = line.capacity
            changed.append(flight)
        fields = ["origin", "destination", "scheduled_departure", "scheduled_arrival", "aircraft_type", "capacity"]
        Flight.objects.bulk_update(changed, fields, batch_size=BATCH)
        bulk_history_update(changed, Flight, user=user)
        done += len(chunk)
        if progress:
            progress(done, total)
    for start in range(0, len(result.cancel), BATCH):
        flights = [locked[i] for i in result.cancel[start : start + BATCH] if i in locked]
        for flight in flights:
            if flight.seats_sold or flight.status != Flight.Status.SCHEDULED:
                raise ScheduleConflict(f"{flight} was sold or changed during the import; import the file again.")
        for flight in flights:
            flight.status = Flight.Status.CANCELLED
        Flight.objects.bulk_update(flights, ["status"], batch_size=BATCH)
        bulk_history_update(flights, Flight, user=user)
        done += len(flights)
        if progress:
            progress(done, total)


def apply_or_refuse(result, checked, *, user, progress=None):
    """`apply` in a savepoint: None once written, else the refusal (a RowError) and nothing written."""
    try:
        with transaction.atomic():
            apply(result, checked, user=user, progress=progress)
    except ScheduleConflict as error:
        return RowError(0, str(error))
    except OperationalError as error:
        if not locks.is_lock_error(error):
            raise
        # The flights stayed busy past the lock timeout (sales, a cancellation).
        return RowError(0, "The flights are busy with sales right now: import the file again in a moment.")
    return None


class ScheduleConflict(FleetError):
    """A flight changed between the plan and the write (a sale landed): nothing is written."""


def _recheck(flight, planned_flight):
    line = planned_flight.line
    moved = (flight.origin_id, flight.destination_id, flight.scheduled_departure, flight.scheduled_arrival) != (
        line.origin.pk,
        line.destination.pk,
        planned_flight.departure,
        planned_flight.arrival,
    )
    if flight.status != Flight.Status.SCHEDULED or (flight.seats_sold and moved) or line.capacity < flight.seats_sold:
        raise ScheduleConflict(f"{flight} was sold or changed during the import; import the file again.")
