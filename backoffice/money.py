"""Money, once: one currency, amounts to the cent rounded half-up, and how an amount is written.

Amounts are `Decimal` everywhere; the database sums them, Python rounds them here. Every app
imports these (backoffice is under all of them), so a rounding or a format cannot drift.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Two amounts that differ by less than this are the same amount (database checks on sums of rounded parts).
HALF_CENT = Decimal("0.005")


def to_cents(amount):
    """`amount` (a Decimal, an int, a string; None is nothing) to the cent, half-up: 33.335 -> 33.34."""
    return (Decimal(amount) if amount is not None else ZERO).quantize(CENT, rounding=ROUND_HALF_UP)


def grouped(amount):
    """`1,234.50`: two decimals, thousands grouped (documents, report tables)."""
    return f"{amount:,.2f}"


def with_currency(amount):
    """`1,234.50 EUR`."""
    return f"{grouped(amount)} {settings.CURRENCY}"
