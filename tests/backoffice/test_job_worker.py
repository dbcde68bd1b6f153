"""Jobs on a real Celery worker through the real Redis on this machine: a report export's progress moves and its
file downloads; a worker killed half-way offers no half file, and the job is run again to the end.

The worker is `celery -A backoffice worker` in a process of its own, on the test database, with a queue of
the test's own (other runs on the machine share the Redis server).
"""

import os
import signal

import pytest

from backoffice import jobs
from backoffice.models import Job, job_files
from tests.backoffice.slow_job import SLOW_COUNT
from tests.celery_worker import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only("the worker is another process and needs the test database over a connection"),
]


def job_now(job):
    return Job.objects.get(pk=job.pk)


def test_a_worker_runs_a_job_and_its_progress_moves(worker, finance_user):
    process, log = worker
    job, started = jobs.start(
        user=finance_user, kind=SLOW_COUNT, params={"rows": 60, "delay": 0.05}, title="Count to 60"
    )
    assert started
    seen = []
    wait_for(lambda: seen.append(job_now(job).rows_done) or job_now(job).state == Job.State.DONE, 60, "the job", log)
    # The page saw it part-done on the way: the progress bar moves.
    assert any(0 < done < 60 for done in seen), seen
    finished = job_now(job)
    assert (finished.rows_done, finished.rows_total, finished.attempts) == (60, 60, 1)
    assert finished.worker_pid != os.getpid()
    with job_files().open(finished.result_file) as file:
        assert file.read().decode().split() == [str(n) for n in range(1, 61)]


def test_a_worker_killed_half_way_leaves_no_half_file_and_the_job_runs_again(worker, finance_user):
    process, log = worker
    job, _ = jobs.start(user=finance_user, kind=SLOW_COUNT, params={"rows": 80, "delay": 0.05}, title="Count to 80")
    wait_for(lambda: 10 < job_now(job).rows_done < 70, 60, "the job to be part-done", log)
    child = job_now(job).worker_pid
    os.kill(child, signal.SIGKILL)
    # Killed half-way: the job is not done and offers no file; nothing was put into storage.
    killed = job_now(job)
    assert killed.state == Job.State.RUNNING and killed.result_file == ""
    assert not job_files().exists(str(job.pk))
    # The task went back to the queue; a new child runs the job again from the start, to the end.
    wait_for(lambda: job_now(job).state == Job.State.DONE, 90, "the job to run again", log)
    finished = job_now(job)
    assert finished.attempts == 2 and finished.worker_pid != child
    with job_files().open(finished.result_file) as file:
        assert file.read().decode().split() == [str(n) for n in range(1, 81)]
    assert process.poll() is None  # the worker itself lives on
