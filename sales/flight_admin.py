"""Sales' part of the flight page: its fare buckets, "Book on this flight", departure and no-shows,
and the passenger manifests.

Fleet's admin does not import sales (docs/architecture.md): when the app is ready, sales registers
the flight admin again with this on top (`SalesConfig.ready`, `backoffice.plugins.extend_admin`).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import action

from sales import services
from sales.admin_views import FlightDepartureView
from sales.documents import passenger_manifest_csv, passenger_manifest_pdf
from sales.models import FareBucket

BOOK_ACTION = "book_on_this_flight"
# Shown before fleet's own actions, in this order.
ACTIONS = [BOOK_ACTION, "departure", "manifest_pdf", "manifest_csv"]


class FareBucketFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        # A row the page sent as an existing bucket (INITIAL_FORMS) that is no bucket of this flight would
        # be dropped without a word.
        for form in self.initial_forms:
            if form.has_changed() and form.instance.pk is None:
                raise ValidationError(
                    _("A row is not a fare bucket of this flight: open the flight again and retype it.")
                )


class FareBucketInline(TabularInline):
    model = FareBucket
    formset = FareBucketFormSet
    fields = ["fare_class", "price", "seats_allocated", "seats_sold"]
    readonly_fields = ["seats_sold"]
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("fare_class")


class SalesOnTheFlightPage:
    @action(description=_("Book on this flight"), url_path="book", permissions=["book"], icon="airplane_ticket")
    def book_on_this_flight(self, request, object_id):
        flight = self.get_flight_or_404(request, object_id)
        on_sale = services.can_sell_on(flight)
        if not on_sale:
            # A page opened before sales closed: say why, back on the flight.
            messages.warning(request, on_sale.reason)
            return HttpResponseRedirect(reverse("admin:fleet_flight_change", args=[flight.pk]))
        query = {
            "origin": flight.origin.code,
            "destination": flight.destination.code,
            "date": flight.departure_local.date().isoformat(),
            "adults": 1,
        }
        return HttpResponseRedirect(f"{reverse('admin:sales_booking_search')}?{urlencode(query)}")

    @action(description=_("Departure and no-shows"), url_path="departure", permissions=["record_departure"])
    def departure(self, request, object_id):
        flight = self.get_flight_or_404(request, object_id)
        return FlightDepartureView.as_view(model_admin=self)(request, flight_id=flight.pk)

    @action(description=_("Manifest (PDF)"), url_path="manifest-pdf", permissions=["view_manifest"])
    def manifest_pdf(self, request, object_id):
        flight = self.get_flight_or_404(request, object_id)
        response = HttpResponse(passenger_manifest_pdf(flight, printed_by=request.user), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="manifest-{flight.carrier}{flight.number}-{flight.flight_date}.pdf"'
        )
        return response

    @action(description=_("Manifest (CSV)"), url_path="manifest-csv", permissions=["view_manifest"])
    def manifest_csv(self, request, object_id):
        flight = self.get_flight_or_404(request, object_id)
        response = StreamingHttpResponse(passenger_manifest_csv(flight), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="manifest-{flight.carrier}{flight.number}-{flight.flight_date}.csv"'
        )
        return response

    def has_book_permission(self, request, object_id=None):
        return request.user.has_perm("sales.add_booking")

    def has_record_departure_permission(self, request, object_id=None):
        return request.user.has_perm("sales.change_booking")

    def has_view_manifest_permission(self, request, object_id=None):
        return request.user.has_perm("sales.view_ticket")

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        flight = self.get_object(request, object_id)
        if flight is not None and services.can_sell_on(flight):
            return actions
        return [a for a in actions if not a.action_name.endswith(f"_{BOOK_ACTION}")]

    def save_formset(self, request, form, formset, change):
        if formset.model is not FareBucket:
            return super().save_formset(request, form, formset, change)
        # Through the service, which checks classes and allocations under the locks. On a flight being
        # added, the route's fares have just opened their classes: a row typed with it takes their place.
        services.save_fare_buckets(buckets=formset.save(commit=False), user=request.user, flight_is_new=not change)
