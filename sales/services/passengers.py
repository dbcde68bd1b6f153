"""Who travels and whom to reach: the passengers and contact of a booking as typed, checked and written
as IATA writes names."""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from sales.exceptions import InvalidBooking
from sales.models import Passenger, validate_phone_number

MAX_PASSENGERS = 9


TITLES = ("MR", "MRS", "MS", "MISS", "MSTR", "DR")


@dataclass(frozen=True)
class PassengerRequest:
    surname: str
    given_names: str
    title: str = ""
    passenger_type: str = Passenger.Type.ADULT
    # For an infant: the 1-based position of the adult whose lap it sits on.
    infant_of: int | None = None


@dataclass(frozen=True)
class Person:
    """A passenger as the booking will store them: checked, in IATA capitals, at their position (1-based)."""

    position: int
    surname: str
    given_names: str
    title: str
    passenger_type: str
    # An infant's adult, by position; None for everyone else.
    lap: int | None

    @property
    def takes_seat(self):
        return self.passenger_type != Passenger.Type.INFANT


_NAME_ALLOWED = re.compile(r"^[A-Z]+(?: [A-Z]+)*$")


def iata_capitals(value):
    """Capitals without accents, as IATA writes names; apostrophes go, hyphens become spaces."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.upper().replace("'", "").replace("’", "").replace("-", " ")
    return " ".join(text.split())


def iata_name_part(value, label, *, field=None, passenger=None):
    """A surname or given names as stored: IATA capitals, checked. A refusal names `field` of `passenger`."""
    text = iata_capitals(value)
    at_fault = {"field": field, "passenger": passenger}
    if not text:
        raise InvalidBooking(f"{label}: enter a name.", **at_fault)
    if not _NAME_ALLOWED.match(text):
        raise InvalidBooking(f"{label}: only letters, spaces, hyphens and apostrophes, not {value!r}.", **at_fault)
    if len(text) > 40:
        raise InvalidBooking(f"{label}: at most 40 letters.", **at_fault)
    return text


def clean_passengers(passengers):
    if not passengers:
        raise InvalidBooking("A booking needs at least one passenger.", field="passengers")
    if len(passengers) > MAX_PASSENGERS:
        raise InvalidBooking(
            f"A booking holds at most {MAX_PASSENGERS} passengers, not {len(passengers)}.", field="passengers"
        )
    cleaned = []
    laps = Counter()
    for position, request in enumerate(passengers, start=1):
        label = f"Passenger {position}"
        if request.passenger_type not in Passenger.Type.values:
            raise InvalidBooking(
                f"{label}: unknown passenger type {request.passenger_type!r}.",
                field="passenger_type",
                passenger=position,
            )
        title = (request.title or "").strip().upper().rstrip(".")
        if title and title not in TITLES:
            raise InvalidBooking(
                f"{label}: title must be one of {', '.join(TITLES)}.", field="title", passenger=position
            )
        surname = iata_name_part(request.surname, f"{label} surname", field="surname", passenger=position)
        given_names = iata_name_part(
            request.given_names, f"{label} given names", field="given_names", passenger=position
        )
        infant_of = request.infant_of
        if request.passenger_type == Passenger.Type.INFANT:
            adult = passengers[infant_of - 1] if infant_of and 1 <= infant_of <= len(passengers) else None
            if adult is None or adult.passenger_type != Passenger.Type.ADULT:
                raise InvalidBooking(
                    f"{label}: an infant travels on the lap of an adult on the same booking.",
                    field="infant_of",
                    passenger=position,
                )
            laps[infant_of] += 1
            if laps[infant_of] > 1:
                raise InvalidBooking(
                    f"{label}: passenger {infant_of} already has an infant on their lap.",
                    field="infant_of",
                    passenger=position,
                )
        else:
            infant_of = None
        cleaned.append(Person(position, surname, given_names, title, request.passenger_type, infant_of))
    return cleaned


def clean_contact(name, email, phone):
    name = " ".join((name or "").split())
    if not name:
        raise InvalidBooking("Contact name: enter a name.", field="contact_name")
    try:
        if len(email or "") > 254:
            raise ValidationError("too long")
        validate_email(email or "")
    except ValidationError as error:
        raise InvalidBooking(f"Contact e-mail: {email!r} is not an e-mail address.", field="contact_email") from error
    phone = (phone or "").strip()
    try:
        validate_phone_number(phone)
    except ValidationError as error:
        raise InvalidBooking(f"Contact phone: {phone[:40]!r} is not a phone number.", field="contact_phone") from error
    return name[:100], email.strip(), phone
