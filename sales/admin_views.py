"""The counter workflow inside the admin: search, book, and act on a booking.

Views only read forms and call services; every change is a POST with CSRF,
reached through a confirmation page.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from backoffice import plugins
from backoffice.admin_views import AdminPageView, ConfirmedActionView
from backoffice.system import system_user
from fleet.models import Flight
from fleet.selectors import location_suggestions
from fleet.timezones import format_local, format_local_time
from sales import selectors, services
from sales.exceptions import SalesError
from sales.forms import ContactForm, PassengerFormSet, PaymentForm, SearchForm
from sales.models import Booking, FareBucket, Passenger, Ticket


def booking_url(booking):
    return reverse("admin:sales_booking_change", args=[booking.pk])


class CounterView(AdminPageView, TemplateView):
    permission_required = ("sales.add_booking",)


class LocationsView(AdminPageView, View):
    """City and airport codes for the search form's autocomplete."""

    permission_required = ("sales.add_booking",)
    title = "locations"

    def get(self, request):
        suggestions = location_suggestions(request.GET.get("term"))
        return JsonResponse({"results": [{"code": s.code, "label": s.label} for s in suggestions]})


def _offer_rows(offers):
    rows = []
    for offer in offers:
        flight = offer.flight
        rows.append(
            {
                "offer": offer,
                "flight": flight,
                "departs": format_local(flight.scheduled_departure, flight.origin.time_zone),
                "arrives": format_local_time(
                    flight.scheduled_arrival,
                    flight.destination.time_zone,
                    flight.scheduled_departure.astimezone(flight.origin.zone).date(),
                ),
                "duration": _duration(flight.scheduled_arrival - flight.scheduled_departure),
            }
        )
    return rows


def _duration(delta):
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}"


class SearchView(CounterView):
    title = _("Find flights")
    template_name = "sales/admin/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = SearchForm(self.request.GET or None, initial={"date": timezone.localdate()})
        context["form"] = form
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            common = {"window_days": data["window"], "seats": form.seats}
            context["outbound"] = _offer_rows(
                selectors.search_availability(
                    origin=data["origin"], destination=data["destination"], date=data["date"], **common
                )
            )
            if data["return_date"]:
                context["inbound"] = _offer_rows(
                    selectors.search_availability(
                        origin=data["destination"], destination=data["origin"], date=data["return_date"], **common
                    )
                )
            context["party"] = {k: data[k] for k in ("adults", "children", "infants")}
            context["currency"] = settings.CURRENCY
        return context


def _parse_segments(values):
    segments = []
    for value in values:
        flight_id, _, fare_class = (value or "").partition(":")
        if not re.fullmatch(r"[0-9]{1,18}", flight_id) or len(fare_class) != 1:
            raise Http404("Unknown flight or fare.")
        segments.append(services.SegmentRequest(flight_id=int(flight_id), fare_class=fare_class.upper()))
    return segments


def _party(params):
    try:
        counts = [max(0, min(9, int(params.get(key) or 0))) for key in ("adults", "children", "infants")]
    except (ValueError, OverflowError) as error:
        raise Http404("Bad passenger counts.") from error
    adults, children, infants = counts
    kinds = [Passenger.Type.ADULT] * adults + [Passenger.Type.CHILD] * children + [Passenger.Type.INFANT] * infants
    return kinds or [Passenger.Type.ADULT]


class NewBookingView(CounterView):
    """Passenger names and contact for the flights chosen in the search."""

    title = _("New booking")
    template_name = "sales/admin/new_booking.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        params = request.POST if request.method == "POST" else request.GET
        # "segment" repeats for any number of flights; the search page sends one per direction.
        chosen = params.getlist("segment") + [params[k] for k in ("segment_out", "segment_back") if params.get(k)]
        self.segments = _parse_segments(chosen)
        self.kinds = _party(params)
        self.adult_positions = [n for n, kind in enumerate(self.kinds, start=1) if kind == Passenger.Type.ADULT]

    def _chosen(self):
        wanted = {(s.flight_id, s.fare_class) for s in self.segments}
        buckets = FareBucket.objects.select_related(
            "fare_class", "flight__origin", "flight__destination", "flight__aircraft_type"
        ).filter(flight_id__in=[s.flight_id for s in self.segments])
        chosen = [b for b in buckets if (b.flight_id, b.fare_class.code) in wanted]
        chosen.sort(key=lambda b: b.flight.scheduled_departure)
        return [
            {
                "bucket": b,
                "departs": format_local(b.flight.scheduled_departure, b.flight.origin.time_zone),
                "arrives": format_local(b.flight.scheduled_arrival, b.flight.destination.time_zone),
            }
            for b in chosen
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "passengers",
            PassengerFormSet(
                initial=[{"passenger_type": kind} for kind in self.kinds],
                adults=self.adult_positions,
                prefix="pax",
            ),
        )
        context.setdefault("contact", ContactForm(prefix="contact"))
        refusals = context.setdefault("refusals", [])
        try:
            context["quote"] = services.quote_booking(segments=self.segments, passenger_types=self.kinds)
        except SalesError as error:
            if str(error) not in refusals:
                refusals.append(str(error))
        context["chosen"] = self._chosen()
        context["segments"] = [f"{s.flight_id}:{s.fare_class}" for s in self.segments]
        context["party"] = {
            "adults": self.kinds.count(Passenger.Type.ADULT),
            "children": self.kinds.count(Passenger.Type.CHILD),
            "infants": self.kinds.count(Passenger.Type.INFANT),
        }
        context["currency"] = settings.CURRENCY
        context["back_url"] = reverse("admin:sales_booking_search")
        return context

    def post(self, request, *args, **kwargs):
        passengers = PassengerFormSet(request.POST, adults=self.adult_positions, prefix="pax")
        contact = ContactForm(request.POST, prefix="contact")
        refusals = []
        if passengers.is_valid() and contact.is_valid():
            if [f.cleaned_data["passenger_type"] for f in passengers.forms] != self.kinds:
                raise Http404("Passenger types changed.")
            try:
                booking = self._book(passengers, contact)
            except SalesError as error:
                if not self._attach(error, passengers, contact):
                    refusals.append(str(error))
            else:
                messages.success(request, _("Booking %(locator)s created.") % {"locator": booking.record_locator})
                return HttpResponseRedirect(booking_url(booking))
        # The bound forms go back as typed; a refusal about no one field is the banner above them.
        return self.render_to_response(self.get_context_data(passengers=passengers, contact=contact, refusals=refusals))

    def _book(self, passengers, contact):
        data = contact.cleaned_data
        requests = [
            services.PassengerRequest(
                surname=form.cleaned_data["surname"],
                given_names=form.cleaned_data["given_names"],
                title=form.cleaned_data["title"],
                passenger_type=form.cleaned_data["passenger_type"],
                infant_of=form.cleaned_data.get("infant_of"),
            )
            for form in passengers.forms
        ]
        sale = {
            "segments": self.segments,
            "passengers": requests,
            "contact_name": data["contact_name"],
            "contact_email": data["contact_email"],
            "contact_phone": data["contact_phone"],
            "agent": self.request.user,
        }
        if data["then"] == ContactForm.PAY_NOW:
            return services.pay_now(**sale, method=data["method"], reference=data["reference"])
        return services.book(**sale)

    @staticmethod
    def _attach(error, passengers, contact):
        """Put a refusal on the field or passenger it is about; False when it is about no one of them."""
        position = getattr(error, "passenger", None)
        if position is not None and 1 <= position <= len(passengers.forms):
            form = passengers.forms[position - 1]
            form.add_error(error.field if error.field in form.fields else None, str(error))
            return True
        if error.field in contact.fields:
            contact.add_error(error.field, str(error))
            return True
        return False


class BookingActionView(ConfirmedActionView):
    """A confirmed action on one booking (or one of its tickets)."""

    permission_required = ("sales.change_booking",)
    back_label = _("Back to the booking")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.booking = get_object_or_404(Booking, pk=kwargs["booking_id"])
        self.ticket = None
        if "ticket_id" in kwargs:
            self.ticket = get_object_or_404(
                Ticket.objects.select_related("passenger", "flight__origin", "flight__destination"),
                pk=kwargs["ticket_id"],
                booking=self.booking,
            )

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.has_perm("sales.view_booking"):
            services.expire_if_due(self.booking, user=system_user())
        return super().dispatch(request, *args, **kwargs)

    def back_url(self):
        return booking_url(self.booking)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(booking=self.booking, ticket=self.ticket, currency=settings.CURRENCY)
        return context


class TakePaymentView(BookingActionView):
    permission_required = ("sales.change_booking", "sales.add_payment")
    title = _("Take payment")
    confirm_label = _("Take payment")
    form_class = PaymentForm

    def question(self):
        return _("Take a payment for booking %(locator)s: balance due %(due)s %(currency)s.") % {
            "locator": self.booking.record_locator,
            "due": self.booking.balance_due,
            "currency": settings.CURRENCY,
        }

    def initial(self):
        return {"amount": self.booking.balance_due, "method": "card"}

    def perform(self, data):
        payment = services.take_payment(
            booking=self.booking,
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            agent=self.request.user,
        )
        return _("Payment of %(amount)s %(currency)s recorded.") % {
            "amount": payment.amount,
            "currency": settings.CURRENCY,
        }


class IssueTicketsView(BookingActionView):
    title = _("Issue tickets")
    confirm_label = _("Issue tickets")

    def question(self):
        return _("Issue the tickets of booking %(locator)s?") % {"locator": self.booking.record_locator}

    def consequences(self):
        return [_("Each passenger gets a 13-digit ticket number per flight; the prices are final.")]

    def perform(self, data):
        tickets = services.issue_tickets(booking=self.booking, agent=self.request.user)
        return _("%(count)s ticket(s) issued.") % {"count": len(tickets)}


class CancelBookingView(BookingActionView):
    title = _("Cancel booking")
    confirm_label = _("Cancel the booking")

    def question(self):
        return _("Cancel booking %(locator)s?") % {"locator": self.booking.record_locator}

    def consequences(self):
        return [_("Every seat it holds is released at once. This cannot be undone.")]

    def perform(self, data):
        services.cancel_booking(booking=self.booking, agent=self.request.user)
        return _("Booking %(locator)s cancelled; its seats are released.") % {"locator": self.booking.record_locator}


class CancelTicketView(BookingActionView):
    title = _("Cancel seat")
    confirm_label = _("Cancel this seat")

    def question(self):
        return _("Take %(name)s off %(flight)s?") % {
            "name": self.ticket.passenger.iata_name,
            "flight": self.ticket.flight,
        }

    def consequences(self):
        notes = [_("The seat is released at once and the booking's total goes down.")]
        if self.ticket.passenger.passenger_type == Passenger.Type.ADULT:
            notes.append(_("An infant on this passenger's lap comes off the flight too."))
        return notes

    def perform(self, data):
        closed = services.cancel_ticket(ticket=self.ticket, agent=self.request.user)
        return _("%(count)s seat(s) cancelled.") % {"count": len(closed)}


class ReceiptView(AdminPageView, View):
    permission_required = ("sales.view_booking",)
    title = "receipt"

    def get(self, request, booking_id):
        from sales.documents import itinerary_receipt_pdf

        booking = get_object_or_404(Booking, pk=booking_id)
        pdf = itinerary_receipt_pdf(booking, printed_by=request.user)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="itinerary-{booking.record_locator}.pdf"'
        return response


@dataclass(frozen=True)
class Button:
    """A button (or, under a ticket's status, a link) of the booking page."""

    label: str
    url: str
    variant: str = "default"
    icon: str | None = None


@dataclass
class BookingPagePart:
    """What an app above sales adds to the booking page (`backoffice.plugins.contribute("booking_page", ...)`).

    The refunds app adds Refund and Void to tickets, "Cancel and refund" to the booking, and each
    ticket's refund under its status (refunds/booking_admin.py).
    """

    buttons: list = field(default_factory=list)
    ticket_buttons: dict = field(default_factory=dict)  # ticket id: [Button]
    ticket_notes: dict = field(default_factory=dict)  # ticket id: [Button], shown as links


def booking_page_context(request, booking):
    """What the booking page shows: read in a fixed number of queries.

    Each button is offered when its service would accept the press (the service's `can_*` rule); the
    apps above sales add theirs (`BookingPagePart`).
    """
    booking = selectors.booking_page(booking.pk)
    now = timezone.now()
    user = request.user
    can_act = user.has_perm("sales.change_booking")
    all_tickets = list(booking.tickets.all())
    parts = plugins.gather("booking_page", request, booking, tickets=all_tickets, now=now)
    tickets = []
    for ticket in all_tickets:
        flight = ticket.flight
        buttons = []
        if can_act and services.can_cancel_seat(ticket, booking=booking, tickets=all_tickets):
            url = reverse("admin:sales_booking_cancel_ticket", args=[booking.pk, ticket.pk])
            buttons.append(Button(_("Cancel seat"), url))
        tickets.append(
            {
                "ticket": ticket,
                "departs": format_local(flight.scheduled_departure, flight.origin.time_zone),
                "arrives": format_local(flight.scheduled_arrival, flight.destination.time_zone),
                "buttons": buttons + [b for part in parts for b in part.ticket_buttons.get(ticket.pk, [])],
                "notes": [note for part in parts for note in part.ticket_notes.get(ticket.pk, [])],
            }
        )
    buttons = []
    if can_act and user.has_perm("sales.add_payment") and services.can_take_payment(booking, now=now):
        buttons.append(Button(_("Take payment"), _booking_url("pay", booking), variant="primary", icon="payments"))
    if can_act and services.can_issue(booking, tickets=all_tickets, now=now):
        buttons.append(
            Button(_("Issue tickets"), _booking_url("issue", booking), variant="primary", icon="airplane_ticket")
        )
    if can_act and services.can_cancel_booking(booking):
        buttons.append(Button(_("Cancel booking"), _booking_url("cancel", booking), variant="danger", icon="cancel"))
    return {
        "booking": booking,
        "buttons": buttons + [b for part in parts for b in part.buttons],
        "tickets": tickets,
        "passengers": list(booking.passengers.all()),
        "payments": list(booking.payments.all()),
        "currency": settings.CURRENCY,
        "amount_due": services.amount_due(booking),
        "hold_deadline": services.current_hold_deadline(booking),
    }


def _booking_url(name, booking):
    return reverse(f"admin:sales_booking_{name}", args=[booking.pk])


class FlightDepartureView(AdminPageView, TemplateView):
    """After take-off: mark the flight departed (open tickets become flown), then the no-shows."""

    permission_required = ("sales.change_booking",)
    template_name = "sales/admin/departure.html"
    title = _("Departure")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.flight = get_object_or_404(
            Flight.objects.select_related("origin", "destination", "aircraft_type"), pk=kwargs["flight_id"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        flight = self.flight
        tickets = (
            # The live tickets that were issued: a held seat is not a passenger at the gate.
            Ticket.objects.filter(flight=flight, status__in=Ticket.LIVE_STATUSES)
            .exclude(status=Ticket.Status.HELD)
            .select_related("passenger", "booking", "fare_bucket__fare_class")
            .order_by("passenger__surname", "passenger__given_names")
        )
        context.update(
            flight=flight,
            departs=format_local(flight.scheduled_departure, flight.origin.time_zone),
            tickets=tickets,
            departure=services.can_depart(flight),
            departed=flight.status == Flight.Status.DEPARTED,
            flight_url=reverse("admin:fleet_flight_change", args=[flight.pk]),
            title=_("Departure of %(flight)s") % {"flight": flight},
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            if request.POST.get("step") == "depart":
                flown = services.depart_flight(flight=self.flight, agent=request.user)
                messages.success(
                    request,
                    _("%(flight)s departed: %(count)s ticket(s) flown.")
                    % {
                        "flight": self.flight,
                        "count": flown,
                    },
                )
            elif request.POST.get("step") == "no_show":
                ids = [int(v) for v in request.POST.getlist("ticket") if re.fullmatch(r"[0-9]{1,18}", v)]
                tickets = list(Ticket.objects.filter(pk__in=ids, flight=self.flight))
                if not tickets:
                    messages.error(request, _("Tick the passengers who did not travel."))
                else:
                    services.mark_no_show(tickets=tickets, agent=request.user)
                    messages.success(request, _("%(count)s passenger(s) marked no-show.") % {"count": len(tickets)})
            else:  # the page sends one of the two; anything else was typed in
                messages.error(
                    request, _("Choose a step of the departure: mark the flight departed, or tick the no-shows.")
                )
        except SalesError as error:
            messages.error(request, str(error))
        return HttpResponseRedirect(request.path)
