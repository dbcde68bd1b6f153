from django.apps import AppConfig


class SalesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sales"
    verbose_name = "Sales"

    def ready(self):
        # The admin has discovered every app's admin module by now (django.contrib.admin is ready first).
        from django.contrib import admin

        from sales.flight_admin import add_to_flight_page

        add_to_flight_page(admin.site)
