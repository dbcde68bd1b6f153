"""A new flight goes on sale with its route's fares, however it is created: the flight form,
fleet's services, or a schedule import. Fleet announces the flights it creates; sales opens them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.system import system_user
from fleet import schedule
from fleet import services as fleet
from fleet.models import Flight
from sales.models import FareBucket, FareClass, RouteFare
from tests.factories import AircraftTypeFactory, AirportFactory, FareClassFactory
from tests.fleet.test_admin import flight_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def route(db):
    cdg = AirportFactory(code="CDG", time_zone="Europe/Paris")
    lhr = AirportFactory(code="LHR", time_zone="Europe/London")
    aircraft = AircraftTypeFactory(code="320", seats_business=0, seats_economy=150)
    for code, price, seats in (("Y", "150.00", 100), ("M", "90.00", 400)):
        RouteFare.objects.create(
            origin=cdg,
            destination=lhr,
            fare_class=FareClassFactory(code=code),
            price=Decimal(price),
            seats_allocated=seats,
        )
    return cdg, lhr, aircraft


def buckets(flight):
    """{class: (price, seats allocated, seats sold)}; allocations are capped at the flight's capacity."""
    return {
        b.fare_class.code: (b.price, b.seats_allocated, b.seats_sold)
        for b in FareBucket.objects.filter(flight=flight).select_related("fare_class")
    }


ON_SALE = {"Y": (Decimal("150.00"), 100, 0), "M": (Decimal("90.00"), 150, 0)}


def test_a_flight_saved_by_its_service_goes_on_sale(route, admin_role_user):
    cdg, lhr, aircraft = route
    departure = timezone.now() + dt.timedelta(days=20)
    flight = Flight(
        carrier="XB",
        number=1021,
        flight_date=timezone.localdate(departure),
        origin=cdg,
        destination=lhr,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(minutes=80),
        aircraft_type=aircraft,
        capacity=150,
    )
    fleet.save_flight(flight=flight, user=admin_role_user)
    assert buckets(flight) == ON_SALE

    # Saving it again changes the flight, not its buckets.
    FareBucket.objects.filter(flight=flight, fare_class__code="Y").update(price=Decimal("99.00"))
    flight.capacity = 140
    fleet.save_flight(flight=flight, user=admin_role_user)
    assert buckets(flight)["Y"] == (Decimal("99.00"), 100, 0)


def test_a_flight_added_in_the_admin_goes_on_sale(route, admin_role_user, client):
    client.force_login(admin_role_user)
    assert client.post(reverse("admin:fleet_flight_add"), flight_form(*route)).status_code == 302
    assert buckets(Flight.objects.get()) == ON_SALE


def test_flights_planned_in_bulk_go_on_sale(route):
    cdg, lhr, aircraft = route
    day = timezone.localdate() + dt.timedelta(days=30)
    legs = [
        fleet.PlannedLeg("XB", 1021, "", 1, date, cdg, lhr, date, dt.time(10), date, dt.time(10, 20), aircraft)
        for date in (day, day + dt.timedelta(days=1))
    ]
    assert fleet.create_flights(legs=legs, user=system_user()) == 2
    assert [buckets(flight) for flight in Flight.objects.all()] == [ON_SALE, ON_SALE]


def test_flights_of_an_imported_schedule_go_on_sale(route):
    csv = f"{','.join(schedule.TABLE_COLUMNS)}\nXB 1021,1,CDG,LHR,10:00,10:20,,1234567,2027-05-03,2027-05-04,320,\n"
    summary = schedule.import_schedule(schedule.read_file(csv.encode(), name="s.csv"), user=system_user())
    assert summary.refused == [] and summary.flights_created == 2
    assert [buckets(flight) for flight in Flight.objects.all()] == [ON_SALE, ON_SALE]


def with_bucket_rows(data, *rows, initial=0):
    """The flight form's data with fare-bucket inline rows: (fare class, price, seats allocated[, bucket id])."""
    data = {**data, "fare_buckets-TOTAL_FORMS": str(len(rows)), "fare_buckets-INITIAL_FORMS": str(initial)}
    for i, (fare_class, price, seats, *bucket_id) in enumerate(rows):
        data[f"fare_buckets-{i}-fare_class"] = fare_class.pk
        data[f"fare_buckets-{i}-price"] = price
        data[f"fare_buckets-{i}-seats_allocated"] = seats
        data[f"fare_buckets-{i}-id"] = bucket_id[0] if bucket_id else ""
    return data


def test_a_bucket_typed_on_a_new_flight_takes_the_place_of_its_route_fare(route, admin_role_user, client):
    client.force_login(admin_role_user)
    y, m = FareClass.objects.get(code="Y"), FareClass.objects.get(code="M")
    j = FareClassFactory(code="J")
    data = with_bucket_rows(flight_form(*route), (y, "120.00", "80"), (j, "400.00", "12"))
    response = client.post(reverse("admin:fleet_flight_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    flight = Flight.objects.get()
    # What the Admin typed wins; the route's fares open the classes they did not type.
    assert buckets(flight) == {
        "Y": (Decimal("120.00"), 80, 0),
        "J": (Decimal("400.00"), 12, 0),
        "M": (Decimal("90.00"), 150, 0),
    }
    y_bucket = FareBucket.objects.get(flight=flight, fare_class=y)
    assert y_bucket.history.earliest().history_user == admin_role_user
    assert y_bucket.history.latest().history_user == admin_role_user
    assert y_bucket.history.latest().price == Decimal("120.00")
    assert m.pk in set(FareBucket.objects.filter(flight=flight).values_list("fare_class", flat=True))


@pytest.mark.parametrize("initial", [1, 2])
def test_rows_sent_as_existing_buckets_of_a_new_flight_are_refused_not_dropped(route, admin_role_user, client, initial):
    """A tampered INITIAL_FORMS says the rows are buckets already, on a flight that does not exist yet."""
    client.force_login(admin_role_user)
    y = FareClass.objects.get(code="Y")
    j = FareClassFactory(code="J")
    data = with_bucket_rows(flight_form(*route), (y, "120.00", "80"), (j, "400.00", "12"), initial=initial)
    response = client.post(reverse("admin:fleet_flight_add"), data)
    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert "not a fare bucket of this flight" in str(inline.formset.non_form_errors())
    assert not Flight.objects.exists() and not FareBucket.objects.exists()


def test_a_new_row_for_a_class_the_flight_has_says_so_on_the_row(route, admin_role_user, client):
    """Its change page sent with INITIAL_FORMS=0: the existing Y bucket comes back as a new row."""
    client.force_login(admin_role_user)
    assert client.post(reverse("admin:fleet_flight_add"), flight_form(*route)).status_code == 302
    flight = Flight.objects.get()
    before = buckets(flight)
    y = FareClass.objects.get(code="Y")
    url = reverse("admin:fleet_flight_change", args=[flight.pk])
    j = FareClassFactory(code="J")
    data = with_bucket_rows(
        flight_form(*route, flight_date=flight.flight_date.isoformat()), (j, "400.00", "12"), (y, "10.00", "5")
    )
    response = client.post(url, data)
    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    # On the row that typed Y, not on the J row.
    errors = str(inline.formset.forms[1].errors)
    assert "This flight already has a bucket in class Y" in errors, errors
    assert not inline.formset.forms[0].errors
    assert buckets(flight) == before
