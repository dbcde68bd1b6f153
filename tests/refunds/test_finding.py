"""Finding refunds as Finance types it: a passenger's surname (from the refund's own copy of the name, whichever
way the refund was requested), `SURNAME/GIVEN NAMES`, a ticket number or a record locator."""

import pytest
from django.urls import reverse

from refunds import services
from tests.sales.test_finding import bucket, desk, listed, make_booking  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

REFUNDS = reverse("admin:refunds_refund_changelist")


def ticket_of(booking, surname):
    return booking.tickets.get(passenger__surname=surname)


def test_refunds_list_finds_a_surname_a_ticket_number_or_a_record_locator(
    desk,  # noqa: F811
    counter_user,
    finance_user,
    admin_role_user,
    client,
):
    wanted, other = desk
    voided = services.void_ticket(ticket=ticket_of(wanted, "PECHEUR"), agent=counter_user)
    services.void_ticket(ticket=ticket_of(other, "LEPECHEUR"), agent=counter_user)

    def found(term):
        refunds = listed(client, finance_user, REFUNDS, term)
        return [(refund.ticket.passenger.surname, refund.kind) for refund in refunds]

    for term in ("pêcheur", "Pecheur", "PECH", "Pecheur/Marie", "pecheur/mar"):
        assert found(term) == [("PECHEUR", "void")], term
    assert found("Pecheur/Jean") == []
    assert found("lepecheur") == [("LEPECHEUR", "void")]
    number = voided.ticket.number
    assert found(number) == found(f" {number} ") == [("PECHEUR", "void")]
    assert found(wanted.record_locator.lower()) == [("PECHEUR", "void")]

    # The airline cancels the flight: the involuntary refunds of the open tickets carry their names too.
    services.cancel_flight(flight=voided.ticket.flight, user=admin_role_user)
    assert found("d'arcy") == [("DARCY", "involuntary")]
    assert found("martin") == [("MARTIN", "involuntary")]
    # What a search found is listed newest first; the list itself is the queue, oldest first.
    assert found(wanted.record_locator) == [("DARCY", "involuntary"), ("PECHEUR", "void")]
    assert found("")[:2] == [("PECHEUR", "void"), ("LEPECHEUR", "void")]
