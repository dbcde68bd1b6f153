"""Refund pages: the counter's quote-then-request step, finance's decisions, the airline's flight cancellation.

GET shows what will happen; POST (with CSRF) does it.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.admin_views import ConfirmedActionView
from fleet.models import Flight
from fleet.timezones import format_local
from refunds import jobs as refund_jobs
from refunds import services
from refunds.exceptions import RefundAlreadyRequested
from refunds.forms import RefundPaymentForm, RejectionForm
from refunds.models import Refund
from sales import services as sales_services
from sales.admin_views import BookingActionView
from sales.exceptions import SalesError
from sales.models import Ticket


def refund_url(refund):
    return reverse("admin:refunds_refund_change", args=[refund.pk])


class RefundQuoteView(BookingActionView):
    """Counter: show the passenger what comes back, then cancel and request the refund in one step."""

    permission_required = ("sales.change_booking", "refunds.add_refund")
    template_name = "refunds/admin/quote.html"

    def _quotes(self):
        if self.ticket is not None:
            return services.quote_ticket(ticket=self.ticket)
        return services.quote_booking(booking=self.booking)

    def get(self, request, *args, **kwargs):
        try:
            self._quotes()
        except RefundAlreadyRequested as error:
            # Back on the quote of a refund already requested (the back button, a second tab): show that refund.
            messages.info(request, str(error))
            return HttpResponseRedirect(self.already_done_url(error))
        except SalesError:
            pass  # the page says why
        return super().get(request, *args, **kwargs)

    def already_done_url(self, error):
        return refund_url(error.refund) if self.ticket is not None else self.back_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            quotes, total = self._quotes()
        except SalesError as error:
            quotes, total = [], None
            context["refusal"] = str(error)
        context.update(quotes=quotes, total=total)
        return context

    @property
    def title(self):
        return _("Refund quote")

    @property
    def confirm_label(self):
        return _("Cancel and request the refund")

    def question(self):
        if self.ticket is not None:
            return _("Refund ticket %(number)s of %(name)s on %(flight)s?") % {
                "number": self.ticket.number,
                "name": self.ticket.passenger.iata_name,
                "flight": self.ticket.flight,
            }
        return _("Cancel booking %(locator)s and refund its open tickets?") % {"locator": self.booking.record_locator}

    def _lap_infant_tickets(self):
        return sales_services.lap_infant_tickets(self.ticket, status=self.ticket.status, lock=False)

    def consequences(self):
        notes = []
        if self.ticket is not None and self.ticket.status == Ticket.Status.NO_SHOW:
            notes.append(_("The passenger did not travel; the seat stays counted on the departed flight."))
        else:
            notes.append(
                _("The tickets are surrendered and their seats released at once, whatever Finance decides.")
                + " "
                + _("Finance approves the refund before it is paid.")
            )
        if self.ticket is not None and self._lap_infant_tickets():
            notes.append(_("The ticket of the infant on this passenger's lap goes with it, with its own refund."))
        return notes

    def perform(self, data):
        if self.ticket is not None:
            infants = self._lap_infant_tickets()
            refund = services.request_refund(ticket=self.ticket, requested_by=self.request.user)
            done = _("Refund of %(amount)s %(currency)s requested for ticket %(number)s.") % {
                "amount": refund.amount,
                "currency": settings.CURRENCY,
                "number": self.ticket.number,
            }
            if infants:
                done += " " + _("The lap infant's ticket %(numbers)s goes with it.") % {
                    "numbers": ", ".join(t.number for t in infants)
                }
            return done
        refunds = services.request_booking_refunds(booking=self.booking, requested_by=self.request.user)
        return _("%(count)s refund(s) requested, %(amount)s %(currency)s in all.") % {
            "count": len(refunds),
            "amount": sum(r.amount for r in refunds),
            "currency": settings.CURRENCY,
        }


class VoidTicketView(BookingActionView):
    # Voiding requests the refund of everything paid.
    permission_required = ("sales.change_booking", "refunds.add_refund")
    title = _("Void ticket")
    confirm_label = _("Void the ticket")

    def question(self):
        return _("Void ticket %(number)s of %(name)s on %(flight)s?") % {
            "number": self.ticket.number,
            "name": self.ticket.passenger.iata_name,
            "flight": self.ticket.flight,
        }

    def _lap_infant_tickets(self):
        return sales_services.lap_infant_tickets(self.ticket, status=Ticket.Status.OPEN, lock=False)

    def consequences(self):
        notes = [
            _("The seat is released and the full %(total)s %(currency)s is due back to the passenger, with no fee.")
            % {"total": self.ticket.total_amount, "currency": settings.CURRENCY}
        ]
        if self._lap_infant_tickets():
            notes.append(_("The ticket of the infant on this passenger's lap is voided with it, and refunded too."))
        return notes

    def already_done_url(self, error):
        # Pressed twice: the refund the first press requested.
        return refund_url(error.refund)

    def perform(self, data):
        infants = self._lap_infant_tickets()
        refund = services.void_ticket(ticket=self.ticket, agent=self.request.user)
        done = _("Ticket %(number)s voided; refund of %(amount)s %(currency)s requested.") % {
            "number": self.ticket.number,
            "amount": refund.amount,
            "currency": settings.CURRENCY,
        }
        if infants:
            done += " " + _("The lap infant's ticket %(numbers)s is voided with it.") % {
                "numbers": ", ".join(t.number for t in infants)
            }
        return done


class RefundActionView(ConfirmedActionView):
    """Finance acting on one refund."""

    back_label = _("Back to the refund")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.refund = get_object_or_404(
            Refund.objects.select_related("ticket__passenger", "ticket__flight", "requested_by"), pk=kwargs["refund_id"]
        )

    def back_url(self):
        return reverse("admin:refunds_refund_change", args=[self.refund.pk])

    def consequences(self):
        refund = self.refund
        return [
            _("%(kind)s refund of ticket %(number)s (%(name)s): %(amount)s %(currency)s, fee kept %(fee)s.")
            % {
                "kind": refund.get_kind_display(),
                "number": refund.ticket.number,
                "name": refund.ticket.passenger.iata_name,
                "amount": refund.amount,
                "currency": settings.CURRENCY,
                "fee": refund.fee_kept,
            },
            _("Requested by %(who)s.") % {"who": refund.requested_by.get_full_name() or refund.requested_by},
        ]


class ApproveRefundView(RefundActionView):
    permission_required = ("refunds.decide_refund",)
    title = _("Approve refund")
    confirm_label = _("Approve")

    def question(self):
        return _("Approve this refund?")

    def perform(self, data):
        services.approve_refund(refund=self.refund, approver=self.request.user)
        return _("Refund approved.")


class RejectRefundView(RefundActionView):
    permission_required = ("refunds.decide_refund",)
    title = _("Reject refund")
    confirm_label = _("Reject")
    form_class = RejectionForm

    def question(self):
        return _("Reject this refund? Say why.")

    def perform(self, data):
        services.reject_refund(refund=self.refund, approver=self.request.user, reason=data["reason"])
        return _("Refund rejected.")


class PayRefundView(RefundActionView):
    permission_required = ("refunds.pay_refund",)
    title = _("Mark refund paid")
    confirm_label = _("Mark paid")
    form_class = RefundPaymentForm

    def question(self):
        return _("Record that %(amount)s %(currency)s went back to the passenger?") % {
            "amount": self.refund.amount,
            "currency": settings.CURRENCY,
        }

    def perform(self, data):
        services.mark_refund_paid(
            refund=self.refund, user=self.request.user, method=data["method"], reference=data["reference"]
        )
        return _("Refund marked paid.")


class CancelFlightView(ConfirmedActionView):
    """Admin: the airline cancels a flight."""

    back_label = _("Back to the flight")

    # Admin's decision; the refund requests it makes name the Admin as requester, and Finance decides them.
    permission_required = ("fleet.change_flight",)
    title = _("Cancel flight")
    confirm_label = _("Cancel the flight")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.flight = get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=kwargs["flight_id"])

    def back_url(self):
        return reverse("admin:fleet_flight_change", args=[self.flight.pk])

    def get(self, request, *args, **kwargs):
        allowed = services.can_cancel_flight(self.flight)
        if not allowed:
            messages.info(request, allowed.reason)
            return HttpResponseRedirect(self.back_url())
        return super().get(request, *args, **kwargs)

    def question(self):
        flight = self.flight
        return _("Cancel %(flight)s, %(route)s, departing %(departs)s?") % {
            "flight": flight,
            "route": f"{flight.origin.code}–{flight.destination.code}",
            "departs": format_local(flight.scheduled_departure, flight.origin.time_zone),
        }

    def consequences(self):
        open_tickets = Ticket.objects.filter(flight=self.flight, status=Ticket.Status.OPEN).count()
        held = Ticket.objects.filter(flight=self.flight, status=Ticket.Status.HELD).values("booking").distinct().count()
        return [
            _("%(count)s open ticket(s) get an involuntary refund request for everything paid, and their seats back.")
            % {"count": open_tickets},
            _("%(count)s booking(s) held on it are cancelled whole.") % {"count": held},
            _("This cannot be undone."),
        ]

    def post(self, request, *args, **kwargs):
        # A flight with many tickets is cancelled by a job (refunds/jobs.py): its page follows it.
        if refund_jobs.in_background(self.flight):
            allowed = services.can_cancel_flight(self.flight)
            if not allowed:
                messages.info(request, allowed.reason)
                return HttpResponseRedirect(self.back_url())
            job, _started = refund_jobs.start_cancellation(flight=self.flight, user=request.user)
            return HttpResponseRedirect(reverse("admin:backoffice_job_change", args=[job.pk]))
        return super().post(request, *args, **kwargs)

    def perform(self, data):
        done = services.cancel_flight(flight=self.flight, user=self.request.user)
        if done.paid_holds:
            messages.warning(
                self.request,
                _("Held bookings already paid, to settle at the counter: %(locators)s.")
                % {"locators": ", ".join(done.paid_holds)},
            )
        return refund_jobs.cancellation_message(done)
