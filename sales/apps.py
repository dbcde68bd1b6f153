from django.apps import AppConfig
from django.utils.translation import gettext as _


class SalesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sales"
    verbose_name = "Sales"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from backoffice.plugins import extend_admin
        from backoffice.related_history import register_related_history
        from fleet.models import Flight
        from fleet.signals import flights_created
        from sales import flight_admin, listing, services
        from sales.models import Booking, FareClass, Passenger, Payment, Ticket

        # Sales sits above fleet: it plugs into fleet's pages and events (backoffice/plugins.py).
        # Every new flight, however fleet writes it, goes on sale with its route's fares.
        flights_created.connect(services.open_sales_of_new_flights, sender=Flight, dispatch_uid="sales.open_sales")
        # The sales listing's rows show an agent's username, a fare class's code and a flight's number, date
        # and route as they are now: renamed there, renamed in the rows too (sales/listing.py).
        post_save.connect(listing.agent_saved, sender=get_user_model(), dispatch_uid="sales.listing_agent")
        post_save.connect(listing.fare_class_saved, sender=FareClass, dispatch_uid="sales.listing_fare_class")
        post_save.connect(listing.flight_saved, sender=Flight, dispatch_uid="sales.listing_flight")
        # The flight page gets its fare buckets, "Book on this flight", departure and manifests. The admin
        # has discovered every app's admin module by now (django.contrib.admin is ready first).
        extend_admin(
            Flight,
            flight_admin.SalesOnTheFlightPage,
            first_actions=flight_admin.ACTIONS,
            inlines=[flight_admin.FareBucketInline],
        )

        # A booking's history page shows what happened to its passengers, tickets and payments too.
        register_related_history(
            Booking,
            model=Passenger,
            rows=lambda booking: Passenger.history.filter(booking_id=booking.pk),
            describe=lambda row: _("Passenger %(name)s") % {"name": row.instance.iata_name},
        )
        register_related_history(
            Booking,
            model=Ticket,
            rows=lambda booking: Ticket.history.filter(booking_id=booking.pk),
            describe=lambda row: (
                _("Ticket %(number)s %(passenger)s %(flight)s")
                % {
                    "number": row.number or _("(not issued)"),
                    "passenger": row.passenger.iata_name,
                    "flight": row.flight,
                }
            ),
        )
        register_related_history(
            Booking,
            model=Payment,
            rows=lambda booking: Payment.history.filter(booking_id=booking.pk),
            describe=lambda row: (
                _("Payment %(amount)s %(method)s") % {"amount": row.amount, "method": row.get_method_display()}
            ),
        )
