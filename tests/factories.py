import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from fleet.models import AircraftType, Airport, City, Flight
from sales.models import FareBucket, FareClass, Tax


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: "Q" + chr(65 + n // 26 % 26) + chr(65 + n % 26))
    name = factory.Faker("city")
    country = "FR"


class AirportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Airport
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: "Z" + chr(65 + n // 26 % 26) + chr(65 + n % 26))
    name = factory.LazyAttribute(lambda o: f"{o.code} International")
    city = factory.SubFactory(CityFactory, code=factory.SelfAttribute("..code"))
    time_zone = "Europe/Paris"


class AircraftTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AircraftType
        django_get_or_create = ["code"]

    code = "320"
    name = "Airbus A320"
    seats_business = 12
    seats_economy = 150


class FlightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flight

    carrier = "XB"
    number = factory.Sequence(lambda n: 1000 + n % 8000)
    flight_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    origin = factory.SubFactory(AirportFactory, code="CDG", time_zone="Europe/Paris")
    destination = factory.SubFactory(AirportFactory, code="LHR", time_zone="Europe/London")
    scheduled_departure = factory.LazyAttribute(
        lambda o: dt.datetime.combine(o.flight_date, dt.time(9, 0), tzinfo=dt.UTC)
    )
    scheduled_arrival = factory.LazyAttribute(lambda o: o.scheduled_departure + dt.timedelta(minutes=75))
    aircraft_type = factory.SubFactory(AircraftTypeFactory)
    capacity = 162


def flight_leaving(day, hour, *, minutes=75, **kwargs):
    """A flight leaving at `hour`:00 UTC on `day`, in the air `minutes`."""
    departure = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
    return FlightFactory(
        flight_date=day,
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(minutes=minutes),
        **kwargs,
    )


class FareClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FareClass
        django_get_or_create = ["code"]

    code = "Y"
    cabin = "Y"
    name = factory.LazyAttribute(lambda o: f"Economy {o.code}")


class FareBucketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FareBucket

    flight = factory.SubFactory(FlightFactory)
    fare_class = factory.SubFactory(FareClassFactory)
    price = Decimal("100.00")
    seats_allocated = 100


class TaxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tax

    code = "FR"
    name = "Civil aviation tax"
    amount = Decimal("4.63")
    departure_country = "FR"
