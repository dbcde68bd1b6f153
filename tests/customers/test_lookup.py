"""A passenger finds their booking by record locator and surname, without an account (issue 13)."""

import io
import re

import pypdf
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.customers.conftest import look_up

pytestmark = pytest.mark.django_db

NOT_FOUND = "We found no booking with this reference and surname."


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_lookup_page_is_a_form_with_labels_and_csrf(client):
    page = client.get(reverse("customers:lookup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert '<label for="id_record_locator">' in html and '<label for="id_surname">' in html
    assert f"<title>Find a booking · {settings.AIRLINE_NAME}</title>" in html


def test_a_passenger_finds_their_booking_by_locator_and_any_passengers_surname(client, make_booking):
    booking = make_booking("Pêcheur", "Martin-Durand")
    response = look_up(client, booking.record_locator.lower(), "martin durand")
    assert response.status_code == 302
    # The locator and surname stay out of the address: an opaque id stands for the booking.
    assert booking.record_locator not in response.url and "MARTIN" not in response.url.upper()
    page = client.get(response.url)
    assert page.status_code == 200
    shown = text(page)
    assert f"Booking {booking.record_locator}" in shown
    assert "PECHEUR/ANNE MS" in shown and "MARTIN DURAND/ANNE MS" in shown
    for ticket in booking.tickets.all():
        assert ticket.number in shown
    assert "Ticketed" in shown and "Open" in shown
    assert f"Paid {booking.amount_paid:,.2f} EUR" in shown
    flight = booking.tickets.first().flight
    # Local times with their zone, at each airport.
    assert flight.origin.code in shown and re.search(r"\d\d:\d\d [A-Z+0-9-]{2,6}", shown)
    # Typed with accents and in small letters, it is the same passenger, as at the counter.
    assert look_up(Client(), booking.record_locator, "PÊCHEUR ").status_code == 302


def test_the_receipt_downloads_as_the_counters_pdf(client, make_booking):
    booking = make_booking()
    page = look_up(client, booking.record_locator, "Pecheur").url
    response = client.get(page + "receipt.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"itinerary-{booking.record_locator}.pdf" in response["Content-Disposition"]
    receipt = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert booking.record_locator in receipt
    assert booking.tickets.first().number in receipt


def test_a_wrong_locator_and_a_wrong_surname_get_the_same_answer(client, make_booking):
    booking = make_booking()
    other = "".join("A" if c != "A" else "B" for c in booking.record_locator)
    wrong_locator = look_up(client, other, "Pecheur")
    wrong_surname = look_up(client, booking.record_locator, "Dupont")
    assert wrong_locator.status_code == wrong_surname.status_code == 200
    assert NOT_FOUND in text(wrong_locator)
    assert text(wrong_locator).replace(other, booking.record_locator).replace("Pecheur", "Dupont") == text(
        wrong_surname
    ).replace("DUPONT", "Dupont")


def test_failed_lookups_are_refused_after_the_limit_per_locator(make_booking, settings):
    booking = make_booking()
    for number in range(settings.AXES_FAILURE_LIMIT):
        # Each guess from a different address: the locator's own count still stops them.
        assert look_up(Client(REMOTE_ADDR=f"198.51.100.{number}"), booking.record_locator, "Dupont").status_code == 200
    refused = look_up(Client(REMOTE_ADDR="198.51.100.200"), booking.record_locator, "Pecheur")
    assert refused.status_code == 429
    assert "Too many look-ups found nothing" in text(refused)
    assert AccessAttempt.objects.filter(username=f"booking {booking.record_locator}").exists()
    # Another booking is not locked by these guesses.
    second = make_booking("Martin")
    assert look_up(Client(REMOTE_ADDR="198.51.100.201"), second.record_locator, "Martin").status_code == 302


def test_failed_lookups_are_refused_after_the_limit_per_address(make_booking, settings):
    booking = make_booking()
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(settings.AXES_FAILURE_LIMIT):
        locator = "ABCDE" + "23456789"[number % 8]
        assert look_up(guesser, locator, "Pecheur").status_code == 200
    # Even the right answer is refused from that address for now; another address is not.
    refused = look_up(guesser, booking.record_locator, "Pecheur")
    assert refused.status_code == 429
    assert "Try again after" in text(refused)
    assert look_up(Client(REMOTE_ADDR="203.0.113.10"), booking.record_locator, "Pecheur").status_code == 302


def test_another_bookings_id_or_another_sessions_id_is_404(make_booking):
    mine, theirs = make_booking("Pecheur"), make_booking("Martin")
    me, them = Client(), Client()
    my_page = look_up(me, mine.record_locator, "Pecheur").url
    their_page = look_up(them, theirs.record_locator, "Martin").url
    assert me.get(my_page).status_code == 200
    assert me.get(their_page).status_code == 404
    assert me.get(their_page + "receipt.pdf").status_code == 404
    assert me.get(reverse("customers:booking", kwargs={"token": str(theirs.pk)})).status_code == 404
    assert me.get(reverse("customers:booking", kwargs={"token": "x" * 5000})).status_code == 404


@pytest.mark.parametrize(
    ("record_locator", "surname", "field", "message"),
    [
        ("K7WQ2", "Pecheur", "record_locator", "six letters and digits"),
        ("K0WQ2M", "Pecheur", "record_locator", "six letters and digits"),
        ("K7WQ2M", "Pech3ur", "surname", "no digits"),
        ("K7WQ2M", "Pe<script>", "surname", "letters, spaces, hyphens and apostrophes"),
        ("K" * 10_000, "Pecheur", "record_locator", "at most 12 characters"),
        ("K7WQ2M", "P" * 10_000, "surname", "at most 40 characters"),
        ("", "Pecheur", "record_locator", "This field is required"),
        ("K7WQ2M", "   ", "surname", "This field is required"),
    ],
)
def test_bad_input_gets_a_message_on_its_field(client, db, record_locator, surname, field, message):
    response = look_up(client, record_locator, surname)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert message in text(response)
    assert not AccessAttempt.objects.exists()  # what is not a locator and surname is no guess


def test_a_nul_character_is_dropped_as_everywhere_on_the_site(client, make_booking):
    booking = make_booking()
    # backoffice.middleware.strip_nul_from_query: what remains is what the person meant.
    with_nul = booking.record_locator[:3] + "\x00" + booking.record_locator[3:]
    assert look_up(client, with_nul, "Pe\x00cheur").status_code == 302
    only_nul = look_up(client, "K7WQ\x002M", "\x00")
    assert only_nul.status_code == 200
    assert "This field is required" in only_nul.context["form"].errors["surname"][0]


def test_every_form_needs_its_csrf_token(make_booking):
    booking = make_booking()
    strict = Client(enforce_csrf_checks=True)
    assert look_up(strict, booking.record_locator, "Pecheur").status_code == 403


def test_get_of_a_booking_page_without_a_lookup_is_404(client, db):
    assert client.get(reverse("customers:booking", kwargs={"token": "anything"})).status_code == 404
