from django.apps import AppConfig
from django.utils.translation import gettext as _


class RefundsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self):
        from backoffice import plugins
        from backoffice.related_history import register_related_history
        from fleet.models import Flight

        # jobs: the kinds of job this app does, known to the workers too.
        from refunds import booking_admin, flight_admin, jobs  # noqa: F401
        from refunds.models import Refund
        from sales.models import Booking

        # Refunds sit above sales and fleet: they plug into their pages (backoffice/plugins.py).
        # "Cancel flight" on the flight page, last among its actions.
        plugins.extend_admin(
            Flight, flight_admin.CancelFlightOnTheFlightPage, last_actions=[flight_admin.CANCEL_ACTION]
        )
        # The refund quote and void pages on the booking admin; their buttons and notes on the booking page.
        plugins.extend_admin(Booking, booking_admin.RefundPagesOnTheBookingAdmin)
        plugins.contribute("booking_page", booking_admin.booking_page_part)
        # The booking's history page shows its refunds too.
        register_related_history(
            Booking,
            model=Refund,
            rows=lambda booking: Refund.history.filter(ticket__booking_id=booking.pk),
            describe=lambda row: _("Refund of ticket %(number)s") % {"number": row.ticket.number},
        )
