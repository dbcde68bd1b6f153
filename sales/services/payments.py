"""Taking a booking's payment: what it owes, whether it takes one now, and the payment."""

from django.conf import settings
from django.utils import timezone

from backoffice.money import to_cents
from backoffice.rules import ALLOWED, refuse
from sales import summaries
from sales.exceptions import PaymentRefused
from sales.models import Booking, Payment
from sales.services.holds import hold_lapsed
from sales.services.operation import locked_booking, sales_operation, save_changes


def amount_due(booking):
    """What the booking still owes, or None when it owes nothing any more (cancelled or expired)."""
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.EXPIRED):
        return None
    return booking.balance_due


def can_take_payment(booking, *, now=None):
    now = now or timezone.now()
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.EXPIRED):
        return refuse(PaymentRefused(f"{booking} is {booking.get_status_display().lower()}: it takes no payment."))
    lapsed = hold_lapsed(booking, now)
    if not lapsed:
        return lapsed
    if booking.balance_due <= 0:
        return refuse(PaymentRefused(f"{booking} owes nothing."))
    return ALLOWED


@sales_operation
def take_payment(*, booking, amount, method, reference="", agent, now=None):
    now = now or timezone.now()
    booking = locked_booking(booking)
    can_take_payment(booking, now=now).check()
    if method not in Payment.Method.values:
        raise PaymentRefused(f"Unknown payment method {method!r}.", field="method")
    try:
        amount = to_cents(amount)
    except (ArithmeticError, TypeError, ValueError) as error:
        raise PaymentRefused(f"{amount!r} is not an amount.") from error
    if amount <= 0:
        raise PaymentRefused("A payment must be more than zero.")
    if amount > booking.balance_due:
        raise PaymentRefused(
            f"{amount} {settings.CURRENCY} is above the balance due of {booking.balance_due} {settings.CURRENCY}."
        )
    if amount < booking.balance_due:
        # A part payment on a hold could only be kept or lost when the hold ends (docs/decisions.md).
        raise PaymentRefused(
            f"A booking is paid in one payment of its balance due, {booking.balance_due} {settings.CURRENCY}."
        )
    reference = (reference or "").strip()
    if method != Payment.Method.CASH and not reference:
        raise PaymentRefused("A card or bank transfer payment needs its reference.", field="reference")
    payment = Payment(
        booking=booking, amount=amount, method=method, reference=reference[:60], agent=agent, received_at=now
    )
    save_changes(payment, agent)
    summaries.record_payment(payment)
    save_changes(booking, agent, amount_paid=booking.amount_paid + amount)
    return payment
