"""Refusals a counter agent can read out to the passenger."""

from backoffice.errors import DomainError


class SalesError(DomainError):
    """A refused sales operation; nothing was written."""


class InvalidBooking(SalesError):
    """The request itself is wrong: passengers, names, segments. `passenger` is the 1-based position of the
    passenger at fault, with `field` the name of their field (surname, given_names, title, ...)."""

    passenger = None

    def __init__(self, message, *, field=None, record=None, passenger=None):
        super().__init__(message, field=field, record=record)
        self.passenger = passenger


class SoldOut(SalesError):
    pass


class BucketClosed(SalesError):
    pass


class BucketNotChangeable(SalesError):
    pass


class FlightNotBookable(SalesError):
    pass


class HoldExpired(SalesError):
    pass


class PaymentRefused(SalesError):
    field = "amount"


class NotFullyPaid(SalesError):
    pass


class TicketNotChangeable(SalesError):
    pass


class TryAgain(SalesError):
    """Another agent holds the seats being changed; retrying in a moment will work."""
