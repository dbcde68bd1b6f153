from django.core.management.base import BaseCommand

from backoffice.system import system_user
from sales.services import expire_holds


class Command(BaseCommand):
    help = "Release the seats of every booking whose hold has lapsed. Idempotent; meant for cron, every minute."

    def handle(self, *args, **options):
        expired = expire_holds(user=system_user())
        self.stdout.write(f"{expired} hold(s) expired.")
