from django.core.management.base import BaseCommand, CommandError

from sales import listing, summaries


class Command(BaseCommand):
    help = (
        "Remake the daily summaries of tickets issued and payments taken (read by the sales report and the "
        "cash-up) and the sales listing's rows from the tickets and payments, in the business days of "
        "BUSINESS_TIME_ZONE: run it after changing BUSINESS_TIME_ZONE, when nobody sells. With --check, "
        "change nothing: list the summaries that differ and exit non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only compare; exit non-zero on a difference.")

    def handle(self, *args, check, **options):
        if not check:
            summaries.rebuild()
            listing.rebuild()
            self.stdout.write("Daily summaries and the sales listing remade from the tickets and payments.")
            return
        found = {**summaries.differences(), "sales listing (issued tickets)": listing.differences()}
        differences = {name: count for name, count in found.items() if count}
        for name, count in differences.items():
            self.stdout.write(f"{name}: {count} row(s) differ from the tickets and payments")
        if differences:
            raise CommandError("The summaries do not match: run manage.py rebuild_sales_summaries.")
        self.stdout.write("Daily summaries and the sales listing match the tickets and payments.")
