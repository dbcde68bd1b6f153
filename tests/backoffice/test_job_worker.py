"""Jobs on a real Celery worker through the real Redis on this machine: a report export's progress moves and its
file downloads; a worker killed half-way offers no half file, and the job is run again to the end.

The worker is `celery -A backoffice worker` in a process of its own, on the test database, with a queue of
the test's own (other runs on the machine share the Redis server).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection

from backoffice import celery_app, jobs
from backoffice.models import Job, job_files
from tests.backoffice.slow_job import SLOW_COUNT

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only("the worker is another process and needs the test database over a connection"),
]


def redis_answers():
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def database_url():
    db = connection.settings_dict
    user = db["USER"] or ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    at = f"{user}{password}@" if user else ""
    return f"postgres://{at}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(settings, tmp_path):
    """A Celery worker process (one child) on a queue of this test's own; the test's process sends to it."""
    if not redis_answers():
        pytest.skip(f"no Redis at {REDIS_URL}")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    settings.JOB_FILES_DIR = str(tmp_path / "job-files")
    settings.STORAGES = {
        **settings.STORAGES,
        "jobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": settings.JOB_FILES_DIR},
        },
    }
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_QUEUE": queue,
        "JOB_FILES_DIR": settings.JOB_FILES_DIR,
        "JOB_PROGRESS_SECONDS": "0.05",
        "BACKOFFICE_VAR_DIR": str(tmp_path / "var"),
        "STATEMENT_TIMEOUT_SECONDS": "0",
    }
    log = open(tmp_path / "worker.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool", "prefork", "--concurrency", "1",
         "--queues", queue, "--include", "tests.backoffice.slow_job", "--without-mingle", "--without-gossip",
         "--without-heartbeat", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    sending = {"broker_url": REDIS_URL, "task_always_eager": False, "task_default_queue": queue}
    saved = {key: celery_app.conf[key] for key in sending}
    celery_app.conf.update(sending)
    try:
        wait_for(lambda: "ready." in (tmp_path / "worker.log").read_text(), 60, "the worker to start", log)
        yield process, log
    finally:
        celery_app.conf.update(saved)
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        redis.Redis.from_url(REDIS_URL).delete(queue)
        log.close()


def wait_for(condition, seconds, what, log=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    detail = ""
    if log is not None:
        log.flush()
        log.seek(0)
        detail = "\n" + log.read()[-3000:]
    raise AssertionError(f"waited {seconds} s for {what}{detail}")


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
