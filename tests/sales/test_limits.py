"""Range limits on what money and seats depend on: refused with a message naming the field on both
databases, and by the database itself when the ORM is bypassed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from sales import services
from sales.exceptions import InvalidBooking
from sales.models import Booking, FareBucket, RouteFare, Tax
from tests.factories import AirportFactory, FareBucketFactory, FareClassFactory, TaxFactory
from tests.fleet.test_constraints import raw_update
from tests.sales.conftest import CONTACT, adults

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("phone", ["-99999999999999999999", "99999999999999999999", "+-1234567", "()()()()"])
def test_a_contact_phone_that_is_no_phone_number_is_refused_on_its_field(economy, counter_user, phone):
    with pytest.raises(InvalidBooking) as refused:
        services.book(
            segments=[services.SegmentRequest(economy.flight_id, "Y")],
            passengers=adults(1),
            agent=counter_user,
            **{**CONTACT, "contact_phone": phone},
        )
    assert refused.value.field == "contact_phone"
    assert not Booking.objects.exists()


@pytest.mark.parametrize("phone", ["+33 1 23 45 67 89", "(020) 7946 0958", "+1-212-555-0100", "0612345678"])
def test_real_phone_numbers_are_taken(economy, counter_user, phone):
    booking = services.book(
        segments=[services.SegmentRequest(economy.flight_id, "Y")],
        passengers=adults(1),
        agent=counter_user,
        **{**CONTACT, "contact_phone": phone},
    )
    assert booking.contact_phone == phone


def test_a_booking_with_a_phone_out_of_range_fails_model_validation(economy, counter_user):
    booking = services.book(
        segments=[services.SegmentRequest(economy.flight_id, "Y")], passengers=adults(1), agent=counter_user, **CONTACT
    )
    booking.contact_phone = "-99999999999999999999"
    with pytest.raises(ValidationError) as refused:
        booking.full_clean()
    assert "contact_phone" in refused.value.message_dict


@pytest.mark.parametrize("price", ["-0.01", "100000.00", "9999999999.99"])
def test_a_route_fare_out_of_range_is_refused_on_its_field(client, admin_role_user, price):
    client.force_login(admin_role_user)
    data = {
        "origin": AirportFactory(code="CDG").pk,
        "destination": AirportFactory(code="LHR").pk,
        "fare_class": FareClassFactory(code="Y").pk,
        "price": price,
        "seats_allocated": "100",
    }
    response = client.post(reverse("admin:sales_routefare_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("price")
    assert not RouteFare.objects.exists()


@pytest.mark.parametrize("seats", ["1000", "32768"])
def test_a_route_allocation_above_any_aircraft_is_refused_on_its_field(client, admin_role_user, seats):
    client.force_login(admin_role_user)
    data = {
        "origin": AirportFactory(code="CDG").pk,
        "destination": AirportFactory(code="LHR").pk,
        "fare_class": FareClassFactory(code="Y").pk,
        "price": "100.00",
        "seats_allocated": seats,
    }
    response = client.post(reverse("admin:sales_routefare_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("seats_allocated")


@pytest.mark.parametrize("amount", ["-1.00", "100000.00"])
def test_a_tax_out_of_range_is_refused_on_its_field(client, admin_role_user, amount):
    client.force_login(admin_role_user)
    data = {"code": "FR", "name": "Civil aviation tax", "amount": amount, "departure_country": "FR"}
    response = client.post(reverse("admin:sales_tax_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("amount")
    assert not Tax.objects.exists()


def test_model_validation_names_each_bucket_field_out_of_range():
    bucket = FareBucketFactory()
    bucket.price = Decimal("100000.00")
    bucket.seats_allocated = 32768
    with pytest.raises(ValidationError) as refused:
        bucket.full_clean()
    assert {"price", "seats_allocated"} <= set(refused.value.message_dict)


@pytest.mark.parametrize(
    ("sql", "constraint"),
    [
        ("UPDATE sales_farebucket SET price = 100000 WHERE id = %s", "farebucket_price_in_range"),
        ("UPDATE sales_farebucket SET seats_allocated = 1000 WHERE id = %s", "farebucket_allocation_in_range"),
    ],
)
def test_the_database_refuses_a_bucket_out_of_range(sql, constraint):
    bucket = FareBucketFactory()
    with pytest.raises(IntegrityError, match=constraint):
        raw_update(sql, [bucket.pk])
    bucket.refresh_from_db()
    assert (bucket.price, bucket.seats_allocated) == (Decimal("100.00"), 100)


def test_the_database_refuses_a_tax_above_the_limit():
    tax = TaxFactory()
    with pytest.raises(IntegrityError, match="tax_amount_in_range"):
        raw_update("UPDATE sales_tax SET amount = 100000 WHERE id = %s", [tax.pk])


def test_the_database_refuses_a_route_fare_out_of_range():
    fare = RouteFare.objects.create(
        origin=AirportFactory(code="CDG"),
        destination=AirportFactory(code="LHR"),
        fare_class=FareClassFactory(code="Y"),
        price=Decimal("100.00"),
        seats_allocated=100,
    )
    with pytest.raises(IntegrityError, match="routefare_price_in_range"):
        raw_update("UPDATE sales_routefare SET price = 100000 WHERE id = %s", [fare.pk])
    with pytest.raises(IntegrityError, match="routefare_allocation_in_range"):
        raw_update("UPDATE sales_routefare SET seats_allocated = 1000 WHERE id = %s", [fare.pk])
    assert FareBucket.objects.count() == 0
