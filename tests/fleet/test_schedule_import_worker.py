"""A schedule import on a real Celery worker: killed half-way, it leaves nothing imported; the task comes back and
the import is done whole. The worker writes its progress through a connection of its own while the import's one
transaction is still open, so the page sees it move."""

import os
import signal

import pytest

from backoffice.models import Job
from fleet.jobs import start_import
from fleet.models import AircraftType, Flight, ScheduleLine
from tests.celery_worker import wait_for
from tests.fleet.test_schedule_admin import SAMPLE

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only("the worker is another process and needs the test database over a connection"),
]


COPIES = 10


def season_of(copies):
    """The sample's legs `copies` times over, each copy under flight numbers of its own: a schedule large
    enough that its import is still writing when the test kills it."""
    records = SAMPLE.read_bytes().decode("ascii").splitlines()
    legs = [record for record in records if record.startswith("3")]
    numbers = sorted({int(record[5:9]) for record in legs})
    assert len(numbers) * copies <= 9999
    renumbered = {
        (copy, number): 1 + index + copy * len(numbers)
        for copy in range(copies)
        for index, number in enumerate(numbers)
    }
    head = [record for record in records if not record.startswith(("3", "4", "5"))]
    body = [
        record[:5] + f"{renumbered[copy, int(record[5:9])]:4d}" + record[9:]
        for copy in range(copies)
        for record in legs
    ]
    tail = [record for record in records if record.startswith("5")]
    return ("\n".join(head + body + tail) + "\n").encode("ascii")


def job_now(job):
    return Job.objects.get(pk=job.pk)


def part_done(job):
    now = job_now(job)
    assert now.state in (Job.State.QUEUED, Job.State.RUNNING), f"{now.state}: {now.message}"
    return 0 < now.rows_done < (now.rows_total or 0) // 2


def test_an_import_killed_half_way_leaves_nothing_and_runs_again_whole(worker, admin_role_user):
    process, log = worker
    job, _ = start_import(data=season_of(COPIES), name="season.ssim", user=admin_role_user, create_aircraft_types=True)
    # The flights are being written (their count moves while the transaction is open): kill the worker's child.
    wait_for(lambda: part_done(job), 120, "the import to be part-done", log)
    child = job_now(job).worker_pid
    os.kill(child, signal.SIGKILL)
    # Nothing of it is in the database: no flight, no schedule line, no aircraft type it would have created.
    assert (Flight.objects.count(), ScheduleLine.objects.count(), AircraftType.objects.count()) == (0, 0, 0)
    killed = job_now(job)
    assert killed.state == Job.State.RUNNING and killed.attempts == 1
    # The task came back: the import is done whole, once.
    wait_for(lambda: job_now(job).state == Job.State.DONE, 180, "the import to run again", log)
    done = job_now(job)
    assert done.attempts == 2 and done.worker_pid != child
    assert f"Flights created: {3070 * COPIES}" in done.message
    assert Flight.objects.count() == 3070 * COPIES
    assert process.poll() is None
