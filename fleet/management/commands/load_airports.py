from django.core.management.base import BaseCommand

from backoffice.system import system_user
from fleet.services import load_airports


class Command(BaseCommand):
    help = "Create every IATA airport and city known to airportsdata that the database lacks."

    def handle(self, *args, **options):
        result = load_airports(user=system_user())
        self.stdout.write(
            f"Airports: {result.airports_created} created, {result.airports_skipped} skipped "
            f"(no IATA code or time zone); cities: {result.cities_created} created."
        )
