"""Prices: fares by passenger type, taxes per departure, half-up to the cent.

`price_booking` is the one place a booking is priced: the quote on the booking
form and `services.book` both call it, so what the agent reads out is what the
booking costs.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from backoffice.money import to_cents
from sales.models import FareBucket, Passenger, Tax

# Share of the adult fare each passenger type pays.
FARE_SHARE = {
    Passenger.Type.ADULT: Decimal("1"),
    Passenger.Type.CHILD: Decimal("0.75"),
    Passenger.Type.INFANT: Decimal("0.10"),
}


def fare_for(adult_fare, passenger_type):
    return to_cents(Decimal(adult_fare) * FARE_SHARE[passenger_type])


def taxes_for(flight, passenger_type, taxes):
    """The tax lines a passenger pays on one departure. Infants pay none."""
    if passenger_type == Passenger.Type.INFANT:
        return []
    country = flight.origin.city.country
    return [
        tax
        for tax in taxes
        if tax.departure_airport_id == flight.origin_id
        or (tax.departure_airport_id is None and tax.departure_country == country)
    ]


@dataclass(frozen=True)
class FarePrice:
    """What each passenger of one type pays on one flight, and how many of them travel."""

    bucket: FareBucket
    passenger_type: str
    passengers: int
    fare: Decimal
    taxes: tuple  # the Tax rows that apply, each charged at its amount to the cent

    @property
    def tax_total(self):
        return to_cents(sum((to_cents(tax.amount) for tax in self.taxes), start=to_cents(0)))

    @property
    def total(self):
        """Fare and taxes of one passenger: the frozen price of their ticket."""
        return self.fare + self.tax_total

    @property
    def amount(self):
        return self.total * self.passengers

    @property
    def passenger_type_label(self):
        return Passenger.Type(self.passenger_type).label


@dataclass(frozen=True)
class BookingPrice:
    lines: tuple  # FarePrice, by departure then adult, child, infant

    @property
    def total(self):
        return to_cents(sum((line.amount for line in self.lines), start=to_cents(0)))

    @property
    def currency(self):
        return settings.CURRENCY

    def line(self, bucket, passenger_type):
        bucket_id = bucket.pk if isinstance(bucket, FareBucket) else bucket
        for line in self.lines:
            if line.bucket.pk == bucket_id and line.passenger_type == passenger_type:
                return line
        raise KeyError((bucket_id, passenger_type))


def price_booking(*, buckets, passenger_types, taxes=None):
    """The price of these passengers (one type each) on these fare buckets, flight by flight.

    The buckets need `flight.origin.city` loaded; `taxes` defaults to every tax.
    """
    if taxes is None:
        taxes = list(Tax.objects.select_related("departure_airport"))
    counts = Counter(passenger_types)
    lines = [
        FarePrice(
            bucket=bucket,
            passenger_type=kind,
            passengers=counts[kind],
            fare=fare_for(bucket.price, kind),
            taxes=tuple(taxes_for(bucket.flight, kind, taxes)),
        )
        for bucket in sorted(buckets, key=lambda b: b.flight.scheduled_departure)
        for kind in Passenger.Type.values
        if counts[kind]
    ]
    return BookingPrice(lines=tuple(lines))
