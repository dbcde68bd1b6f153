from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.admin_base import HistoryModelAdmin, ReadOnlyAdminMixin
from backoffice.admin_filters import DateRangeFilter
from fleet.timezones import format_local
from refunds import admin_views, selectors, services
from refunds.forms import RejectionForm
from refunds.models import Refund, RefundRule

STATUS_COLOURS = {"requested": "warning", "approved": "info", "rejected": "danger", "paid": "success"}


@admin.register(RefundRule)
class RefundRuleAdmin(HistoryModelAdmin):
    list_display = [
        "fare_class",
        "refundable",
        "cancellation_fee",
        "cancellation_fee_percent",
        "late_window_hours",
        "late_fee",
        "late_fee_percent",
        "no_show_fee",
        "no_show_fee_percent",
    ]
    list_select_related = ["fare_class"]
    ordering = ["fare_class__code"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, HistoryModelAdmin):
    """Refunds are requested from a booking's page, or by cancelling a flight, and decided through their own
    confirmed steps (approve, reject, pay): none is added, changed or deleted here."""

    list_display = [
        "requested_at",
        "ticket_number",
        "passenger",
        "flight",
        "departs",
        "kind",
        "fare_paid",
        "fee_kept",
        "taxes_returned",
        "amount",
        "status_badge",
        "requested_by",
    ]
    list_select_related = [
        "ticket__passenger",
        "ticket__booking",
        "ticket__flight__origin",
        "ticket__flight__destination",
        "requested_by",
    ]
    list_filter = ["status", "kind", ("requested_at", DateRangeFilter)]
    list_filter_submit = True
    # refunds.selectors.refund_search reads the text; the fields only turn on the search box.
    search_fields = ["=ticket__number", "=ticket__booking__record_locator", "ticket__passenger__surname"]
    search_help_text = _("Ticket number, record locator or surname.")
    ordering = ["requested_at"]
    actions = ["approve_selected", "reject_selected"]

    def get_search_results(self, request, queryset, search_term):
        return selectors.refund_search(queryset, search_term), False

    def get_ordering(self, request):
        """The list is the queue, oldest first; a search shows what it found newest first, as every other
        list does. The search keeps its newest matches: oldest first, the database would walk the whole
        queue to reach them (150 ms at 500,000 refunds, bench/lists_at_scale.py)."""
        return ["-requested_at"] if request.GET.get(SEARCH_VAR, "").strip() else super().get_ordering(request)

    def get_urls(self):
        view = self.admin_site.admin_view

        def route(view_class, name, pattern):
            return path(pattern, view(view_class.as_view(model_admin=self)), name=f"refunds_refund_{name}")

        return [
            route(admin_views.ApproveRefundView, "approve", "<int:refund_id>/approve/"),
            route(admin_views.RejectRefundView, "reject", "<int:refund_id>/reject/"),
            route(admin_views.PayRefundView, "pay", "<int:refund_id>/pay/"),
            *super().get_urls(),
        ]

    def has_decide_permission(self, request):
        return request.user.has_perm("refunds.decide_refund")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        refund = self.get_object(request, object_id)
        if refund is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, refund):
            raise PermissionDenied
        user = request.user
        decide = services.can_decide_refund(refund, user=user)
        context = {
            **self.admin_site.each_context(request),
            "title": str(refund),
            "opts": self.opts,
            "original": refund,
            "refund": refund,
            "departs": format_local(refund.ticket.flight.scheduled_departure, refund.ticket.flight.origin.time_zone),
            "currency": settings.CURRENCY,
            "can_decide": user.has_perm("refunds.decide_refund") and decide,
            # Still to decide, by someone else: the page says why it offers no button.
            "own_request": refund.status == Refund.Status.REQUESTED and not decide,
            "can_pay": user.has_perm("refunds.pay_refund") and services.can_mark_refund_paid(refund),
        }
        return TemplateResponse(request, "refunds/admin/refund_page.html", context)

    def get_object(self, request, object_id, from_field=None):
        refund = super().get_object(request, object_id, from_field)
        if refund is not None:
            refund = (
                Refund.objects.select_related(
                    "ticket__passenger",
                    "ticket__booking",
                    "ticket__flight__origin",
                    "ticket__flight__destination",
                    "requested_by",
                    "decided_by",
                    "paid_by",
                )
                .filter(pk=refund.pk)
                .first()
            )
        return refund

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_number(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:sales_booking_change", args=[obj.ticket.booking_id]),
            obj.ticket.number,
        )

    @admin.display(description=_("passenger"), ordering="ticket__passenger__surname")
    def passenger(self, obj):
        return obj.ticket.passenger.iata_name

    @admin.display(description=_("flight"), ordering="ticket__flight__number")
    def flight(self, obj):
        flight = obj.ticket.flight
        return f"{flight.designator} {flight.origin.code}–{flight.destination.code}"

    @admin.display(description=_("departs (local)"), ordering="ticket__flight__scheduled_departure")
    def departs(self, obj):
        return format_local(obj.ticket.flight.scheduled_departure, obj.ticket.flight.origin.time_zone)

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    def _decide(self, request, queryset, approve):
        chosen = list(queryset.order_by("pk"))
        form = RejectionForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and (approve or form.is_valid()):
            done, refused = services.decide_many(
                refunds=chosen,
                approver=request.user,
                approve=approve,
                reason="" if approve else form.cleaned_data["reason"],
            )
            if done:
                verb = _("approved") if approve else _("rejected")
                self.message_user(request, _("%(count)s refund(s) %(verb)s.") % {"count": len(done), "verb": verb})
            for refund, reason in refused:
                self.message_user(request, f"{refund}: {reason}", messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Approve refunds") if approve else _("Reject refunds"),
            "opts": self.opts,
            "refunds": chosen,
            "total": sum(r.amount for r in chosen),
            "currency": settings.CURRENCY,
            "action": "approve_selected" if approve else "reject_selected",
            "form": None if approve else form,
            "approve": approve,
        }
        return TemplateResponse(request, "refunds/admin/decide_many.html", context)

    @admin.action(description=_("Approve selected refunds"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject selected refunds (with a reason)"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self._decide(request, queryset, approve=False)
