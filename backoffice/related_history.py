"""History pages that tell a record's whole story: its own changes and those of the records tied to it.

A booking's history shows its passengers', tickets', payments' and refunds' changes too (who voided which
ticket, who approved the refund). The apps that own those records plug them in from their
`AppConfig.ready()`, so a lower app never imports a higher one: sales registers tickets and payments,
refunds registers refunds, both under the booking.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class RelatedHistory:
    """The history rows of one kind of record tied to a record of another model."""

    model: type[Model]
    # The historical rows tied to one record, with what `describe` reads already selected.
    rows: Callable[[Model], QuerySet]
    # What a history row is about, in a few words: "Ticket 9520000000018 MARTIN/ANNE MS".
    describe: Callable[[Any], str]


_sources = defaultdict(list)


def register_related_history(owner, *, model, rows, describe):
    """Show `model`'s history rows, `rows(owner_record)`, on the history page of each `owner` record."""
    _sources[owner].append(RelatedHistory(model=model, rows=rows, describe=describe))


def related_history_sources(owner):
    return list(_sources.get(owner, ()))
