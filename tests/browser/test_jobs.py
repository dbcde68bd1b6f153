"""Finance has a report file made in the background by a real Celery worker, through the real Redis: the job page
says it waits, its bar fills when the worker takes it, and the file downloads.

A second gunicorn serves the session's demo database with CELERY_BROKER_URL set and a queue of its own, and
small file limits, so that the demo's sales listing is too large to make while one waits.
"""

import os
import re
import subprocess
import sys
import time
import uuid

import pytest
import redis
from playwright.sync_api import expect

from tests.browser.conftest import DEMO, ROOT, _free_port, _wait_until_serving
from tests.browser.helpers import PASSWORDS, TICKET_NUMBER, button, follow, link, open_menu, pdf_text

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_answers():
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def with_broker(live_server_url, tmp_path):
    """The demo's database served again, with a broker; `start_worker()` starts the worker when the test says."""
    if not redis_answers():
        pytest.skip(f"no Redis at {REDIS_URL}")
    queue = f"browser-{uuid.uuid4().hex[:12]}"
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REPLICA_DATABASE_URL", "DEBUG")
    }
    env.update(
        BACKOFFICE_VAR_DIR=str(DEMO["var_dir"]),
        SECRET_KEY="browser-jobs-not-secret",
        ALLOWED_HOSTS="127.0.0.1",
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_QUEUE=queue,
        JOB_FILES_DIR=str(tmp_path / "job-files"),
        JOB_PROGRESS_SECONDS="0.1",
        REPORT_PDF_MAX_ROWS="20",
    )
    log_path = tmp_path / "server-with-broker.log"
    log = log_path.open("w")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "backoffice.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    processes = [server]

    def start_worker():
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--queues", queue, "--concurrency", "1",
             "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(worker)

    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server, log_path)
        yield url, start_worker
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        redis.Redis.from_url(REDIS_URL).delete(queue)
        log.close()


def test_finance_has_a_large_pdf_made_in_the_background_and_downloads_it(with_broker, new_context):
    url, start_worker = with_broker
    page = new_context().new_page()
    # This server, not the session's: the log-in page by its full address, then links and buttons.
    page.goto(f"{url}/admin/")
    page.get_by_label("Username").fill("finance")
    page.get_by_label("Password").fill(PASSWORDS["finance"])
    follow(page, button(page, "Log in"))
    open_menu(page, "Sales")
    follow(page, link(page, "Each document"))
    follow(page, link(page, "PDF"))
    expect(
        page.get_by_text(re.compile(r"This report has [\d,]+ rows: a PDF is made while you wait for at most 20\."))
    ).to_be_visible()
    rows = int(re.search(r"has ([\d,]+) rows", page.content())[1].replace(",", ""))

    follow(page, button(page, "Make the PDF in the background"))
    # No worker yet: the job waits, its bar empty.
    expect(page.get_by_text(re.compile(r"^State: waiting$"))).to_be_visible()
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "0")

    started = time.monotonic()
    start_worker()
    # The page follows the job by itself: the bar fills, then the page shows the file.
    download = page.get_by_role("link", name=re.compile(r"Download sales-list-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.pdf"))
    expect(download).to_be_visible(timeout=90_000)
    waited = time.monotonic() - started
    expect(page.get_by_text(re.compile(r"^State: done$"))).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_text(f"{rows:,} of {rows:,} rows")).to_be_visible()

    text = " ".join(pdf_text(page, url + download.get_attribute("href")).split())
    assert text.startswith("Axis Blue Sales: documents issued")
    assert len(TICKET_NUMBER.findall(text)) >= rows

    open_menu(page, "My jobs")
    row = page.get_by_role("row").filter(has_text="Sales: documents issued")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=re.compile(r"sales-list-.*\.pdf"))).to_be_visible()
    print(f"job of {rows:,} rows: done {waited:.1f} s after the worker was started")
