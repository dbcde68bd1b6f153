"""The airline cancels a full flight: how long `refunds.services.cancel_flight` takes.

Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=x .venv/bin/python bench/cancel_flight.py

DATABASE_URL names the server only: the benchmark drops and recreates its own database
`bench_cancel` there, migrates it, sells the seats of a 300-seat flight (300 issued tickets
in 50 bookings of 6, two tax lines each) through the sales services, then times the one
transaction that cancels the flight: 300 involuntary refund requests, 300 tickets surrendered,
the seats released, every change with its history row. It repeats on fresh flights
(--runs, default 5) and prints each time and the median, and drops the database at the end.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throwaway import drop_database, recreate_database, setup_django  # noqa: E402

DATABASE = "bench_cancel"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    recreate_database(DATABASE)
    setup_django()
    try:
        run(args.tickets, args.runs)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)


def run(tickets, runs):
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from fleet.models import AircraftType, Airport, City, Flight
    from refunds.models import Refund
    from refunds.services import cancel_flight
    from sales import services
    from sales.models import FareBucket, FareClass, Tax, Ticket

    call_command("migrate", verbosity=0)
    agent = User.objects.create_user("bench-agent")
    admin = User.objects.create_user("bench-admin")
    paris = City.objects.create(code="PAR", name="Paris", country="FR")
    london = City.objects.create(code="LON", name="London", country="GB")
    cdg = Airport.objects.create(code="CDG", name="Paris-CDG", city=paris, time_zone="Europe/Paris")
    lhr = Airport.objects.create(code="LHR", name="London Heathrow", city=london, time_zone="Europe/London")
    aircraft = AircraftType.objects.create(code="77W", name="Boeing 777-300ER", seats_economy=tickets)
    economy = FareClass.objects.create(code="Y", cabin="Y", name="Economy")
    Tax.objects.create(code="FR", name="Civil aviation tax", amount=Decimal("4.63"), departure_country="FR")
    Tax.objects.create(code="QX", name="Passenger service charge", amount=Decimal("14.20"), departure_airport=cdg)
    contact = {"contact_name": "Bench", "contact_email": "bench@example.com", "contact_phone": "+33 1 23 45 67 89"}

    timings = []
    for run_number in range(runs):
        departure = timezone.now() + dt.timedelta(days=10 + run_number)
        flight = Flight.objects.create(
            carrier="XB",
            number=100 + run_number,
            flight_date=timezone.localdate(departure),
            origin=cdg,
            destination=lhr,
            scheduled_departure=departure,
            scheduled_arrival=departure + dt.timedelta(hours=1, minutes=15),
            aircraft_type=aircraft,
            capacity=tickets,
        )
        FareBucket.objects.create(flight=flight, fare_class=economy, price=Decimal("129.00"), seats_allocated=tickets)
        for start in range(0, tickets, 6):
            party = [services.PassengerRequest("Bench", f"Pax{chr(65 + i)}") for i in range(min(6, tickets - start))]
            booking = services.book(
                segments=[services.SegmentRequest(flight.pk, "Y")], passengers=party, agent=agent, **contact
            )
            services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=agent)
            services.issue_tickets(booking=booking, agent=agent)
        assert Ticket.objects.filter(flight=flight, status="open").count() == tickets

        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            done = cancel_flight(flight=flight, user=admin)
            elapsed = time.perf_counter() - started
        assert done.refunds_requested == tickets and done.seats_released == tickets
        flight.refresh_from_db()
        assert flight.seats_sold == 0 and Refund.objects.filter(ticket__flight=flight).count() == tickets
        timings.append(elapsed)
        print(
            f"run {run_number + 1}: {tickets} tickets cancelled and refunds requested in {elapsed * 1000:.0f} ms "
            f"({len(queries)} SQL statements)"
        )
    print(
        f"median {statistics.median(timings) * 1000:.0f} ms for {tickets} tickets "
        f"({statistics.median(timings) / tickets * 1e6:.0f} µs per ticket)"
    )


if __name__ == "__main__":
    main()
