"""The sales listing reads one table each sale keeps (sales/listing.py): it must say what the tickets say.

The expected rows are computed here from the source tables, as the listing read them before it had its
table (the ticket joined to its booking, passenger, flight, airports, fare class, agent and first
payment), after sales of every shape: several passengers with a child and a lap infant, two segments,
payments by every method, a void, refunds paid and not, a cancelled flight, a departure with a no-show,
and then a renamed agent, a fare class's new code and a flight's new number. Both the page's CSV (the
COPY path on PostgreSQL, the generic one on SQLite) and the rows themselves are compared, row by row.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import F, OuterRef, Subquery

from fleet.services import save_flight
from refunds import services as refunds
from sales import listing, services
from sales.models import FareClass, IssuedTicket, Passenger, Payment, Ticket
from tests.reporting.conftest import CONTACT, FIRST_SALE, at, make_history
from tests.reporting.helpers import read_csv, report_url

pytestmark = pytest.mark.django_db

FIRST, LAST = FIRST_SALE.date(), dt.date(2021, 2, 3)
STATUS = dict(Ticket.Status.choices)
METHOD = dict(Payment.Method.choices)


def expected_rows():
    """The listing computed from the source tables: the nine-table join (the listing's query before its table)."""
    first_payment = Payment.objects.filter(booking=OuterRef("booking")).order_by("received_at", "pk").values("method")
    tickets = (
        Ticket.objects.filter(issued_at__isnull=False)
        .annotate(form_of_payment=Subquery(first_payment[:1]))
        .order_by("issued_at", "number")
        .values(
            "number",
            "issued_at",
            "status",
            "fare_amount",
            "tax_amount",
            "total_amount",
            "form_of_payment",
            agent=F("issued_by__username"),
            record_locator=F("booking__record_locator"),
            surname=F("passenger__surname"),
            given_names=F("passenger__given_names"),
            title=F("passenger__title"),
            passenger_type=F("passenger__passenger_type"),
            carrier=F("flight__carrier"),
            flight_number=F("flight__number"),
            suffix=F("flight__suffix"),
            flight_date=F("flight__flight_date"),
            origin=F("flight__origin__code"),
            destination=F("flight__destination__code"),
            fare_class=F("fare_bucket__fare_class__code"),
        )
    )
    rows = []
    for t in tickets:
        name = f"{t['surname']}/{t['given_names']}" + (f" {t['title']}" if t["title"] else "")
        flight = f"{t['carrier']} {t['flight_number']}{t['suffix']} {t['flight_date']:%d%b%y}".upper()
        rows.append(
            {
                "Ticket number": t["number"],
                "Issued (local)": f"{t['issued_at'].astimezone(at(FIRST, 0).tzinfo):%Y-%m-%d %H:%M}",
                "Agent": t["agent"],
                "Record locator": t["record_locator"],
                "Passenger": name,
                "Type": t["passenger_type"],
                "Flight": flight,
                "Route": f"{t['origin']}-{t['destination']}",
                "Class": t["fare_class"],
                "Fare": f"{t['fare_amount']:.2f}",
                "Taxes": f"{t['tax_amount']:.2f}",
                "Total": f"{t['total_amount']:.2f}",
                "Form of payment": str(METHOD[t["form_of_payment"]]) if t["form_of_payment"] else "",
                "Status now": str(STATUS[t["status"]]),
            }
        )
    return rows


@pytest.fixture
def varied_sales(network, agents):
    """Sales of every shape, then every change a listed column can see afterwards."""
    tickets = make_history(network, agents, bookings=40, refunds_requested=15)
    carl = agents["carl"]
    # A family over two segments (out on XB 100 1 Feb, on to XB 101 2 Feb), paid by card.
    now = at(dt.date(2021, 1, 10), 11, 15)
    out, on = network[0], network[9]
    booking = services.book(
        segments=[
            services.SegmentRequest(out.flight_id, out.fare_class.code),
            services.SegmentRequest(on.flight_id, on.fare_class.code),
        ],
        passengers=[
            services.PassengerRequest("Pêcheur", "Élodie", "MRS"),
            services.PassengerRequest("Pêcheur", "Léa", "MISS", Passenger.Type.CHILD),
            services.PassengerRequest("Pêcheur", "Tom", "", Passenger.Type.INFANT, infant_of=1),
        ],
        agent=carl,
        now=now,
        **CONTACT,
    )
    services.take_payment(
        booking=booking, amount=booking.total_amount, method="card", reference="CARD-1", agent=carl, now=now
    )
    issued = services.issue_tickets(booking=booking, agent=carl, now=now)
    assert len(issued) == 6
    # A void, the same day (the lap infant's ticket is voided with it).
    voided = services.pay_now(
        segments=[services.SegmentRequest(network[4].flight_id, "Y")],
        passengers=[services.PassengerRequest("Void", "Ed", "MR")],
        agent=agents["cleo"],
        method="bank_transfer",
        reference="BT-9",
        now=at(dt.date(2021, 1, 12), 9),
        **{k: v for k, v in CONTACT.items()},
    )
    refunds.void_ticket(ticket=voided.tickets.get(), agent=agents["cleo"], now=at(dt.date(2021, 1, 12), 10))
    # The airline cancels one flight; another departs with a no-show (the family's second leg too).
    refunds.cancel_flight(flight=network[0].flight, user=agents["otto"], now=at(dt.date(2021, 1, 28), 9))
    departing = network[9].flight
    services.depart_flight(flight=departing, agent=carl, now=departing.scheduled_departure)
    services.mark_no_show(tickets=[issued[1]], agent=carl)
    # Renames: an agent, a fare class's code, a scheduled flight's number.
    carl.username = "carl.m"
    carl.save()
    flex = FareClass.objects.get(code="M")
    flex.code = "B"
    flex.save()
    flight = network[14].flight
    flight.number = 710
    flight.suffix = "A"
    save_flight(flight=flight, user=agents["otto"])
    return tickets


def test_the_listing_read_from_its_table_is_the_one_the_tickets_give(varied_sales, agents, client):
    expected = expected_rows()
    statuses = {row["Status now"] for row in expected}
    # The history has what the test claims: each of these statuses, payments of each method, children, infants.
    assert {"Open", "Void", "Surrendered", "Refunded", "Flown", "No-show"} <= statuses, statuses
    assert {row["Form of payment"] for row in expected} == {"Cash", "Card", "Bank transfer"}
    assert {row["Type"] for row in expected} == {"ADT", "CHD", "INF"}
    assert any(row["Agent"] == "carl.m" for row in expected) and any(row["Class"] == "B" for row in expected)
    assert any(row["Flight"].startswith("XB 710A ") for row in expected)

    client.force_login(agents["fay"])
    got = read_csv(client.get(report_url("sales", "listing_csv", date_from=FIRST, date_to=LAST)))
    assert len(got) == len(expected) == IssuedTicket.objects.count() > 90
    for index, (row, wanted) in enumerate(zip(got, expected, strict=True)):
        assert row == wanted, f"row {index}"


def test_a_rebuild_from_the_tickets_writes_the_rows_each_sale_kept(varied_sales):
    kept = sorted(listing.values(row) for row in IssuedTicket.objects.all())
    assert listing.differences() == 0
    IssuedTicket.objects.all().delete()
    assert listing.differences() == len(kept)
    call_command("rebuild_sales_summaries")  # the PostgreSQL statement there, Python on SQLite
    assert sorted(listing.values(row) for row in IssuedTicket.objects.all()) == kept
    call_command("rebuild_sales_summaries", "--check")


def test_a_status_changed_without_the_listing_is_seen_by_the_check(varied_sales):
    """The check is not blind: one row whose status was not kept up makes it fail."""
    row = IssuedTicket.objects.filter(status="open").first()
    IssuedTicket.objects.filter(pk=row.pk).update(status="void")
    assert listing.differences() == 2  # the row as kept, and as the tickets say it
