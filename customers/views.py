"""The customer site's pages: plain server-rendered HTML, a form POSTed for every look-up or change."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View

from customers import session, throttle
from customers.forms import LookupForm
from customers.selectors import booking_by_locator_and_surname, booking_summary
from sales import services as sales_services
from sales.documents import itinerary_receipt_pdf
from sales.models import Booking

# The same words whether the locator or the surname was wrong: which one would tell a guesser half the secret.
NOT_FOUND = gettext_lazy(
    "We found no booking with this reference and surname. Check both against your receipt or confirmation e-mail."
)


class SitePage:
    """Every page of the site names the airline."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(airline_name=settings.AIRLINE_NAME, **kwargs)


class LookupView(SitePage, FormView):
    """Look up a booking by record locator and a passenger's surname; no account needed."""

    template_name = "customers/lookup.html"
    form_class = LookupForm

    def form_valid(self, form):
        locator = form.cleaned_data["record_locator"]
        until = throttle.refused_until(self.request, locator)
        if until is not None:
            return self._refused(form, until)
        booking = booking_by_locator_and_surname(locator, form.cleaned_data["surname"])
        if booking is None:
            throttle.record_failure(self.request, locator)
            form.add_error(None, NOT_FOUND)
            return self.form_invalid(form)
        token = session.remember(self.request, booking.pk)
        return redirect("customers:booking", token=token)

    def _refused(self, form, until):
        form.add_error(
            None,
            _(
                "Too many look-ups found nothing, from this address or for this booking reference. "
                "Try again after %(time)s."
            )
            % {"time": date_format(until, "H:i T")},
        )
        response = self.form_invalid(form)
        response.status_code = 429
        return response


class LookedUpBookingMixin:
    """The booking this session looked up under the URL's opaque id (404 for any other id)."""

    def booking_id(self):
        return session.booking_id_for(self.request, self.kwargs["token"])


class BookingView(SitePage, LookedUpBookingMixin, TemplateView):
    template_name = "customers/booking.html"

    def get_context_data(self, **kwargs):
        summary = booking_summary(self.booking_id())
        booking = summary.booking
        return super().get_context_data(
            summary=summary,
            booking=booking,
            hold_deadline=sales_services.current_hold_deadline(booking),
            owes=sales_services.amount_due(booking) is not None,
            receipt_url=reverse("customers:receipt", kwargs={"token": self.kwargs["token"]}),
            **kwargs,
        )


class ReceiptView(LookedUpBookingMixin, View):
    """The itinerary receipt, the same PDF the counter prints."""

    def get(self, request, token):
        booking = Booking.objects.get(pk=self.booking_id())
        response = HttpResponse(itinerary_receipt_pdf(booking), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="itinerary-{booking.record_locator}.pdf"'
        return response
