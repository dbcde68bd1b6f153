from django.apps import AppConfig
from django.utils.translation import gettext as _


class FleetConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fleet"
    verbose_name = "Network and fleet"

    def ready(self):
        from django.contrib import admin
        from django.contrib.auth.models import User

        from backoffice.related_history import register_related_history
        from fleet import jobs  # noqa: F401  (the kinds of job this app does, known to the workers too)
        from fleet.models import StaffStation
        from fleet.user_admin import add_to_user_page

        # The admin has discovered every app's admin module by now (django.contrib.admin is ready first).
        add_to_user_page(admin.site)
        # A person's history page shows when their station changed, and who changed it.
        register_related_history(
            User,
            model=StaffStation,
            rows=lambda user: StaffStation.history.filter(user_id=user.pk).select_related("airport"),
            describe=lambda row: _("Station %(code)s") % {"code": row.airport.code if row.airport_id else "-"},
        )
