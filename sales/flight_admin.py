"""Sales' part of the flight page: "Book on this flight".

Fleet's admin cannot import sales, so sales plugs in: when the app is ready it
re-registers the flight admin with this mixin on top (see `SalesConfig.ready`).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action

from fleet.models import Flight
from sales import services
from sales.models import FareBucket

BOOK_ACTION = "book_on_this_flight"


class BookOnThisFlight:
    @action(description=_("Book on this flight"), url_path="book", permissions=["book"], icon="airplane_ticket")
    def book_on_this_flight(self, request, object_id):
        flight = self.get_object(request, object_id)
        if flight is None:
            raise Http404("No such flight.")
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

    def has_book_permission(self, request, object_id=None):
        return request.user.has_perm("sales.add_booking")

    def save_formset(self, request, form, formset, change):
        if formset.model is not FareBucket:
            return super().save_formset(request, form, formset, change)
        # Through the service, which checks the allocations under the buckets' locks.
        services.save_fare_buckets(buckets=formset.save(commit=False), user=request.user)

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        flight = self.get_object(request, object_id)
        if flight is not None and services.can_sell_on(flight):
            return actions
        return [a for a in actions if not a.action_name.endswith(f"_{BOOK_ACTION}")]


def add_to_flight_page(site):
    """Put "Book on this flight" first among the flight page's actions."""
    flight_admin = type(site._registry[Flight])
    site.unregister(Flight)
    site.register(
        Flight,
        type(
            flight_admin.__name__,
            (BookOnThisFlight, flight_admin),
            {"actions_detail": [BOOK_ACTION, *flight_admin.actions_detail], "__module__": __name__},
        ),
    )
