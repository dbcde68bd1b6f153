"""Errors from fleet operations, worded for the person at the desk."""

from backoffice.errors import DomainError


class FleetError(DomainError):
    """A refused fleet operation."""


class UnknownAirport(FleetError):
    field = "code"


class CapacityBelowSeatsSold(FleetError):
    field = "capacity"


class FlightNotChangeable(FleetError):
    pass
