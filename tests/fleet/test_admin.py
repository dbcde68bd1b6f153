import datetime as dt
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fleet.admin import FlightAdmin
from fleet.models import Airport, Flight
from tests.factories import AircraftTypeFactory, AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db

ADD_FLIGHT = reverse("admin:fleet_flight_add")
NO_BUCKET_CHANGES = {
    "fare_buckets-TOTAL_FORMS": "0",
    "fare_buckets-INITIAL_FORMS": "0",
    "fare_buckets-MIN_NUM_FORMS": "0",
    "fare_buckets-MAX_NUM_FORMS": "1000",
}
# session, user, user and group permissions, the count (bounded: admin_base.EstimatedCountPaginator), the rows.
FLIGHT_LIST_QUERIES = 6


@pytest.fixture
def cdg_lhr():
    return (
        AirportFactory(code="CDG", time_zone="Europe/Paris"),
        AirportFactory(code="LHR", time_zone="Europe/London"),
        AircraftTypeFactory(),
    )


def flight_form(origin, destination, aircraft, **overrides):
    data = {
        "carrier": "XB",
        "number": "1021",
        "suffix": "",
        "leg_number": "1",
        "flight_date": "",
        "origin": origin.pk,
        "destination": destination.pk,
        "departure_local_0": "2026-03-29",
        "departure_local_1": "10:00",
        "arrival_local_0": "2026-03-29",
        "arrival_local_1": "10:20",
        "aircraft_type": aircraft.pk,
        "capacity": "",
        **NO_BUCKET_CHANGES,
    }
    data.update(overrides)
    return data


def test_admin_adds_a_flight_in_local_times_stored_in_utc_with_history(client, admin_role_user, cdg_lhr):
    client.force_login(admin_role_user)
    response = client.post(ADD_FLIGHT, flight_form(*cdg_lhr))
    assert response.status_code == 302, response.content.decode()[:2000]
    flight = Flight.objects.get()
    # 10:00 in Paris on the first day of summer time is 08:00 UTC; 10:20 in London is 09:20 UTC.
    assert flight.scheduled_departure == dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)
    assert flight.scheduled_arrival == dt.datetime(2026, 3, 29, 9, 20, tzinfo=dt.UTC)
    assert flight.flight_date == dt.date(2026, 3, 29)
    assert flight.capacity == 162
    record = flight.history.get()
    assert record.history_user == admin_role_user
    assert record.history_type == "+"


def test_arrival_before_departure_is_refused_on_the_arrival_field(client, admin_role_user, cdg_lhr):
    client.force_login(admin_role_user)
    response = client.post(ADD_FLIGHT, flight_form(*cdg_lhr, arrival_local_1="08:30"))
    assert response.status_code == 200
    assert "The arrival must come after the departure." in str(response.context["adminform"].form.errors)
    assert "arrival_local" in response.context["adminform"].form.errors
    assert not Flight.objects.exists()


def test_unknown_aircraft_type_is_refused_on_its_field(client, admin_role_user, cdg_lhr):
    client.force_login(admin_role_user)
    response = client.post(ADD_FLIGHT, flight_form(*cdg_lhr, aircraft_type="999999"))
    assert response.status_code == 200
    assert "aircraft_type" in response.context["adminform"].form.errors
    assert not Flight.objects.exists()


def test_same_origin_and_destination_is_refused(client, admin_role_user, cdg_lhr):
    origin, _, aircraft_type = cdg_lhr
    client.force_login(admin_role_user)
    response = client.post(ADD_FLIGHT, flight_form(origin, origin, aircraft_type))
    assert response.status_code == 200
    assert "destination" in response.context["adminform"].form.errors
    assert not Flight.objects.exists()


def test_leg_one_flight_date_must_be_the_departure_date(client, admin_role_user, cdg_lhr):
    client.force_login(admin_role_user)
    response = client.post(ADD_FLIGHT, flight_form(*cdg_lhr, flight_date="2026-03-28"))
    assert response.status_code == 200
    assert "flight_date" in response.context["adminform"].form.errors
    assert not Flight.objects.exists()


def test_capacity_cannot_be_lowered_below_seats_sold(client, admin_role_user):
    flight = FlightFactory(capacity=150, seats_sold=140)
    client.force_login(admin_role_user)
    url = reverse("admin:fleet_flight_change", args=[flight.pk])
    form = client.get(url).context["adminform"].form
    data = {**{k: v for k, v in form.initial.items() if v is not None}}
    data.update(
        origin=flight.origin.pk,
        destination=flight.destination.pk,
        aircraft_type=flight.aircraft_type.pk,
        departure_local_0=form.initial["departure_local"].date().isoformat(),
        departure_local_1=form.initial["departure_local"].time().isoformat(),
        arrival_local_0=form.initial["arrival_local"].date().isoformat(),
        arrival_local_1=form.initial["arrival_local"].time().isoformat(),
        flight_date=flight.flight_date.isoformat(),
        capacity="139",
        **NO_BUCKET_CHANGES,
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Capacity cannot go below the 140 seats already sold." in str(
        response.context["adminform"].form.errors["capacity"]
    )
    flight.refresh_from_db()
    assert flight.capacity == 150

    # Lowering it to exactly what is sold is allowed.
    data["capacity"] = "140"
    assert client.post(url, data).status_code == 302
    flight.refresh_from_db()
    assert flight.capacity == 140


def test_saving_the_change_form_keeps_seats_sold_that_changed_meanwhile(client, admin_role_user):
    flight = FlightFactory(capacity=150, seats_sold=10)
    client.force_login(admin_role_user)
    url = reverse("admin:fleet_flight_change", args=[flight.pk])
    form = client.get(url).context["adminform"].form
    # An agent sells five seats while the admin has the form open.
    Flight.objects.filter(pk=flight.pk).update(seats_sold=15)
    data = {
        "carrier": "XB",
        "number": flight.number,
        "suffix": "",
        "leg_number": 1,
        "flight_date": flight.flight_date.isoformat(),
        "origin": flight.origin.pk,
        "destination": flight.destination.pk,
        "departure_local_0": form.initial["departure_local"].date().isoformat(),
        "departure_local_1": form.initial["departure_local"].time().isoformat(),
        "arrival_local_0": form.initial["arrival_local"].date().isoformat(),
        "arrival_local_1": form.initial["arrival_local"].time().isoformat(),
        "aircraft_type": flight.aircraft_type.pk,
        "capacity": "160",
        **NO_BUCKET_CHANGES,
    }
    assert client.post(url, data).status_code == 302
    flight.refresh_from_db()
    assert (flight.capacity, flight.seats_sold) == (160, 15)


def test_adding_an_airport_takes_its_data_from_airportsdata(client, admin_role_user):
    client.force_login(admin_role_user)
    response = client.post(reverse("admin:fleet_airport_add"), {"code": "lgw"})
    assert response.status_code == 302
    airport = Airport.objects.select_related("city").get(code="LGW")
    assert airport.time_zone == "Europe/London"
    assert (airport.city.code, airport.city.name, airport.city.country) == ("LON", "London", "GB")
    assert airport.history.get().history_user == admin_role_user


def test_an_airport_code_airportsdata_does_not_know_is_refused(client, admin_role_user):
    client.force_login(admin_role_user)
    response = client.post(reverse("admin:fleet_airport_add"), {"code": "QQQ"})
    assert response.status_code == 200
    assert "QQQ is not an IATA airport code known to airportsdata." in str(
        response.context["adminform"].form.errors["code"]
    )
    assert not Airport.objects.exists()


def _changelist_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_flight_list_costs_the_same_queries_for_5_and_500_rows(client, admin_role_user, settings):
    client.force_login(admin_role_user)
    url = reverse("admin:fleet_flight_changelist") + "?all="
    FlightFactory.create_batch(5)
    few, response = _changelist_queries(client, url)
    assert len(response.context["cl"].result_list) == 5
    FlightFactory.create_batch(495)
    many, response = _changelist_queries(client, url)
    assert len(response.context["cl"].result_list) == 500
    assert few == many
    assert many == FLIGHT_LIST_QUERIES


def test_flight_list_shows_times_in_each_airports_local_zone(client, counter_user):
    FlightFactory(
        number=1021,
        scheduled_departure=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC),
        scheduled_arrival=dt.datetime(2026, 12, 1, 10, 15, tzinfo=dt.UTC),
    )
    client.force_login(counter_user)
    html = client.get(reverse("admin:fleet_flight_changelist")).content.decode()
    assert "XB 1021" in html
    assert "10:00 CET" in html  # Paris
    assert "10:15 GMT" in html  # London


def test_flight_list_marks_an_arrival_on_the_next_local_day(client, counter_user):
    run = AirportFactory(code="RUN", time_zone="Indian/Reunion")
    FlightFactory(
        number=971,
        destination=run,
        flight_date=dt.date(2026, 12, 1),
        scheduled_departure=dt.datetime(2026, 12, 1, 20, 30, tzinfo=dt.UTC),
        scheduled_arrival=dt.datetime(2026, 12, 2, 7, 30, tzinfo=dt.UTC),
    )
    client.force_login(counter_user)
    html = client.get(reverse("admin:fleet_flight_changelist")).content.decode()
    assert "21:30 CET" in html
    assert "11:30 +04 +1" in html  # Reunion is UTC+4, the next day


def test_search_by_designator(client, counter_user):
    FlightFactory(number=1021)
    FlightFactory(number=1022)
    client.force_login(counter_user)
    response = client.get(reverse("admin:fleet_flight_changelist"), {"q": "xb1021"})
    assert [f.number for f in response.context["cl"].result_list] == [1021]


def test_date_range_filter_takes_whole_days_and_ignores_garbage(client, counter_user):
    day = dt.date(2026, 12, 1)
    for hour_utc in (0, 12, 22, 23):  # 23:00 UTC is already 2 December in Paris
        FlightFactory(
            flight_date=day,
            scheduled_departure=dt.datetime.combine(day, dt.time(hour_utc), tzinfo=dt.UTC),
        )
    client.force_login(counter_user)
    url = reverse("admin:fleet_flight_changelist")
    response = client.get(
        url,
        {"scheduled_departure__range__gte": "2026-12-01", "scheduled_departure__range__lte": "2026-12-01"},
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    response = client.get(url, {"scheduled_departure__range__gte": "not a date"})
    assert response.status_code == 200


def test_the_flight_form_cannot_cancel_a_flight_behind_the_refunds(client, admin_role_user):
    flight = FlightFactory()
    client.force_login(admin_role_user)
    url = reverse("admin:fleet_flight_change", args=[flight.pk])
    form = client.get(url).context["adminform"].form
    assert "status" not in form.fields


def test_flight_list_opens_on_the_next_departures_then_the_past_most_recent_first(client, counter_user):
    """Ninety days of flown flights must not push tomorrow's flight off the first page of a search."""
    today = timezone.localdate()
    for days, hour, number in ((-5, 9, 1001), (-1, 9, 1003), (0, 4, 1005), (1, 9, 1007), (3, 9, 1009)):
        day = today + dt.timedelta(days=days)
        # 04:00 UTC is still today in Paris: a flight of this morning, already gone, stays with today's.
        FlightFactory(
            number=number, flight_date=day, scheduled_departure=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
        )
    client.force_login(counter_user)
    response = client.get(reverse("admin:fleet_flight_changelist"))
    assert [f.number for f in response.context["cl"].result_list] == [1005, 1007, 1009, 1003, 1001]
    # Page by page (read from the departure index in two ranges, backoffice and fleet admin), the same order.
    with patch.object(FlightAdmin, "list_per_page", 2):
        pages = [
            [f.number for f in client.get(reverse("admin:fleet_flight_changelist"), {"p": p}).context["cl"].result_list]
            for p in (1, 2, 3)
        ]
    assert pages == [[1005, 1007], [1009, 1003], [1001]]
    # A column header still sorts by its column.
    response = client.get(reverse("admin:fleet_flight_changelist"), {"o": "1"})
    assert [f.number for f in response.context["cl"].result_list] == [1001, 1003, 1005, 1007, 1009]
