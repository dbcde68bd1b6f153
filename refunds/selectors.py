"""Reads of the refunds app."""

from refunds.models import Refund
from sales.selectors import SearchText, matching, ticket_match_parts


def refund_search(queryset, term):
    """Refunds of a ticket found by its number, its booking's record locator or its passenger's surname.

    The keys are read first (one query): given the subquery, the planner would join every refund to its
    ticket, flight and airports before keeping the few it found."""
    if not SearchText.of(term).text:
        return queryset
    keys = matching(Refund.objects.all(), ticket_match_parts(Refund.objects.all(), term, path="ticket__"))
    return queryset.filter(pk__in=list(keys.values_list("pk", flat=True)))
