"""Reads of the refunds app."""

from refunds.models import Refund
from sales.selectors import SearchText, matching, ticket_match_parts


def refund_search(queryset, term):
    """Refunds of a ticket found by its number, its booking's record locator or its passenger's surname."""
    if not SearchText.of(term).text:
        return queryset
    return matching(queryset, ticket_match_parts(Refund.objects.all(), term, path="ticket__"))
