from django.apps import AppConfig


class RefundsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self):
        from backoffice import plugins
        from refunds import services

        # The flight and booking pages (apps below this one) ask these before offering the buttons.
        plugins.provide("can_cancel_flight", services.can_cancel_flight)
        plugins.provide("can_request_refund", services.can_request_refund)
        plugins.provide("can_refund_booking", services.can_refund_booking)
