from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BackofficeConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "backoffice"
    verbose_name = "Back office"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from backoffice import accounts, login_throttle, middleware

        accounts.connect()
        login_throttle.name_records()
        user_logged_in.connect(middleware.seen_at_log_in, dispatch_uid="backoffice.middleware.seen_at_log_in")


class BackofficeAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the back office's site (unfold's, corrected) as the default site."""

    default = False
    default_site = "backoffice.admin_site.BackofficeAdminSite"
