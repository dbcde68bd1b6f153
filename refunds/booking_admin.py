"""Refunds' part of the booking page (sales): the refund quote and void pages, and the buttons and
refund notes the page shows for them.

Registered by `RefundsConfig.ready`: the pages on sales' booking admin
(`backoffice.plugins.extend_admin`), the buttons and notes through
`backoffice.plugins.contribute("booking_page", booking_page_part)`. Each button is offered when
the service behind it would accept the press (its `can_*` rule).
"""

from django.db.models import prefetch_related_objects
from django.urls import path, reverse
from django.utils.translation import gettext as _

from refunds import services
from refunds.admin_views import RefundQuoteView, VoidTicketView, refund_url
from sales.admin_views import BookingPagePart, Button


class RefundPagesOnTheBookingAdmin:
    def get_urls(self):
        view = self.admin_site.admin_view

        def page(view_class, name, route):
            return path(route, view(view_class.as_view(model_admin=self)), name=f"sales_booking_{name}")

        return [
            page(RefundQuoteView, "refund", "<int:booking_id>/refund/"),
            page(RefundQuoteView, "refund_ticket", "<int:booking_id>/tickets/<int:ticket_id>/refund/"),
            page(VoidTicketView, "void_ticket", "<int:booking_id>/tickets/<int:ticket_id>/void/"),
            *super().get_urls(),
        ]


def booking_page_part(request, booking, *, tickets, now):
    """Refund and Void on each ticket, "Cancel and refund" on the booking, each ticket's refund."""
    prefetch_related_objects(tickets, "refunds")
    user = request.user
    may_refund = user.has_perm("sales.change_booking") and user.has_perm("refunds.add_refund")
    part = BookingPagePart()
    for ticket in tickets:
        # The live refund, or else the last one rejected: a surrendered ticket says why it has no refund.
        refunds = sorted(ticket.refunds.all(), key=lambda r: (r.status != "rejected", r.requested_at), reverse=True)
        if refunds:
            status = refunds[0].get_status_display().lower()
            part.ticket_notes[ticket.pk] = [Button(_("refund %(status)s") % {"status": status}, refund_url(refunds[0]))]
        if not may_refund:
            continue
        args = [booking.pk, ticket.pk]
        buttons = part.ticket_buttons.setdefault(ticket.pk, [])
        if services.can_request_refund(ticket, now=now):
            buttons.append(Button(_("Refund"), reverse("admin:sales_booking_refund_ticket", args=args)))
        if services.can_void(ticket, now=now):
            buttons.append(Button(_("Void"), reverse("admin:sales_booking_void_ticket", args=args)))
    if may_refund and services.can_refund_booking(booking, tickets=tickets, now=now):
        url = reverse("admin:sales_booking_refund", args=[booking.pk])
        part.buttons.append(Button(_("Cancel and refund"), url, variant="danger", icon="currency_exchange"))
    return part
