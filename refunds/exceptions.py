"""Refusals finance and counter staff can read."""

from sales.exceptions import SalesError


class RefundError(SalesError):
    """A refused refund operation; nothing was written."""


class RefundNotAllowed(RefundError):
    pass
