"""Reads of the refunds app."""

from refunds.models import Refund
from sales.selectors import SearchText, matching, ticket_match_parts


def refund_search(queryset, term):
    """Refunds of a ticket found by its number, its booking's record locator or its passenger's surname
    (the refund's own copy of the name, read through its prefix index)."""
    search = SearchText.of(term)
    if not search.text:
        return queryset
    refunds = Refund.objects.all()
    name = search.passenger_name("passenger_")
    return matching(
        queryset,
        [
            *ticket_match_parts(refunds, term, path="ticket__"),
            name and refunds.filter(name).order_by("-pk").values("pk"),
        ],
    )
