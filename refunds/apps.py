from django.apps import AppConfig
from django.utils.translation import gettext as _


class RefundsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self):
        from backoffice.related_history import register_related_history
        from refunds.models import Refund
        from sales.models import Booking

        # Refunds sit above sales: they add themselves to the booking's history page.
        register_related_history(
            Booking,
            model=Refund,
            rows=lambda booking: Refund.history.filter(ticket__booking_id=booking.pk),
            describe=lambda row: _("Refund of ticket %(number)s") % {"number": row.ticket.number},
        )
