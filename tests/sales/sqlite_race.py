"""The seat race on the embedded SQLite default, run in its own process by test_sqlite_race.py.

Prints one JSON line: how many bookings won, how they failed, and the counters.
"""

import json
import os
import sys

import django

AGENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 12
SEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    django.setup()
    import datetime as dt

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fleet.models import AircraftType, Airport, City, Flight
    from sales.models import FareBucket, FareClass, Ticket
    from sales.services import PassengerRequest, SegmentRequest
    from tests.sales.race import booking_job, race

    call_command("migrate", verbosity=0)
    agent = User.objects.create_user("race-agent")
    city = City.objects.create(code="CDG", name="Paris", country="FR")
    origin = Airport.objects.create(code="CDG", name="CDG", city=city, time_zone="Europe/Paris")
    city2 = City.objects.create(code="LHR", name="London", country="GB")
    destination = Airport.objects.create(code="LHR", name="LHR", city=city2, time_zone="Europe/London")
    aircraft = AircraftType.objects.create(code="320", name="A320", seats_economy=150)
    departure = timezone.now() + dt.timedelta(days=3)
    flight = Flight.objects.create(
        carrier="XB",
        number=1,
        flight_date=timezone.localdate(departure),
        origin=origin,
        destination=destination,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(hours=1),
        aircraft_type=aircraft,
        capacity=SEATS,
    )
    fare_class = FareClass.objects.create(code="Y", cabin="Y", name="Economy")
    FareBucket.objects.create(flight=flight, fare_class=fare_class, price="100.00", seats_allocated=100)
    connection.close()

    contact = {"contact_name": "A B", "contact_email": "a@example.com", "contact_phone": "+33 1 23 45 67 89"}
    jobs = [
        booking_job([SegmentRequest(flight.pk, "Y")], [PassengerRequest("Race", "Agent")], agent, contact)
        for _ in range(AGENTS)
    ]
    results, errors = race(jobs)
    flight.refresh_from_db()
    print(
        json.dumps(
            {
                "won": len(results),
                "errors": sorted({type(e).__name__ for e in errors}),
                "seats_sold": flight.seats_sold,
                "live_tickets": Ticket.objects.filter(flight=flight, holds_seat=True).count(),
            }
        )
    )


if __name__ == "__main__":
    main()
