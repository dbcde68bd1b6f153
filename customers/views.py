"""The customer site's pages: plain server-rendered HTML, a form POSTed for every look-up or change."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View

from backoffice.errors import DomainError
from backoffice.login_throttle import lifted_at
from backoffice.money import ZERO
from backoffice.rules import first_refusal, refuse
from customers import accounts, session, throttle
from customers.forms import ChoosePasswordForm, CustomerLoginForm, CustomerPasswordResetForm, LookupForm, SignUpForm
from customers.selectors import (
    booking_by_locator_and_surname,
    booking_summary,
    booking_tickets,
    passenger_open_tickets,
    refund_offers,
)
from fleet.timezones import format_local
from refunds import services as refund_services
from refunds.exceptions import RefundNotAllowed
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
        customer = self.request.user if accounts.is_customer(self.request.user) else None
        return super().get_context_data(airline_name=settings.AIRLINE_NAME, customer=customer, **kwargs)


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

    def receipt_url(self):
        return reverse("customers:receipt", kwargs={"token": self.kwargs["token"]})


class BookingPage(SitePage, TemplateView):
    """A booking as its passenger sees it; `booking_id()` and `receipt_url()` say which and from where.

    Refunds and cancelling are offered on an account's page only (its address is confirmed), each when
    the service's own rule allows it; a looked-up booking's page says how to get there.
    """

    template_name = "customers/booking.html"
    account = False

    def get_context_data(self, **kwargs):
        summary = booking_summary(self.booking_id())
        booking = summary.booking
        offers = refund_offers(booking, booking_tickets(booking))
        return super().get_context_data(
            summary=summary,
            booking=booking,
            hold_deadline=sales_services.current_hold_deadline(booking),
            owes=sales_services.amount_due(booking) is not None,
            receipt_url=self.receipt_url(),
            account=self.account,
            offers=offers,
            anything_to_offer=bool(offers.booking_refund or offers.cancel_hold or any(offers.passengers.values())),
            **kwargs,
        )


class BookingView(LookedUpBookingMixin, BookingPage):
    pass


class Receipt(View):
    """The itinerary receipt, the same PDF the counter prints."""

    def receipt(self):
        booking = Booking.objects.get(pk=self.booking_id())
        response = HttpResponse(itinerary_receipt_pdf(booking), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="itinerary-{booking.record_locator}.pdf"'
        return response


class ReceiptView(LookedUpBookingMixin, Receipt):
    def get(self, request, token):
        return self.receipt()


# --- Accounts --------------------------------------------------------------------------------


class CustomerRequired:
    """A page for a logged-in customer; anyone else (a staff session too) goes to the customer log-in."""

    def dispatch(self, request, *args, **kwargs):
        if not accounts.is_customer(request.user):
            return redirect_to_login(request.get_full_path(), reverse("customers:login"))
        return super().dispatch(request, *args, **kwargs)


class SignUpView(SitePage, FormView):
    template_name = "customers/sign_up.html"
    form_class = SignUpForm

    def form_valid(self, form):
        accounts.sign_up(request=self.request, email=form.cleaned_data["email"])
        return render(
            self.request,
            "customers/sign_up_sent.html",
            self.get_context_data(email=form.cleaned_data["email"].strip().lower()),
        )


class ConfirmView(SitePage, FormView):
    """The link from the confirmation e-mail: choose a password (POST), and the account is open."""

    template_name = "customers/confirm.html"
    form_class = ChoosePasswordForm

    def dispatch(self, request, *args, **kwargs):
        self.customer = accounts.user_to_confirm(kwargs["token"])
        if self.customer is None:
            return render(request, "customers/confirm_invalid.html", self.get_context_data(), status=404)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.customer}

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=getattr(self, "customer", None), **kwargs)

    def form_valid(self, form):
        user = accounts.confirm(user=self.customer, password=form.cleaned_data["new_password1"])
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, _("Your address is confirmed and your account is open."))
        return redirect("customers:my_bookings")


class CustomerLoginView(SitePage, auth_views.LoginView):
    template_name = "customers/login.html"
    authentication_form = CustomerLoginForm
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("customers:my_bookings")

    def form_invalid(self, form):
        if getattr(self.request, "axes_locked_out", False):
            # Axes counted this failure and locks the name or address: say so here, not on the admin's page.
            self.request.axes_locked_out = False
            until = timezone.localtime(lifted_at(self.request, {"username": form.data.get("username", "")}))
            form.errors.clear()
            form.add_error(
                None,
                _("Too many failed log-ins for this address or from this connection. Try again after %(time)s.")
                % {"time": date_format(until, "H:i T")},
            )
            response = super().form_invalid(form)
            response.status_code = 429
            return response
        return super().form_invalid(form)


class CustomerLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("customers:lookup")


class PasswordResetView(SitePage, auth_views.PasswordResetView):
    template_name = "customers/password_reset.html"
    form_class = CustomerPasswordResetForm
    email_template_name = "customers/email/password_reset.txt"
    subject_template_name = "customers/email/password_reset_subject.txt"
    success_url = reverse_lazy("customers:password_reset_done")
    extra_email_context = {"airline_name": settings.AIRLINE_NAME}


class PasswordResetDoneView(SitePage, auth_views.PasswordResetDoneView):
    template_name = "customers/password_reset_done.html"


class PasswordResetConfirmView(SitePage, auth_views.PasswordResetConfirmView):
    template_name = "customers/password_reset_confirm.html"
    success_url = reverse_lazy("customers:password_reset_complete")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and not user.is_staff and not user.is_superuser else None


class PasswordResetCompleteView(SitePage, auth_views.PasswordResetCompleteView):
    template_name = "customers/password_reset_complete.html"


class MyBookingsView(SitePage, CustomerRequired, TemplateView):
    template_name = "customers/my_bookings.html"

    def get_context_data(self, **kwargs):
        upcoming, past = accounts.bookings_of(self.request.user)
        for booking in (*upcoming, *past):
            booking.first_departure_local = (
                format_local(booking.first_departure, booking.first_departure_zone) if booking.first_departure else ""
            )
        return super().get_context_data(sections=[(_("Upcoming"), upcoming), (_("Past"), past)], **kwargs)


class OwnBookingMixin(CustomerRequired):
    """A booking of the logged-in customer's (contact e-mail = their confirmed address); any other id is 404."""

    account = True

    def booking_id(self):
        booking = Booking.objects.filter(pk=self.kwargs["booking_id"], contact_email__iexact=self.request.user.email)
        pk = booking.values_list("pk", flat=True).first()
        if pk is None:
            raise Http404("No such booking of yours.")
        return pk

    def receipt_url(self):
        return reverse("customers:account_receipt", kwargs={"booking_id": self.kwargs["booking_id"]})


class AccountBookingView(OwnBookingMixin, BookingPage):
    pass


class AccountReceiptView(OwnBookingMixin, Receipt):
    def get(self, request, booking_id):
        return self.receipt()


# --- Refunds and cancelling a hold (account only: its address is confirmed) -----------------------


class BookingActionPage(SitePage, OwnBookingMixin, TemplateView):
    """Confirm-then-do for one of the customer's bookings: GET shows what will happen, POST does it
    through the service, whose refusal is shown on the page in its own words."""

    template_name = "customers/action.html"

    def booking(self):
        return Booking.objects.get(pk=self.booking_id())

    def get_context_data(self, **kwargs):
        booking = getattr(self, "_booking", None) or self.booking()
        context = {
            "booking": booking,
            "booking_url": reverse("customers:account_booking", kwargs={"booking_id": booking.pk}),
            **self.describe(booking),
            **kwargs,  # a refusal from the service, after a POST
        }
        return super().get_context_data(**context)

    def post(self, request, *args, **kwargs):
        self._booking = self.booking()
        try:
            message = self.perform(self._booking)
        except DomainError as refusal:
            return self.render_to_response(self.get_context_data(refusal=refusal.message))
        messages.success(request, message)
        return redirect("customers:account_booking", booking_id=self._booking.pk)


def _quotes_or_refusal(allowed, make_quotes):
    if not allowed:
        return {"refusal": allowed.reason, "quotes": [], "total": None}
    quotes, total = make_quotes()
    return {"quotes": quotes, "total": total}


class RefundBookingView(BookingActionPage):
    def describe(self, booking):
        tickets = booking_tickets(booking)
        allowed = refund_services.can_refund_booking(booking, tickets=tickets)
        return {
            "title": _("Ask for a refund of booking %(locator)s") % {"locator": booking.record_locator},
            "button": _("Ask for this refund"),
            "refund": True,
            **_quotes_or_refusal(allowed, lambda: refund_services.quote_booking(booking=booking)),
        }

    def perform(self, booking):
        refunds = refund_services.request_booking_refunds(booking=booking, requested_by=self.request.user)
        return _("Refund asked for %(count)s ticket(s). Our finance team reviews it, then pays it back.") % {
            "count": len(refunds)
        }


class RefundPassengerView(BookingActionPage):
    def tickets(self, booking):
        tickets = booking_tickets(booking)
        if not any(t.passenger.position == self.kwargs["position"] for t in tickets):
            raise Http404("No such passenger on this booking.")
        return passenger_open_tickets(tickets, self.kwargs["position"])

    def describe(self, booking):
        own = self.tickets(booking)
        allowed = (
            first_refusal(*(refund_services.can_request_refund(t) for t in own))
            if own
            else refuse(RefundNotAllowed(_("This passenger has no ticket that can be refunded.")))
        )

        def quotes():
            found = [refund_services.quote_ticket(ticket=t) for t in own]
            return [q for quotes, _total in found for q in quotes], sum((total for _q, total in found), start=ZERO)

        name = next((t.passenger.iata_name for t in own), "")
        return {
            "title": _("Ask for a refund of %(name)s's tickets") % {"name": name or _("this passenger")},
            "button": _("Ask for this refund"),
            "refund": True,
            **_quotes_or_refusal(allowed, quotes),
        }

    def perform(self, booking):
        own = self.tickets(booking)
        if not own:
            raise RefundNotAllowed(_("This passenger has no ticket that can be refunded."))
        with transaction.atomic():
            for ticket in own:
                refund_services.request_refund(ticket=ticket, requested_by=self.request.user)
        return _("Refund asked for. Our finance team reviews it, then pays it back.")


class CancelHoldView(BookingActionPage):
    def describe(self, booking):
        allowed = sales_services.can_cancel_booking(booking)
        return {
            "title": _("Cancel booking %(locator)s") % {"locator": booking.record_locator},
            "button": _("Cancel this booking"),
            "refund": False,
            "refusal": None if allowed else allowed.reason,
            "note": _("Nothing was paid: the booking is cancelled and its seats are given back at once."),
        }

    def perform(self, booking):
        sales_services.cancel_booking(booking=booking, agent=self.request.user)
        return _("Booking %(locator)s is cancelled.") % {"locator": booking.record_locator}
