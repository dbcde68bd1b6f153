"""Counter staff at the desk: find flights, book a family, take cash, issue, print, void, refund, and a full class."""

import re

from django.conf import settings
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    TICKET_NUMBER,
    button,
    confirm,
    date_input,
    expect_message,
    follow,
    link,
    log_in,
    open_menu,
    pdf_text,
    shown_date,
    table_row,
)

# Title, given names, surname as typed; and as the booking shows them (IATA: capitals, no accents).
FAMILY = [
    ("MS", "Zoë", "O'Brien", "OBRIEN/ZOE MS"),
    ("MR", "Jean-Luc", "Pêcheur", "PECHEUR/JEAN LUC MR"),
    ("MISS", "Chloé", "Pêcheur", "PECHEUR/CHLOE MISS"),
    ("", "Noé", "O'Brien", "OBRIEN/NOE"),
]


DESIGNATOR = re.compile(rf"^{settings.AIRLINE_CODE} \d+")
MONEY = re.compile(rf"\d[\d,]*\.\d\d {settings.CURRENCY}")


def search_flights(page: Page, origin, destination, date, return_date=None, adults=1, children=0, infants=0):
    open_menu(page, "Find flights and book")
    page.get_by_label(re.compile(r"^\s*From\b")).fill(origin)
    page.get_by_label(re.compile(r"^\s*To\b")).fill(destination)
    page.get_by_label("Departure date").fill(date_input(date))
    page.get_by_label("Return date").fill(date_input(return_date) if return_date else "")
    page.get_by_label("Adults").fill(str(adults))
    page.get_by_label("Children").fill(str(children))
    page.get_by_label("Infants").fill(str(infants))
    follow(page, button(page, "Search"))
    expect(page.get_by_text("Outbound", exact=True)).to_be_visible()


def choose_fare(page: Page, flight_row, fare_class):
    flight_row.get_by_role("radio", name=re.compile(rf"^\s*{fare_class}\b")).check()


def flight_rows(page: Page, route):
    return page.get_by_role("row").filter(has_text=route)


def fill_passengers(page: Page, passengers, infant_on_lap_of="Passenger 1"):
    for index, (title, given_names, surname, _) in enumerate(passengers):
        if title:
            page.get_by_label("Title").nth(index).select_option(title)
        page.get_by_label("Surname").nth(index).fill(surname)
        page.get_by_label("Given names").nth(index).fill(given_names)
    if infant_on_lap_of:
        page.get_by_label("On the lap of").select_option(label=infant_on_lap_of)


def fill_contact(page: Page, name, email, phone):
    page.get_by_label("Contact name").fill(name)
    page.get_by_label("Contact e-mail").fill(email)
    page.get_by_label("Contact phone").fill(phone)


def refund_button(page: Page):
    return page.get_by_role("button", name=re.compile("refund", re.I))


def ticket_numbers(page: Page):
    rows = page.get_by_role("row").filter(has_text=TICKET_NUMBER)
    return [TICKET_NUMBER.search(text).group() for text in rows.all_inner_texts()]


def test_a_family_is_booked_held_paid_in_cash_ticketed_printed_then_partly_voided_and_refunded(page, demo_tomorrow):
    log_in(page, "counter")
    search_flights(page, "PAR", "LON", demo_tomorrow, return_date=demo_tomorrow, adults=2, children=1, infants=1)

    outbound, back = flight_rows(page, "CDG–LHR").first, flight_rows(page, "LHR–CDG").last
    outbound_flight = outbound.get_by_text(DESIGNATOR).inner_text()
    back_flight = back.get_by_text(DESIGNATOR).inner_text()
    choose_fare(page, outbound, "M")
    choose_fare(page, back, "M")
    follow(page, button(page, "Book the chosen fares"))

    expect(page.get_by_text(outbound_flight).first).to_be_visible()
    expect(page.get_by_text(back_flight).first).to_be_visible()
    fill_passengers(page, FAMILY)
    fill_contact(page, "Zoë O'Brien", "zoe.obrien@example.com", "+33 6 12 34 56 78")
    page.get_by_label("Hold the seats").check()
    # The price before Book: the quote's total is what the booking then costs.
    quote_total = page.get_by_role("row").filter(has_text=re.compile(r"^\s*Total(?![a-z])")).last
    expect(quote_total).to_contain_text(MONEY)
    total = MONEY.search(quote_total.inner_text()).group()
    follow(page, button(page, "Book"))

    # The booking: held, names as IATA writes them, the contact as typed.
    expect_message(page, r"Booking [A-Z0-9]{6} created")
    expect(page.get_by_text("Held", exact=True).first).to_be_visible()
    for *_, iata_name in FAMILY:
        expect(page.get_by_role("cell", name=iata_name, exact=True).first).to_be_visible()
    expect(page.get_by_text("Zoë O'Brien").first).to_be_visible()
    expect(page.get_by_text(total).first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="not issued")).to_have_count(8)

    follow(page, link(page, "Take payment"))
    page.get_by_label("Method").select_option(label="Cash")
    confirm(page, "Take payment")
    expect_message(page, rf"Payment of {re.escape(total)} recorded")
    expect(page.get_by_text(re.compile(r"^Balance due")).locator("..")).to_contain_text("0.00")

    follow(page, link(page, "Issue tickets"))
    confirm(page, "Issue tickets")
    expect_message(page, r"8 ticket\(s\) issued")
    expect(page.get_by_text("Ticketed", exact=True).first).to_be_visible()
    numbers = ticket_numbers(page)
    assert len(set(numbers)) == 8

    # The itinerary receipt: every passenger and every ticket number.
    receipt = pdf_text(page, link(page, "Itinerary receipt (PDF)").get_attribute("href"))
    for *_, iata_name in FAMILY:
        assert iata_name in receipt
    for number in numbers:
        assert number in receipt
    assert "Zoë O'Brien" in receipt

    # Void the child's outbound ticket.
    child_out = table_row(page, "PECHEUR/CHLOE", outbound_flight)
    voided = TICKET_NUMBER.search(child_out.inner_text()).group()
    follow(page, link(child_out, "Void"))
    expect(page.get_by_text(voided).first).to_be_visible()
    confirm(page, "Void the ticket")
    expect_message(page, rf"Ticket {voided} voided; refund of {MONEY.pattern} requested")
    child_out = table_row(page, voided)
    expect(child_out).to_contain_text(re.compile("void", re.I))
    expect(link(child_out, "Refund")).to_have_count(0)

    # Quote, then request the refund of the second adult's return ticket.
    adult_back = table_row(page, "PECHEUR/JEAN LUC", back_flight)
    refunded = TICKET_NUMBER.search(adult_back.inner_text()).group()
    follow(page, link(adult_back, "Refund"))
    expect(page.get_by_text(re.compile("back to the passenger", re.I)).first).to_be_visible()
    second_tab = page.context.new_page()  # the same quote, left open in another tab
    second_tab.goto(page.url)
    follow(page, refund_button(page))
    expect_message(page, rf"Refund of {MONEY.pattern} requested for ticket {refunded}")
    adult_back = table_row(page, refunded)
    expect(adult_back).to_contain_text(re.compile("refund requested", re.I))
    expect(link(adult_back, "Refund")).to_have_count(0)
    expect(link(adult_back, "Void")).to_have_count(0)
    # The others still fly.
    expect(link(table_row(page, "PECHEUR/JEAN LUC", outbound_flight), "Void")).to_have_count(1)

    # Pressing again in the other tab lands on the refund already requested, with a word, not an error.
    follow(second_tab, refund_button(second_tab))
    expect(second_tab).to_have_url(re.compile(r"/refunds/refund/\d+/"))
    expect_message(second_tab, rf"Ticket {refunded} already has a refund")
    expect(second_tab.get_by_text(refunded).first).to_be_visible()


def test_a_class_sold_out_meanwhile_is_refused_with_a_message_and_the_names_stay(page, new_context, demo_tomorrow):
    """Two agents, one business-saver class with four seats: the second to press Book is told how many are left."""
    log_in(page, "counter")
    search_flights(page, "CDG", "LHR", demo_tomorrow, adults=2)
    flight = flight_rows(page, "CDG–LHR").last
    designator = flight.get_by_text(DESIGNATOR).inner_text()
    choose_fare(page, flight, "C")
    follow(page, button(page, "Book the chosen fares"))
    pair = [("MR", "Élie", "D'Arcy", ""), ("MRS", "Hélène", "D'Arcy", "")]
    fill_passengers(page, pair, infant_on_lap_of=None)
    fill_contact(page, "Élie D'Arcy", "elie@example.com", "+33 6 00 00 00 01")

    # Meanwhile a colleague sells three of the four seats of that class.
    colleague = new_context().new_page()
    log_in(colleague, "counter")
    search_flights(colleague, "CDG", "LHR", demo_tomorrow, adults=3)
    choose_fare(colleague, flight_rows(colleague, designator), "C")
    follow(colleague, button(colleague, "Book the chosen fares"))
    trio = [("MR", "Ana", "Nuñez", ""), ("MS", "Inês", "Nuñez", ""), ("MR", "Tomás", "Nuñez", "")]
    fill_passengers(colleague, trio, infant_on_lap_of=None)
    fill_contact(colleague, "Ana Nuñez", "ana@example.com", "+34 600 000 000")
    follow(colleague, button(colleague, "Book"))
    expect_message(colleague, r"Booking [A-Z0-9]{6} created")

    follow(page, button(page, "Book"))
    expect(page.get_by_text(re.compile(r"Class C on .* has 1 seat left; 2 asked for")).first).to_be_visible()
    expect(page.get_by_label("Surname").first).to_have_value("D'Arcy")
    expect(page.get_by_label("Given names").nth(1)).to_have_value("Hélène")


def test_a_flight_found_by_its_number_is_booked_from_its_page(page: Page, demo_tomorrow):
    log_in(page, "counter")
    open_menu(page, "Flights")
    number = f"{settings.AIRLINE_CODE}1003"  # typed as people type it, without the space
    page.locator("#searchbar").fill(number)  # the list's search box (Django admin's id)
    with page.expect_navigation():
        page.locator("#searchbar").press("Enter")
    row = page.locator("#result_list tbody tr").filter(has_text=shown_date(demo_tomorrow))
    expect(row).to_have_count(1)
    follow(page, row.get_by_role("link").first)

    follow(page, link(page, "Book on this flight"))
    offer = flight_rows(page, f"{settings.AIRLINE_CODE} 1003")
    expect(offer).to_have_count(1)
    choose_fare(page, offer, "M")
    follow(page, button(page, "Book the chosen fares"))
    expect(page.get_by_label("Surname")).to_have_count(1)
