from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """The customer site: passengers look up and manage their bookings, outside the admin."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = "Customers"
