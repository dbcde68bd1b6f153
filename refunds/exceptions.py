"""Refusals finance and counter staff can read."""

from backoffice.errors import AlreadyDone
from sales.exceptions import SalesError


class RefundError(SalesError):
    """A refused refund operation; nothing was written."""


class RefundNotAllowed(RefundError):
    pass


class RefundAlreadyRequested(RefundNotAllowed, AlreadyDone):
    """The ticket already has its refund (pressing the button twice): `refund` is that one."""

    def __init__(self, message, *, refund, field=None):
        super().__init__(message, field=field)
        self.refund = refund
