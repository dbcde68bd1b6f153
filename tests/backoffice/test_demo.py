import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from fleet.models import AircraftType, Flight
from refunds.models import Refund
from sales.models import Booking

pytestmark = pytest.mark.django_db

REQUIRED_TYPES = {"320", "321", "32N", "733", "735", "738", "73H", "772", "77W", "788", "AT7", "E90"}


def test_demo_builds_a_network_and_running_it_twice_changes_nothing(settings, capsys):
    settings.DEMO = True
    call_command("demo", days=60)
    out = capsys.readouterr().out
    assert "counter-demo-2026" in out and "finance-demo-2026" in out and "admin-demo-2026" in out

    assert REQUIRED_TYPES <= set(AircraftType.objects.values_list("code", flat=True))
    flights = Flight.objects.count()
    assert flights > 3000
    hub_routes = set(Flight.objects.filter(origin__code="CDG").values_list("destination__code", flat=True))
    assert {"LHR", "JFK", "RUN", "DKR"} <= hub_routes
    # A two-leg flight under one number, both legs dated by the first leg's departure.
    leg2 = Flight.objects.filter(number=871, leg_number=2).select_related("origin", "destination").first()
    assert (leg2.origin.code, leg2.destination.code) == ("DKR", "GRU")
    assert Flight.objects.filter(number=871, leg_number=1, flight_date=leg2.flight_date).exists()
    assert {u.username: u.groups.get().name for u in User.objects.filter(is_staff=True)} == {
        "admin": "Admin",
        "counter": "Counter staff",
        "finance": "Finance",
    }

    # Every row it wrote names the system account as its author.
    created = Flight.history.filter(history_type="+")
    assert set(created.values_list("history_user__username", flat=True)) == {"system"}
    # The demo bookings are the counter agent's, and so are the seat counts they moved.
    sold = Flight.history.filter(history_type="~")
    assert set(sold.values_list("history_user__username", flat=True)) == {"counter"}
    assert set(User.history.values_list("history_user__username", flat=True)) == {"system"}
    call_command("check_inventory")

    history = Flight.history.count()
    bookings = Booking.objects.count()
    assert bookings > 0 and Booking.objects.filter(status="ticketed").exists()
    # Finance finds a real queue: refunds in every status.
    assert set(Refund.objects.values_list("status", flat=True)) == {"requested", "approved", "rejected", "paid"}
    call_command("demo", days=60)
    assert Flight.objects.count() == flights
    assert Flight.history.count() == history
    assert created.count() == flights
    assert Booking.objects.count() == bookings
    assert User.objects.count() == 4  # three demo logins and the system account


def test_demo_refuses_without_demo_mode(settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="BACKOFFICE_DEMO=1"):
        call_command("demo")
    assert not User.objects.filter(is_staff=True).exists()
