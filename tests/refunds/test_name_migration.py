"""refunds/migrations/0006: refunds made before it get their passenger's name, in their history rows too."""

import pytest
from django.core.management import call_command

from refunds import services
from refunds.models import Refund
from tests.sales.test_finding import bucket, desk, make_booking  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_migration_fills_the_name_of_the_refunds_made_before_it(desk, counter_user):  # noqa: F811
    wanted, _ = desk
    services.void_ticket(ticket=wanted.tickets.get(passenger__surname="PECHEUR"), agent=counter_user)
    call_command("migrate", "refunds", "0005", verbosity=0)
    call_command("migrate", "refunds", "0006", verbosity=0)
    refund = Refund.objects.get()
    assert (refund.passenger_surname, refund.passenger_given_names) == ("PECHEUR", "MARIE")
    assert {(row.passenger_surname, row.passenger_given_names) for row in refund.history.all()} == {
        ("PECHEUR", "MARIE")
    }
