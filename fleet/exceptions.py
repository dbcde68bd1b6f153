"""Errors from fleet operations, worded for the person at the desk."""


class FleetError(Exception):
    """A refused fleet operation. `field` names the input at fault, when there is one."""

    field = None

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    def __str__(self):
        return self.message


class UnknownAirport(FleetError):
    field = "code"


class CapacityBelowSeatsSold(FleetError):
    field = "capacity"
