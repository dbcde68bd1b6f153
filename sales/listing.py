"""The sales listing's rows (sales.models.IssuedTicket), kept in the transaction that changes what they show.

The listing ("Each document" of the sales report and its CSV) shows, per issued ticket: number, issue
time, agent, record locator, passenger, type, flight, route, class, fare, taxes, total, form of
payment and status now. Read from the tickets, that is a join of nine tables and a sort: a million
rows of it cost PostgreSQL about 12 s (README, "Reports at scale"). Kept here as one row per ticket,
the listing is one index range of one table.

What writes a row, and what changes one afterwards:
- `record_issue`: the tickets just issued (sales.services.issue_tickets, the only way a ticket is
  issued, on PostgreSQL and SQLite alike), in that transaction;
- `record_status`: every service that changes an issued ticket's status (close_tickets: void,
  surrender, cancelled flight; depart_flight; mark_no_show; refunds' mark_refund_paid);
- the signals below: a renamed agent, a fare class's new code, a flight whose number, date or
  route changes while it is still scheduled (fleet cannot call sales: it sits below);
- the rest never changes once issued: number, issue time, record locator, the passenger's name
  and type (no service renames a passenger), the amounts, airports' codes (read-only once made);
  the form of payment is the booking's first payment, taken before its tickets are issued (a
  booking is issued only when paid in full, in one payment).

`rebuild()` remakes every row from the tickets (`manage.py rebuild_sales_summaries`), `differences()`
compares them (`--check`).
"""

from django.apps import apps as installed_apps
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

FIELDS = (
    "number",
    "issued_at",
    "agent_id",
    "agent_username",
    "record_locator",
    "passenger",
    "passenger_type",
    "flight",
    "route",
    "fare_class_id",
    "fare_class_code",
    "fare",
    "taxes",
    "total",
    "form_of_payment",
    "status",
)


def flight_text(flight):
    """`XB 1021A 05NOV26`: the flight as the listing names it."""
    return f"{flight.carrier} {flight.number}{flight.suffix} {flight.flight_date:%d%b%y}".upper()


def route_text(flight):
    return f"{flight.origin.code}-{flight.destination.code}"


def passenger_text(passenger):
    """`SURNAME/GIVEN NAMES TITLE` (Passenger.iata_name; here for the migration's historical models too)."""
    name = f"{passenger.surname}/{passenger.given_names}"
    return f"{name} {passenger.title}" if passenger.title else name


def row_of(ticket, *, record_locator, form_of_payment, model=None):
    """The listing's row of an issued ticket whose passenger, flight (airports), bucket (class) and agent are loaded."""
    model = model or installed_apps.get_model("sales", "IssuedTicket")
    return model(
        ticket_id=ticket.pk,
        number=ticket.number,
        issued_at=ticket.issued_at,
        agent_id=ticket.issued_by_id,
        agent_username=ticket.issued_by.username,
        record_locator=record_locator,
        passenger=passenger_text(ticket.passenger),
        passenger_type=ticket.passenger.passenger_type,
        flight=flight_text(ticket.flight),
        route=route_text(ticket.flight),
        fare_class_id=ticket.fare_bucket.fare_class_id,
        fare_class_code=ticket.fare_bucket.fare_class.code,
        fare=ticket.fare_amount,
        taxes=ticket.tax_amount,
        total=ticket.total_amount,
        form_of_payment=form_of_payment or "",
        status=ticket.status,
    )


def form_of_payment(booking):
    """The method of the booking's first payment ("" when none): the listing's form of payment."""
    from sales.models import Payment

    first = Payment.objects.filter(booking=booking).order_by("received_at", "pk").values_list("method", flat=True)
    return first.first() or ""


def record_issue(tickets, *, booking):
    """Tickets just issued (passenger, flight with airports, bucket with class, agent loaded).

    In the caller's transaction."""
    from sales.models import IssuedTicket

    method = form_of_payment(booking)
    IssuedTicket.objects.bulk_create(
        [row_of(ticket, record_locator=booking.record_locator, form_of_payment=method) for ticket in tickets]
    )


def record_status(tickets):
    """Tickets whose status just changed: their rows say the new one. In the caller's transaction."""
    from sales.models import IssuedTicket

    by_status = {}
    for ticket in tickets:
        if ticket.issued_at is not None:  # a hold that never was issued has no row
            by_status.setdefault(ticket.status, []).append(ticket.pk)
    for status, ids in sorted(by_status.items()):
        IssuedTicket.objects.filter(ticket_id__in=sorted(ids)).update(status=status)


# --- Renames (signals: these models belong to the apps below sales) ---------------------------


def agent_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and "username" not in update_fields:
        return  # a login (last_login), a password: nothing the listing shows
    from sales.models import IssuedTicket

    IssuedTicket.objects.filter(agent_id=instance.pk).exclude(agent_username=instance.username).update(
        agent_username=instance.username
    )


def fare_class_saved(sender, instance, created=False, **kwargs):
    if created:
        return
    from sales.models import IssuedTicket

    IssuedTicket.objects.filter(fare_class_id=instance.pk).exclude(fare_class_code=instance.code).update(
        fare_class_code=instance.code
    )


LISTED_FLIGHT_FIELDS = {"carrier", "number", "suffix", "flight_date", "origin", "destination"}


def flight_saved(sender, instance, created=False, update_fields=None, **kwargs):
    if created or instance.status != instance.Status.SCHEDULED:
        return  # departure and cancellation save the flight too; a flight that left or was cancelled is not edited
    if update_fields is not None and not LISTED_FLIGHT_FIELDS & set(update_fields):
        return
    from sales.models import IssuedTicket, Ticket

    flight, route = flight_text(instance), route_text(instance)
    rows = IssuedTicket.objects.filter(ticket__in=Ticket.objects.filter(flight_id=instance.pk).values("pk"))
    changed = rows.exclude(flight=flight, route=route)
    changed.update(flight=flight, route=route)


# --- From scratch ----------------------------------------------------------------------------------


def from_tickets(tickets=None, apps=installed_apps):
    """The listing's rows computed from the tickets (unsaved IssuedTicket objects), in (issued_at, number) order."""
    Payment, Ticket = apps.get_model("sales", "Payment"), apps.get_model("sales", "Ticket")  # noqa: N806
    model = apps.get_model("sales", "IssuedTicket")

    first_method = Payment.objects.filter(booking=OuterRef("booking")).order_by("received_at", "pk").values("method")
    tickets = (tickets if tickets is not None else Ticket.objects.all()).filter(issued_at__isnull=False)
    tickets = (
        tickets.select_related(
            "issued_by", "passenger", "flight__origin", "flight__destination", "fare_bucket__fare_class", "booking"
        )
        .annotate(first_method=Subquery(first_method[:1]))
        .order_by("issued_at", "number")
    )
    for ticket in tickets.iterator(chunk_size=2000):
        yield row_of(
            ticket, record_locator=ticket.booking.record_locator, form_of_payment=ticket.first_method, model=model
        )


# PostgreSQL: the same rows in one statement (5 million tickets: minutes in Python, seconds here).
# Each expression is the one of row_of above; tests/reporting/test_sales_listing_table.py compares both.
REBUILD_SQL = """
INSERT INTO sales_issuedticket (ticket_id, {fields})
SELECT t.id, t.number, t.issued_at, t.issued_by_id, u.username, b.record_locator,
       p.surname || '/' || p.given_names || CASE WHEN p.title <> '' THEN ' ' || p.title ELSE '' END,
       p.passenger_type,
       upper(f.carrier || ' ' || f.number || f.suffix || ' ' || to_char(f.flight_date, 'DDMonYY')),
       o.code || '-' || d.code,
       fb.fare_class_id, fc.code, t.fare_amount, t.tax_amount, t.total_amount,
       COALESCE(first_payment.method, ''), t.status
FROM sales_ticket t
JOIN auth_user u ON u.id = t.issued_by_id
JOIN sales_booking b ON b.id = t.booking_id
JOIN sales_passenger p ON p.id = t.passenger_id
JOIN fleet_flight f ON f.id = t.flight_id
JOIN fleet_airport o ON o.id = f.origin_id
JOIN fleet_airport d ON d.id = f.destination_id
JOIN sales_farebucket fb ON fb.id = t.fare_bucket_id
JOIN sales_fareclass fc ON fc.id = fb.fare_class_id
LEFT JOIN (
    SELECT DISTINCT ON (booking_id) booking_id, method FROM sales_payment ORDER BY booking_id, received_at, id
) first_payment ON first_payment.booking_id = t.booking_id
WHERE t.issued_at IS NOT NULL
ORDER BY t.issued_at, t.number
""".format(fields=", ".join(FIELDS))


def rebuild(apps=installed_apps):
    """Every row remade from the tickets, in one transaction (run it when nobody sells)."""
    IssuedTicket = apps.get_model("sales", "IssuedTicket")  # noqa: N806

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE sales_issuedticket")
                cursor.execute(REBUILD_SQL)
            return
        IssuedTicket.objects.all().delete()
        batch = []
        for row in from_tickets(apps=apps):
            batch.append(row)
            if len(batch) == 2000:
                IssuedTicket.objects.bulk_create(batch)
                batch = []
        IssuedTicket.objects.bulk_create(batch)


def values(row):
    return (row.ticket_id, *(getattr(row, name) for name in FIELDS))


def differences():
    """How many rows differ from what the tickets say (0: all is well)."""
    from sales.models import IssuedTicket

    expected = {values(row) for row in from_tickets()}
    kept = {values(row) for row in IssuedTicket.objects.all().iterator(chunk_size=2000)}
    return len(expected ^ kept)
