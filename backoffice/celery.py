"""The Celery application: `celery -A backoffice worker` and `celery -A backoffice beat`.

Its settings are Django's `CELERY_*` settings (backoffice/settings.py). Without `CELERY_BROKER_URL`
every task runs in the process that sends it (eager), so the embedded demo needs no broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
