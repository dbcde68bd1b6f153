"""Hold expiry every minute on Celery beat: the schedule names the task, and the task expires lapsed holds."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from backoffice import celery_app
from sales.models import Booking
from tests.sales.conftest import adults

pytestmark = pytest.mark.django_db


def test_beat_sends_hold_expiry_every_minute_and_job_file_expiry_every_hour():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule == {"sales.expire_holds": 60.0, "backoffice.expire_job_files": 3600.0}
    celery_app.loader.import_default_modules()
    # Each scheduled name is a task the workers know.
    assert set(schedule) <= set(celery_app.tasks)


def test_the_task_expires_lapsed_holds_as_the_system_account(economy, book_on):
    lapsed = book_on(economy, passengers=adults(2))
    held = book_on(economy, passengers=adults(1))
    Booking.objects.filter(pk=lapsed.pk).update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    task = celery_app.tasks["sales.expire_holds"]
    assert task.delay() is not None  # no broker in the tests: it runs here, as on the demo
    lapsed.refresh_from_db()
    held.refresh_from_db()
    assert (lapsed.status, held.status) == ("expired", "held")
    assert lapsed.history.first().history_user.username == "system"
    economy.flight.refresh_from_db()
    assert economy.flight.seats_sold == 1
