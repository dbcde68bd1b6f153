from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.admin_base import HistoryModelAdmin, ReadOnlyAdminMixin
from backoffice.admin_filters import DateRangeFilter, mine_filter
from backoffice.system import system_user
from fleet.timezones import format_local
from sales import admin_views, selectors, services
from sales.models import Booking, FareClass, Payment, RouteFare, Tax, Ticket

STATUS_COLOURS = {
    "held": "warning",
    "ticketed": "success",
    "cancelled": "danger",
    "expired": "danger",
    "open": "success",
    "flown": "info",
    "no_show": "warning",
    "void": "danger",
    "surrendered": "warning",
    "refunded": "danger",
}


@admin.register(FareClass)
class FareClassAdmin(HistoryModelAdmin):
    list_display = ["code", "cabin", "name"]
    search_fields = ["code", "name"]
    ordering = ["cabin", "code"]


@admin.register(RouteFare)
class RouteFareAdmin(HistoryModelAdmin):
    list_display = ["route", "fare_class", "price", "seats_allocated"]
    list_select_related = ["origin", "destination", "fare_class"]
    list_filter = ["fare_class"]
    search_fields = ["origin__code", "destination__code"]
    autocomplete_fields = ["origin", "destination"]

    @admin.display(description=_("route"), ordering="origin__code")
    def route(self, obj):
        return f"{obj.origin.code}–{obj.destination.code}"


@admin.register(Tax)
class TaxAdmin(HistoryModelAdmin):
    list_display = ["code", "name", "amount", "departure_country", "departure_airport"]
    list_select_related = ["departure_airport"]
    search_fields = ["code", "name", "departure_country", "departure_airport__code"]
    autocomplete_fields = ["departure_airport"]


@admin.register(Booking)
class BookingAdmin(HistoryModelAdmin):
    list_display = [
        "record_locator",
        "status_badge",
        "contact_name",
        "first_flight",
        "agent",
        "created_at",
        "held_until",
        "total_amount",
        "balance",
    ]
    list_select_related = ["agent"]
    list_filter = [
        "status",
        mine_filter("agent", _("agent")),
        ("created_at", DateRangeFilter),
        ("hold_deadline", DateRangeFilter),
    ]
    list_filter_submit = True
    # sales.selectors.booking_search reads the text; the fields only turn on the search box.
    search_fields = ["=record_locator", "contact_name", "contact_email"]
    search_help_text = _("Record locator, ticket number, passenger surname, or the contact's name, e-mail or phone.")
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return selectors.with_first_flight(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        return selectors.booking_search(queryset, search_term), False

    def get_urls(self):
        # The refunds app adds its own pages here (refunds/booking_admin.py).
        view = self.admin_site.admin_view

        def counter(view_class, name, route):
            return path(route, view(view_class.as_view(model_admin=self)), name=f"sales_booking_{name}")

        return [
            counter(admin_views.SearchView, "search", "search/"),
            counter(admin_views.LocationsView, "locations", "locations/"),
            counter(admin_views.NewBookingView, "new", "new/"),
            counter(admin_views.TakePaymentView, "pay", "<int:booking_id>/pay/"),
            counter(admin_views.IssueTicketsView, "issue", "<int:booking_id>/issue/"),
            counter(admin_views.CancelBookingView, "cancel", "<int:booking_id>/cancel/"),
            counter(admin_views.CancelTicketView, "cancel_ticket", "<int:booking_id>/tickets/<int:ticket_id>/cancel/"),
            counter(admin_views.ReceiptView, "receipt", "<int:booking_id>/receipt.pdf"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        # A booking starts from the flights it is for.
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:sales_booking_search"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        booking = self.get_object(request, object_id)
        if booking is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, booking):
            raise PermissionDenied
        services.expire_if_due(booking, user=system_user())
        context = {
            **self.admin_site.each_context(request),
            **admin_views.booking_page_context(request, booking),
            "title": _("Booking %(locator)s") % {"locator": booking.record_locator},
            "opts": self.opts,
            "original": booking,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "sales/admin/booking_page.html", context)

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @admin.display(description=_("first flight (local)"))
    def first_flight(self, obj):
        if obj.first_designator is None:
            return "-"
        return f"{obj.first_designator} {format_local(obj.first_departure, obj.first_departure_zone)}"

    @admin.display(description=_("hold deadline"), ordering="hold_deadline")
    def held_until(self, obj):
        # Only a booking on hold has a deadline that means anything.
        return services.current_hold_deadline(obj)

    @admin.display(description=_("balance due"))
    def balance(self, obj):
        # A cancelled or expired booking owes nothing.
        return services.amount_due(obj)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, HistoryModelAdmin):
    list_display = [
        "number_or_hold",
        "passenger_name",
        "booking_link",
        "flight",
        "departs",
        "status_badge",
        "total_amount",
    ]
    list_select_related = ["passenger", "booking", "flight__origin"]
    list_filter = ["status", mine_filter("issued_by", _("issued by")), ("issued_at", DateRangeFilter)]
    list_filter_submit = True
    # sales.selectors.ticket_search reads the text; the fields only turn on the search box.
    search_fields = ["=number", "=booking__record_locator", "passenger__surname"]
    search_help_text = _("Ticket number, record locator or passenger surname.")
    ordering = ["-id"]

    def get_search_results(self, request, queryset, search_term):
        return selectors.ticket_search(queryset, search_term), False

    @admin.display(description=_("ticket"), ordering="number")
    def number_or_hold(self, obj):
        return obj.number or _("(not issued)")

    @admin.display(description=_("passenger"), ordering="passenger__surname")
    def passenger_name(self, obj):
        return obj.passenger.iata_name

    @admin.display(description=_("booking"), ordering="booking__record_locator")
    def booking_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:sales_booking_change", args=[obj.booking_id]), obj.booking
        )

    @admin.display(description=_("departs (local)"), ordering="flight__scheduled_departure")
    def departs(self, obj):
        return format_local(obj.flight.scheduled_departure, obj.flight.origin.time_zone)

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, HistoryModelAdmin):
    """Payments are taken on the booking page; here they are read."""

    list_display = ["received_at", "booking", "amount", "method", "reference", "agent"]
    list_select_related = ["booking", "agent"]
    list_filter = ["method", ("received_at", DateRangeFilter)]
    list_filter_submit = True
    # sales.selectors.payment_search reads the text; the fields only turn on the search box.
    search_fields = ["=booking__record_locator", "=reference"]
    search_help_text = _("Record locator or payment reference.")
    ordering = ["-received_at"]

    def get_search_results(self, request, queryset, search_term):
        return selectors.payment_search(queryset, search_term), False
