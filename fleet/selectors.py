"""Reads that matter in the network: finding flights and places the way a person types them."""

import re
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Q, Value, When

from fleet.models import Airport, City, StaffStation

MAX_SEARCH_TEXT = 60

_NUMBER = re.compile(r"\d{1,4}")
_DESIGNATOR = re.compile(r"([A-Z0-9]{2}) ?(\d{1,4})([A-Z]?)")
_CODE = re.compile(r"[A-Z]{3}")
_ROUTE = re.compile(r"([A-Z]{3}) ?[-–—/>]? ?([A-Z]{3})")


def clean_search_text(term):
    """Spaces collapsed, capped in length, without NUL characters (PostgreSQL refuses them in text)."""
    return " ".join((term or "").replace("\x00", "").split())[:MAX_SEARCH_TEXT]


def _airports_coded(code):
    """The airports an IATA airport or city code stands for, as a subquery."""
    return Airport.objects.filter(Q(code=code) | Q(city__code=code)).values("pk")


def flight_search(queryset, term):
    """The flights a person means by `term`, in one query whatever it is.

    `1001` is flight number 1001 of any carrier, `XB1001` or `XB 1001A` a
    designator; `CDG-LHR`, `CDG LHR` or `PAR/LON` a route in that direction
    only (airport or city codes); `CDG` or `LON` departs or arrives there;
    anything else a city or airport name at either end.
    """
    text = clean_search_text(term)
    if not text:
        return queryset
    upper = text.upper()
    if _NUMBER.fullmatch(upper):
        return queryset.filter(number=int(upper))
    # A carrier code has a letter (XB, U2, 2X); the suffix is an optional operational letter.
    if (match := _DESIGNATOR.fullmatch(upper)) and not match[1].isdigit():
        carrier, number, suffix = match.groups()
        flights = queryset.filter(carrier=carrier, number=int(number))
        # Without a suffix, the flight's operational variants (XB 1021A) count too.
        return flights.filter(suffix=suffix) if suffix else flights
    if _CODE.fullmatch(upper):
        airports = _airports_coded(upper)
        return queryset.filter(Q(origin__in=airports) | Q(destination__in=airports))
    if match := _ROUTE.fullmatch(upper):
        origin, destination = match.groups()
        return queryset.filter(origin__in=_airports_coded(origin), destination__in=_airports_coded(destination))
    named = Airport.objects.filter(Q(name__istartswith=text) | Q(city__name__istartswith=text)).values("pk")
    return queryset.filter(Q(origin__in=named) | Q(destination__in=named))


# Ranks of a place for the text typed: its exact code first, then the airports of a city with that code,
# then names starting with the text, then names merely containing it.
EXACT_CODE, CITY_CODE, NAME_STARTS, NAME_CONTAINS = range(4)


def _airport_rank(code, text):
    return Case(
        When(code=code, then=Value(EXACT_CODE)),
        When(city__code=code, then=Value(CITY_CODE)),
        When(Q(name__istartswith=text) | Q(city__name__istartswith=text), then=Value(NAME_STARTS)),
        default=Value(NAME_CONTAINS),
        output_field=IntegerField(),
    )


def airport_search(queryset, term):
    """Airports for the admin's autocomplete and list search: the code typed first, then names
    that start with the text, then names that contain it."""
    text = clean_search_text(term)
    if not text:
        return queryset
    code = text.upper()
    return (
        queryset.filter(Q(code=code) | Q(city__code=code) | Q(name__icontains=text) | Q(city__name__icontains=text))
        .annotate(search_rank=_airport_rank(code, text))
        .order_by("search_rank", "code")
    )


@dataclass(frozen=True)
class Location:
    """A city or airport code the counter can search from or to."""

    code: str
    label: str
    is_city: bool


def location_suggestions(term, *, limit=12):
    """Codes for the search form as the agent types: the city or airport with exactly that code
    first (`PAR`, `LON`, `CDG`), then the airports of that city, then cities and airports whose
    name starts with the text. Two queries; each code once."""
    text = clean_search_text(term)[:40]
    if len(text) < 2:
        return []
    code = text.upper()
    cities = list(
        City.objects.filter(Q(code=code) | Q(name__istartswith=text))
        .annotate(
            search_rank=Case(When(code=code, then=Value(EXACT_CODE)), default=Value(NAME_STARTS)),
        )
        .order_by("search_rank", "name", "code")[:limit]
    )
    airports = list(
        Airport.objects.select_related("city")
        .filter(Q(code=code) | Q(city__code=code) | Q(name__istartswith=text) | Q(city__name__istartswith=text))
        .annotate(
            search_rank=_airport_rank(code, text),
            # Heathrow sorts with London, its city, when "lon" is typed.
            sort_name=Case(When(city__name__istartswith=text, then=F("city__name")), default=F("name")),
        )
        .order_by("search_rank", "sort_name", "code")[:limit]
    )
    airport_codes = {a.code for a in airports}
    ranked = [
        ((c.search_rank, c.name.casefold(), 0, c.code), Location(c.code, f"{c.code} · {c.name} (city)", True))
        for c in cities
        # A city of one airport shares its code: the airport says more.
        if c.code not in airport_codes
    ]
    ranked += [
        (
            (a.search_rank, a.sort_name.casefold(), 1, a.code),
            Location(a.code, f"{a.code} · {a.name}, {a.city.name}", False),
        )
        for a in airports
    ]
    ranked.sort(key=lambda pair: pair[0])
    return [location for _, location in ranked[:limit]]


def percent_sold():
    """Whole per cent of the seats sold, rounded down: the expression of the index `flight_percent_sold_idx`."""
    return F("seats_sold") * 100 / F("capacity")


def fuller_than(flights, percent):
    """The flights more than `percent` % sold (seats sold over capacity), in whole-number arithmetic.

    The whole per cent sold is at least `percent` for each of them (read from its index among a million
    flights), and the exact comparison keeps those above it."""
    return flights.alias(sold_hundredfold=F("seats_sold") * 100, sold_percent=percent_sold()).filter(
        sold_percent__gte=percent, sold_hundredfold__gt=F("capacity") * percent
    )


def station_of(user):
    """The airport `user` works at, or None when no station is set (one query)."""
    station = StaffStation.objects.select_related("airport").filter(user_id=user.pk).first()
    return station.airport if station is not None else None
