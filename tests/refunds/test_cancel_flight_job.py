"""A flight with many tickets is cancelled by a job: the Admin lands on its page, which gives the result; all or
nothing, run again after a worker died having committed it, it says the flight is cancelled."""

import pytest
from django.urls import reverse

from backoffice import jobs
from backoffice.models import Job
from fleet.models import Flight
from refunds.jobs import start_cancellation
from refunds.models import Refund
from sales.models import Ticket
from sales.services import PassengerRequest as P
from tests.refunds.conftest import bucket_for
from tests.refunds.test_admin import csrf_client, post_with_csrf

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_flight(refundable, sell, settings):
    settings.FLIGHT_CANCEL_BACKGROUND_TICKETS = 2
    bucket = bucket_for(refundable, "100.00")
    sell(bucket, [P("Roy", "Ana"), P("Roy", "Max"), P("Roy", "Eva")])
    return bucket.flight


def test_the_admin_cancels_a_busy_flight_through_a_job(
    busy_flight, admin_role_user, django_capture_on_commit_callbacks
):
    client = csrf_client(admin_role_user)
    url = reverse("admin:fleet_flight_cancel_flight", args=[busy_flight.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_with_csrf(client, url, {})
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:backoffice_job_change", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"Cancel {busy_flight}" in page
    assert "3 involuntary refund request(s), 3 seat(s) released, 0 held booking(s) cancelled." in page
    busy_flight.refresh_from_db()
    assert busy_flight.status == Flight.Status.CANCELLED
    assert Refund.objects.filter(kind="involuntary", requested_by=admin_role_user).count() == 3
    assert busy_flight.history.first().history_user == admin_role_user
    assert (job.state, job.user, job.rows_done, job.rows_total) == (Job.State.DONE, admin_role_user, 3, 3)
    # Asked again: the flight is cancelled, the page says so and nothing more is made.
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == reverse("admin:fleet_flight_change", args=[busy_flight.pk])
    assert Job.objects.count() == 1 and Refund.objects.count() == 3


def test_a_cancellation_run_again_after_its_worker_died_having_committed_it_reports_it_done(
    busy_flight, admin_role_user, monkeypatch
):
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: None)
    job, _ = start_cancellation(flight=busy_flight, user=admin_role_user)
    jobs.run(job.pk)
    # The worker died after the commit, before saying so: the task comes back.
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, message="")
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    assert job.message == f"{busy_flight} is cancelled."
    assert Refund.objects.count() == 3
    assert not Ticket.objects.filter(flight=busy_flight, status="open").exists()


def test_a_quiet_flight_is_still_cancelled_while_the_admin_waits(refundable, sell, admin_role_user, settings):
    settings.FLIGHT_CANCEL_BACKGROUND_TICKETS = 3
    bucket = bucket_for(refundable, "100.00")
    sell(bucket, [P("Roy", "Ana"), P("Roy", "Max"), P("Roy", "Eva")])
    client = csrf_client(admin_role_user)
    response = post_with_csrf(client, reverse("admin:fleet_flight_cancel_flight", args=[bucket.flight_id]), {})
    assert response["Location"] == reverse("admin:fleet_flight_change", args=[bucket.flight_id])
    assert not Job.objects.exists()
    assert "3 involuntary refund request(s)" in client.get(response["Location"]).content.decode()
