from django.apps import AppConfig


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = "Reports"

    def ready(self):
        # The kinds of job this app does (backoffice/jobs.py), known to every process, workers included.
        from reporting import jobs  # noqa: F401
