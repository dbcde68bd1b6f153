"""The frame of every write of sales: one transaction, its lock and database faults made "try again";
the booking locked; a row saved with its history user."""

import functools

from django.db import InterfaceError, OperationalError, transaction

from backoffice import db_faults, locks
from sales import inventory
from sales.exceptions import TryAgain
from sales.models import Booking


def sales_operation(func):
    """One transaction; a lock wait that times out, a statement past its time limit or a connection the server
    dropped becomes a readable "try again" (nothing was written: the transaction is whole or not at all)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            if inventory.is_lock_error(error):
                raise TryAgain(
                    "Another agent is changing these seats right now. Please try again in a moment."
                ) from error
            message = db_faults.trouble(error)
            if message is not None:
                raise TryAgain(message) from error
            raise

    return wrapper


def locked_booking(booking):
    """The booking (or its id), locked: the first lock of the one order (backoffice/locks.py)."""
    booking_id = booking.pk if isinstance(booking, Booking) else booking
    locked = locks.lock_in_order(bookings=[booking_id]).bookings.get(booking_id)
    if locked is None:
        raise Booking.DoesNotExist(f"No booking {booking_id}.")
    return locked


def save_changes(instance, user, **fields):
    """Set these fields and save the row, its history row by `user`."""
    for name, value in fields.items():
        setattr(instance, name, value)
    instance._history_user = user
    instance.save()
    return instance
