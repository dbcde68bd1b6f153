"""Prices: fares by passenger type, taxes per departure, half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal

from sales.models import Passenger

CENT = Decimal("0.01")

# Share of the adult fare each passenger type pays.
FARE_SHARE = {
    Passenger.Type.ADULT: Decimal("1"),
    Passenger.Type.CHILD: Decimal("0.75"),
    Passenger.Type.INFANT: Decimal("0.10"),
}


def money(amount):
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def fare_for(adult_fare, passenger_type):
    return money(Decimal(adult_fare) * FARE_SHARE[passenger_type])


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
