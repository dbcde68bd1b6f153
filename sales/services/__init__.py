"""Counter sales: every write here is one business operation in one transaction.

Each function takes keyword arguments and the acting user, records history
with that user, and raises a `SalesError` a counter agent can read; when it
raises, nothing it did is kept. Next to each operation, its rule `can_*`
(backoffice/rules.py): the operation calls it under its locks, the pages call it to offer the button.

One module per workflow:

- `operation`: the transaction every write runs in (`sales_operation`), the booking locked, a row saved;
- `on_sale`: when a flight may be sold, and where its check-in stands;
- `passengers`: the passengers and contact as typed, checked, in IATA capitals;
- `booking`: choosing, pricing and booking seats (`book`, `quote_booking`, `pay_now`);
- `payments`: taking the payment (`take_payment`);
- `ticketing`: issuing the tickets (`issue_tickets`);
- `holds`: the hold's deadline, cancelling a hold or a seat, expiring holds;
- `closing`: closing tickets, their seats given back (used by holds and by refunds);
- `departure`: a flight departed, no-shows;
- `fare_buckets`: a flight's fare buckets, opened and edited.

The names callers use are importable from here (`from sales import services; services.book(...)`).
A test that replaces one patches the module that looks it up (`sales.services.booking._insert_booking_sql`).
"""

from sales.services.booking import LOCATOR_ALPHABET, MAX_SEGMENTS, SegmentRequest, book, pay_now, quote_booking
from sales.services.closing import close_tickets, lap_infant_tickets
from sales.services.departure import DEPARTURE_FROM_BEFORE, can_depart, depart_flight, mark_no_show
from sales.services.fare_buckets import open_sales, open_sales_of_new_flights, route_fare_table, save_fare_buckets
from sales.services.holds import (
    HOLD_ENDS_BEFORE_DEPARTURE,
    can_cancel_booking,
    can_cancel_seat,
    cancel_booking,
    cancel_ticket,
    current_hold_deadline,
    expire_hold,
    expire_holds,
    expire_if_due,
    hold_deadline,
    hold_lapsed,
)
from sales.services.on_sale import CHECK_IN_STATES, SALES_CLOSE_BEFORE_DEPARTURE, CheckIn, can_sell_on, check_in
from sales.services.operation import locked_booking, sales_operation, save_changes
from sales.services.passengers import (
    MAX_PASSENGERS,
    TITLES,
    PassengerRequest,
    Person,
    clean_contact,
    clean_passengers,
    iata_capitals,
    iata_name_part,
)
from sales.services.payments import amount_due, can_take_payment, take_payment
from sales.services.ticketing import business_today, can_issue, issue_tickets

__all__ = [
    "CHECK_IN_STATES",
    "DEPARTURE_FROM_BEFORE",
    "HOLD_ENDS_BEFORE_DEPARTURE",
    "LOCATOR_ALPHABET",
    "MAX_PASSENGERS",
    "MAX_SEGMENTS",
    "SALES_CLOSE_BEFORE_DEPARTURE",
    "TITLES",
    "CheckIn",
    "PassengerRequest",
    "Person",
    "SegmentRequest",
    "amount_due",
    "book",
    "business_today",
    "can_cancel_booking",
    "can_cancel_seat",
    "can_depart",
    "can_issue",
    "can_sell_on",
    "can_take_payment",
    "cancel_booking",
    "cancel_ticket",
    "check_in",
    "clean_contact",
    "clean_passengers",
    "close_tickets",
    "current_hold_deadline",
    "depart_flight",
    "expire_hold",
    "expire_holds",
    "expire_if_due",
    "hold_deadline",
    "hold_lapsed",
    "iata_capitals",
    "iata_name_part",
    "issue_tickets",
    "lap_infant_tickets",
    "locked_booking",
    "mark_no_show",
    "open_sales",
    "open_sales_of_new_flights",
    "pay_now",
    "quote_booking",
    "route_fare_table",
    "sales_operation",
    "save_changes",
    "save_fare_buckets",
    "take_payment",
]
