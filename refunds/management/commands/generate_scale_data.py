import datetime as dt
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from refunds import scale_data
from sales.models import Booking

CONFIRM_FLAG = "--i-know-this-is-not-production"
PAST_DAYS = 365
FUTURE_DAYS = 62


class Command(BaseCommand):
    help = (
        "Fill an empty PostgreSQL database with synthetic sales for load tests, with COPY: flights and fare "
        "buckets (generate_flights) over the last year and the next two months, a year of bookings, "
        "passengers, tickets, payments and refunds (refunds/scale_data.py), then one creation history row "
        "per record, the daily summaries and the sales listing, and ANALYZE. Default size: 1,000,000 "
        "flights, 10,000,000 tickets, 4,000,000 payments (one a booking), 500,000 refunds. Seats sold "
        f"match the live tickets (check_inventory). Not for production: refuses without {CONFIRM_FLAG}, "
        "on SQLite, and when the database already has bookings."
    )

    def add_arguments(self, parser):
        parser.add_argument("--flights", type=int, default=1_000_000)
        parser.add_argument("--tickets", type=int, default=10_000_000)
        parser.add_argument("--payments", type=int, default=4_000_000, help="Payments, one a booking.")
        parser.add_argument("--refunds", type=int, default=500_000)
        parser.add_argument("--airports", type=int, default=400)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-history", action="store_true", help="Write no history rows.")
        parser.add_argument(
            CONFIRM_FLAG,
            dest="confirmed",
            action="store_true",
            help="Say that this database holds no real data: the generator writes thousands of fake staff and sales.",
        )

    def handle(self, *args, flights, tickets, payments, refunds, airports, seed, no_history, confirmed, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_scale_data loads with PostgreSQL's COPY: it runs on PostgreSQL only.")
        if not confirmed:
            raise CommandError(f"This fills the database with fake sales: give {CONFIRM_FLAG} if that is meant.")
        if Booking.objects.exists():
            raise CommandError("The database already has bookings: generate_scale_data fills an empty one.")
        if not 1 <= payments <= tickets or not 0 <= refunds <= tickets or flights < 1:
            raise CommandError("Give at least one flight and one payment, no more payments or refunds than tickets.")
        started = time.perf_counter()
        # Every key the generator writes points at a row it wrote before (tests/refunds/test_scale_data.py
        # looks for orphans): the per-row foreign key triggers would only double the time.
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            self._generate(started, flights, tickets, payments, refunds, airports, seed, no_history)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")

    def _generate(self, started, flights, tickets, payments, refunds, airports, seed, no_history):
        today = timezone.localdate()
        call_command(
            "generate_flights",
            flights=flights,
            seed=seed,
            start=today - dt.timedelta(days=PAST_DAYS),
            days=PAST_DAYS + FUTURE_DAYS,
            airports=airports,
            stdout=self.stdout,
        )
        flights_done = time.perf_counter()
        self.stdout.write(f"Flights: {flights_done - started:.0f} s. Sales of the last {PAST_DAYS} days, with COPY:")
        counts = scale_data.generate(
            tickets=tickets,
            payments=payments,
            refunds=refunds,
            now=timezone.now(),
            seed=seed,
            progress=self.stdout.write,
        )
        history = {}
        if not no_history:
            self.stdout.write("History rows:")
            history = scale_data.write_history(progress=self.stdout.write)
        analyzing = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        done = time.perf_counter()
        self.stdout.write(
            f"Wrote {flights:,} flights, {counts['bookings']:,} bookings, {counts['passengers']:,} passengers, "
            f"{counts['tickets']:,} tickets, {counts['payments']:,} payments, {counts['refunds']:,} refunds, "
            f"{sum(v for k, v in history.items() if k != 'seconds'):,} history rows in {done - started:.0f} s "
            f"(flights {flights_done - started:.0f} s, sales {counts['seconds']:.0f} s, history "
            f"{history.get('seconds', 0):.0f} s, ANALYZE {done - analyzing:.0f} s)."
        )
