"""A requested refund now makes a ticket `surrendered`; `refunded` means its refund was paid.

Tickets that were marked `refunded` when their refund was only requested (or then
rejected) become `surrendered`, each with a history row naming the system account.
"""

from django.db import migrations
from django.utils import timezone

REASON = "Ticket states: refund requested, not paid, so surrendered"


def _move(apps, *, from_status, to_status, reason):
    Ticket = apps.get_model("sales", "Ticket")
    HistoricalTicket = apps.get_model("sales", "HistoricalTicket")
    Refund = apps.get_model("refunds", "Refund")
    User = apps.get_model("auth", "User")
    paid = Refund.objects.filter(status="paid").values("ticket_id")
    tickets = list(Ticket.objects.filter(status=from_status).exclude(pk__in=paid).order_by("pk"))
    if not tickets:
        return
    system = User.objects.filter(username="system").first()
    now = timezone.now()
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(status=to_status)
    fields = [f.attname for f in Ticket._meta.concrete_fields]
    rows = []
    for ticket in tickets:
        row = HistoricalTicket(**{name: getattr(ticket, name) for name in fields})
        row.status = to_status
        row.history_date = now
        row.history_type = "~"
        row.history_user = system
        row.history_change_reason = reason
        rows.append(row)
    HistoricalTicket.objects.bulk_create(rows, batch_size=1000)


def surrender_unpaid(apps, schema_editor):
    _move(apps, from_status="refunded", to_status="surrendered", reason=REASON)


def back_to_refunded(apps, schema_editor):
    _move(apps, from_status="surrendered", to_status="refunded", reason="Ticket states: back to refunded")


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0001_initial"),
        ("sales", "0003_ticket_status_surrendered"),
        ("backoffice", "0003_system_user"),
    ]

    operations = [migrations.RunPython(surrender_unpaid, back_to_refunded)]
