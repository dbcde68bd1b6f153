from django.core.management.base import BaseCommand, CommandError

from sales.selectors import inventory_mismatches


class Command(BaseCommand):
    help = "Check that every flight's and fare bucket's seats sold equal the live tickets holding a seat."

    def handle(self, *args, **options):
        flights, buckets = inventory_mismatches()
        for flight in flights:
            self.stdout.write(
                f"flight {flight.pk} {flight}: seats sold {flight.seats_sold}, live tickets {flight.live_seats}"
            )
        for bucket in buckets:
            self.stdout.write(
                f"bucket {bucket.pk} {bucket}: seats sold {bucket.seats_sold}, live tickets {bucket.live_seats}"
            )
        if flights or buckets:
            raise CommandError(
                f"{len(flights)} flight(s) and {len(buckets)} fare bucket(s) do not match their tickets."
            )
        self.stdout.write("Inventory matches: every counter equals its live tickets.")
