import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from fleet.models import Flight
from sales import services
from sales.models import Booking, Ticket
from tests.sales.conftest import adults

pytestmark = pytest.mark.django_db


def test_check_inventory_passes_then_lists_each_mismatch(economy, book_on, capsys):
    book_on(economy, passengers=adults(2))
    call_command("check_inventory")
    assert "Inventory matches" in capsys.readouterr().out
    # Somebody bypasses the services.
    Flight.objects.filter(pk=economy.flight_id).update(seats_sold=3)
    with pytest.raises(CommandError, match="1 flight\\(s\\) and 0 fare bucket\\(s\\)"):
        call_command("check_inventory")
    out = capsys.readouterr().out
    assert f"flight {economy.flight_id}" in out and "seats sold 3, live tickets 2" in out


def test_expire_holds_is_idempotent_and_releases_seats(economy, book_on, capsys):
    booking = book_on(economy, passengers=adults(2))
    Booking.objects.filter(pk=booking.pk).update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    call_command("expire_holds")
    call_command("expire_holds")
    assert capsys.readouterr().out.splitlines() == ["1 hold(s) expired.", "0 hold(s) expired."]
    booking.refresh_from_db()
    assert booking.status == "expired"
    assert booking.history.first().history_user.username == "system"
    economy.flight.refresh_from_db()
    assert economy.flight.seats_sold == 0
    call_command("check_inventory")


def test_touching_a_lapsed_hold_releases_its_seats(economy, book_on, counter_user, client):
    booking = book_on(economy)
    Booking.objects.filter(pk=booking.pk).update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(counter_user)
    html = client.get(reverse("admin:sales_booking_change", args=[booking.pk])).content.decode()
    assert "Expired" in html
    economy.flight.refresh_from_db()
    assert economy.flight.seats_sold == 0


def test_departure_page_flies_tickets_then_marks_no_shows(economy, book_on, counter_user, client):
    booking = book_on(economy, passengers=adults(2))
    services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
    first, second = services.issue_tickets(booking=booking, agent=counter_user)
    Flight.objects.filter(pk=economy.flight_id).update(
        scheduled_departure=timezone.now() - dt.timedelta(minutes=5),
        scheduled_arrival=timezone.now() + dt.timedelta(hours=1),
    )
    client.force_login(counter_user)
    url = reverse("admin:fleet_flight_departure", args=[economy.flight_id])
    assert "Confirm departure" in client.get(url).content.decode()
    client.post(url, {"step": "depart"})
    assert set(Ticket.objects.values_list("status", flat=True)) == {"flown"}
    client.post(url, {"step": "no_show", "ticket": [second.pk]})
    assert dict(Ticket.objects.values_list("pk", "status")) == {first.pk: "flown", second.pk: "no_show"}
    html = client.get(url).content.decode()
    assert "No-show" in html


def test_finance_cannot_reach_the_departure_page(economy, finance_user, client):
    client.force_login(finance_user)
    url = reverse("admin:fleet_flight_departure", args=[economy.flight_id])
    assert client.get(url).status_code == 403
    assert client.post(url, {"step": "depart"}).status_code == 403
    economy.flight.refresh_from_db()
    assert economy.flight.status == "scheduled"
