"""`manage.py generate_scale_data`: load-test data consistent with the models, and the admin lists on it."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, ForeignKey
from django.test import Client
from django.urls import reverse

from fleet.models import Flight
from refunds.models import Refund
from sales import listing, summaries
from sales.models import Booking, FareBucket, Passenger, Payment, Ticket
from tests.conftest import on_postgresql
from tests.sales.test_finding import bucket, make_booking  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

TINY = {"flights": 400, "tickets": 3000, "payments": 1200, "refunds": 150, "airports": 12}
CONFIRM = "--i-know-this-is-not-production"
GENERATED = (Flight, FareBucket, Booking, Passenger, Ticket, Payment, Refund)
LISTS = ["fleet_flight", "sales_booking", "sales_ticket", "sales_payment", "refunds_refund"]


def generate(**options):
    call_command("generate_scale_data", *[f"--{k}={v}" for k, v in {**TINY, **options}.items()], CONFIRM)


@pytest.mark.skipif(on_postgresql(), reason="the refusal on SQLite")
def test_it_refuses_sqlite():
    with pytest.raises(CommandError, match="PostgreSQL only"):
        generate()


@pytest.mark.postgres_only("COPY")
def test_it_refuses_without_the_flag_and_on_a_database_with_bookings(make_booking):  # noqa: F811
    with pytest.raises(CommandError, match=CONFIRM):
        call_command("generate_scale_data", "--flights=10")
    make_booking("Lee")
    with pytest.raises(CommandError, match="already has bookings"):
        generate()
    assert Booking.objects.count() == 1


# Committed as it goes (not in a test's transaction): the generator then writes on two connections at once,
# as it does for real.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres_only("COPY")
def test_tiny_scale_makes_what_was_asked_consistent_with_its_history_and_the_lists_open(admin_role_user):
    generate()
    assert Flight.objects.count() == TINY["flights"]
    assert Ticket.objects.count() == TINY["tickets"]
    assert Payment.objects.count() == Booking.objects.count() == TINY["payments"]
    assert Refund.objects.count() == TINY["refunds"]
    assert FareBucket.objects.count() >= 3 * TINY["flights"]
    # Seats sold equal the live tickets, flight by flight and bucket by bucket.
    call_command("check_inventory")
    # The summaries and the listing's rows say what the tickets and payments say; each refund carries its
    # passenger's name.
    assert set(summaries.differences().values()) == {0}
    assert listing.differences() == 0
    assert not Refund.objects.exclude(
        passenger_surname=F("ticket__passenger__surname"),
        passenger_given_names=F("ticket__passenger__given_names"),
    ).exists()
    assert Flight.objects.filter(status=Flight.Status.DEPARTED).exists()
    assert Flight.objects.filter(status=Flight.Status.CANCELLED, seats_sold=0).exists()
    # Written with the foreign key triggers off: every key must still point at a row.
    for model in GENERATED:
        for field in model._meta.concrete_fields:
            if isinstance(field, ForeignKey):
                target = field.related_model.objects.values("pk")
                orphans = model.objects.exclude(**{f"{field.name}__isnull": True}).exclude(
                    **{f"{field.name}__in": target}
                )
                assert not orphans.exists(), (model.__name__, field.name)
    # One creation row per record, by its maker.
    for model in GENERATED:
        assert model.history.filter(history_type="+").count() == model.objects.count(), model.__name__
    booking = Booking.objects.order_by("pk").first()
    assert booking.history.get().history_user_id == booking.agent_id

    client = Client()
    client.force_login(admin_role_user)
    for name in LISTS:
        response = client.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code == 200, name
        cl = response.context["cl"]
        # Past a thousand rows the count is the planner's estimate, never below what was counted.
        assert cl.result_count > 1000 or cl.result_count == cl.queryset.count(), name
    response = client.get(reverse("admin:sales_booking_history", args=[booking.pk]))
    assert response.status_code == 200
    assert (
        client.get(reverse("admin:sales_booking_changelist"), {"q": booking.record_locator}).context["cl"].result_count
        == 1
    )
