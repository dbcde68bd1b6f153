from django.apps import AppConfig
from django.utils.translation import gettext as _


class RefundsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self):
        from backoffice import plugins
        from backoffice.related_history import register_related_history
        from refunds import services
        from refunds.models import Refund
        from sales.models import Booking

        # Refunds sit above sales: they add themselves to the booking's history page.
        register_related_history(
            Booking,
            model=Refund,
            rows=lambda booking: Refund.history.filter(ticket__booking_id=booking.pk),
            describe=lambda row: _("Refund of ticket %(number)s") % {"number": row.ticket.number},
        )
        # The flight and booking pages (apps below this one) ask these before offering the buttons.
        plugins.provide("can_cancel_flight", services.can_cancel_flight)
        plugins.provide("can_request_refund", services.can_request_refund)
        plugins.provide("can_refund_booking", services.can_refund_booking)
        plugins.provide("can_void", services.can_void)
