from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fixtures.demo import DEMO_CUSTOMER, DEMO_USERS, HISTORY_DAYS, MORE_STAFF, load_demo


class Command(BaseCommand):
    help = (
        "Load demo data: airports, aircraft types, the demo staff, 60 days of flights and, on a database "
        "without bookings, 90 days of history before today. Only with BACKOFFICE_DEMO=1; running it twice "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=60, help="Days of flights from today (default 60).")
        parser.add_argument(
            "--history-days",
            type=int,
            default=HISTORY_DAYS,
            help=f"Days of history before today (default {HISTORY_DAYS}; 0 for none).",
        )

    def handle(self, *args, days, history_days, **options):
        if not settings.DEMO:
            raise CommandError("Demo data and demo logins are refused here: set BACKOFFICE_DEMO=1 to allow them.")
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        if not 0 <= history_days <= 366:
            raise CommandError("--history-days must be between 0 and 366.")
        created = load_demo(today=timezone.localdate(), days=days, history_days=history_days)
        self.stdout.write("Created: " + ", ".join(f"{count} {what}" for what, count in created.items()))
        self.stdout.write("Demo logins (user / password / role):")
        for username, password, role, *_ in DEMO_USERS + MORE_STAFF:
            self.stdout.write(f"  {username:<8} {password:<18} {role}")
        email, password = DEMO_CUSTOMER
        self.stdout.write(f"Customer site (/my-booking/) login: {email} / {password}")
