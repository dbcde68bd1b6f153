"""A real Celery worker for the tests that need one: `celery -A backoffice worker` in a process of its own, on the
test database, through the real Redis on this machine, with a queue of the test's own (other runs on the machine
share the Redis server). Import the `worker` fixture into a test module to use it."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection

from backoffice import celery_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parents[1]


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
        # Not the suite's replica alias (tests/pytest_env.py): the worker reads the test database only.
        **{key: value for key, value in os.environ.items() if not key.startswith("REPLICA_")},
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
    fresh_connections()
    try:
        wait_for(lambda: "ready." in (tmp_path / "worker.log").read_text(), 60, "the worker to start", log)
        yield process, log
    finally:
        celery_app.conf.update(saved)
        fresh_connections()
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        redis.Redis.from_url(REDIS_URL).delete(queue)
        log.close()


def fresh_connections():
    """Forget the broker connections and queues the app set up under its earlier settings (eager, the default
    queue): the next task is sent with the settings in force."""
    celery_app.close()
    celery_app.__dict__.pop("amqp", None)


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
