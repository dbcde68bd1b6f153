"""Refusals a counter agent can read out to the passenger."""


class SalesError(Exception):
    """A refused sales operation; nothing was written. `field` names the input at fault."""

    field = None

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    def __str__(self):
        return self.message


class InvalidBooking(SalesError):
    """The request itself is wrong: passengers, names, segments."""


class SoldOut(SalesError):
    pass


class BucketClosed(SalesError):
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
