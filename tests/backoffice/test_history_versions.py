"""Every history version page (/admin/<app>/<model>/<id>/history/<version>/) reads the record as it was:
related records as links or text, never a select of every row they could have pointed at, and the
same number of queries whatever the size of the tables they point into."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.admin_base import CheckedHistoryViewMixin
from fleet.models import AircraftType, ScheduleLine
from refunds import services as refund_services
from refunds.models import RefundRule
from sales import services
from sales.models import FareClass, RouteFare, Ticket
from tests.factories import AirportFactory, CityFactory, FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory
from tests.sales.conftest import CONTACT

pytestmark = pytest.mark.django_db

MANY = 300


def history_models():
    return sorted(
        (
            model
            for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, CheckedHistoryViewMixin)
        ),
        key=lambda model: model._meta.label,
    )


def sell(flight, bucket, agent, *, surname="Martin"):
    booking = services.book(
        segments=[services.SegmentRequest(flight.pk, bucket.fare_class.code)],
        passengers=[services.PassengerRequest(surname=surname, given_names="Anne", title="MS")],
        agent=agent,
        **CONTACT,
    )
    return booking


@pytest.fixture
def world(counter_user, finance_user, admin_role_user):
    """One record of every kind with history: a ticket sold, paid, issued and surrendered for a refund."""
    departure = timezone.now() + dt.timedelta(days=10)
    flight = FlightFactory(
        capacity=MANY + 10,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(hours=1),
        flight_date=timezone.localdate(departure),
    )
    economy = FareBucketFactory(flight=flight, fare_class=FareClassFactory(code="Y"), seats_allocated=MANY + 10)
    TaxFactory(departure_airport=flight.origin, departure_country="")
    RefundRule.objects.create(fare_class=economy.fare_class, cancellation_fee=Decimal("10.00"))
    RouteFare.objects.create(
        origin=flight.origin,
        destination=flight.destination,
        fare_class=economy.fare_class,
        price=Decimal("100.00"),
        seats_allocated=100,
    )
    ScheduleLine.objects.create(
        carrier="XB",
        number=1001,
        origin=flight.origin,
        destination=flight.destination,
        departure_time="07:10",
        arrival_time="07:30",
        days_of_operation="1234567",
        valid_from=flight.flight_date,
        valid_to=flight.flight_date + dt.timedelta(days=30),
        aircraft_type=flight.aircraft_type,
    )
    booking = sell(flight, economy, counter_user)
    services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter_user)
    services.issue_tickets(booking=booking, agent=counter_user)
    refund_services.request_refund(ticket=Ticket.objects.get(booking=booking), requested_by=counter_user)
    group = Group.objects.order_by("pk").first()
    group._history_user = admin_role_user
    group.save()
    return flight, economy, counter_user


def grow(world):
    """MANY more rows in every table a history version could point into (as many fare classes as letters)."""
    flight, economy, agent = world
    CityFactory.create_batch(MANY)
    AirportFactory.create_batch(MANY)
    AircraftType.objects.bulk_create(
        AircraftType(code=f"{n:03d}", name=f"Type {n}", seats_economy=100) for n in range(400, 400 + MANY)
    )
    taken = set(FareClass.objects.values_list("code", flat=True))
    FareClass.objects.bulk_create(
        FareClass(code=chr(code), cabin="Y", name=f"Economy {chr(code)}")
        for code in range(ord("A"), ord("Z") + 1)
        if chr(code) not in taken
    )
    for _ in range(MANY):
        FareBucketFactory(flight=FlightFactory(), fare_class=economy.fare_class)
    for n in range(MANY):
        sell(flight, economy, agent, surname=f"Martin{'x' * (n % 30)}")
    User.objects.bulk_create(User(username=f"agent{n}", is_staff=True) for n in range(MANY))
    Group.objects.bulk_create(Group(name=f"Team {n}") for n in range(MANY))
    content_type = ContentType.objects.get_for_model(Ticket)
    Permission.objects.bulk_create(
        Permission(codename=f"look_{n}", name=f"Can look {n}", content_type=content_type) for n in range(MANY)
    )


def version_pages():
    """{model label: the page of its first version written}."""
    pages = {}
    for model in history_models():
        opts = model._meta
        version = model.history.order_by("history_id").first()
        assert version is not None, f"the world has no {opts.label} with history"
        pages[opts.label] = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_simple_history",
            args=[getattr(version, opts.pk.attname), version.history_id],
        )
    return pages


def queries_of(client, pages):
    counts = {}
    for label, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        html = response.content.decode()
        assert "<select" not in html, f"{label}'s past version offers choices"
        counts[label] = len(queries)
    return counts


def test_every_model_with_history_has_a_version_page_here():
    assert {m._meta.label for m in history_models()} >= {
        "auth.Group",
        "auth.User",
        "fleet.City",
        "fleet.Airport",
        "fleet.AircraftType",
        "fleet.Flight",
        "fleet.ScheduleLine",
        "sales.FareClass",
        "sales.RouteFare",
        "sales.Tax",
        "sales.Booking",
        "sales.Ticket",
        "sales.Payment",
        "refunds.RefundRule",
        "refunds.Refund",
    }


def test_a_past_version_costs_the_same_queries_with_few_or_many_related_rows(world, client):
    superuser = User.objects.create_superuser("root", password="pw-for-tests-only")
    client.force_login(superuser)
    pages = version_pages()
    few = queries_of(client, pages)
    grow(world)
    assert version_pages() == pages
    many = queries_of(client, pages)
    assert many == few


def test_a_past_ticket_links_its_booking_and_flight(world, client):
    superuser = User.objects.create_superuser("root", password="pw-for-tests-only")
    client.force_login(superuser)
    ticket = Ticket.objects.select_related("booking", "flight").get()
    url = reverse("admin:sales_ticket_simple_history", args=[ticket.pk, ticket.history.earliest().history_id])
    html = client.get(url).content.decode()
    assert reverse("admin:sales_booking_change", args=[ticket.booking_id]) in html
    assert reverse("admin:fleet_flight_change", args=[ticket.flight_id]) in html
