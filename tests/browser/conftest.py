"""Browser journeys: Debian's Chromium, driven by Playwright, against a live server on the embedded default.

The session starts the back office the way bin/demo does: a fresh SQLite database in a temporary
BACKOFFICE_VAR_DIR, migrate, collectstatic, the demo data, then gunicorn on a free port. Every test
logs in through the login page as a person would and asserts what that person sees.

Playwright never downloads a browser here: it launches the Chromium that BROWSER_EXECUTABLE names,
else the first of chromium, chromium-browser, google-chrome on PATH (bin/test's ensure_browser finds
or installs it). A failing test leaves a screenshot and the HTML of each open page, with the
server's log, in test-artifacts/browser/.
"""

import datetime as dt
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from slugify import slugify

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DEMO_DAYS = 2
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = "sudo apt-get install chromium, or set BROWSER_EXECUTABLE to a Chromium or Chrome binary"

# Two cores shared with other work: allow a slow page rather than fail on a busy machine.
expect.set_options(timeout=15_000)


def chromium_executable():
    named = os.environ.get("BROWSER_EXECUTABLE")
    if named:
        if not os.access(named, os.X_OK):
            pytest.fail(f"BROWSER_EXECUTABLE={named} is not an executable file ({INSTALL_HINT}).", pytrace=False)
        return named
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"No Chromium found for the browser tests: {INSTALL_HINT}.", pytrace=False)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(args, env, log):
    """Run a management command like bin/demo does; its output goes to the server log."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


# Seconds each step of the server's start took, for the summary line.
TIMINGS = {}
# The business day the demo data starts on, and the server's BACKOFFICE_VAR_DIR (its SQLite database).
DEMO = {}
# What went wrong on a test's pages besides what the test checks.
PROBLEMS = pytest.StashKey[list]()


def _finish(process, what, log_path, started):
    returncode = process.wait()
    TIMINGS[what] = time.monotonic() - started
    if returncode != 0:
        pytest.fail(f"{what} failed; see {log_path}:\n{log_path.read_text()[-3000:]}", pytrace=False)


def _wait_until_serving(url, server, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn stopped; see {log_path}:\n{log_path.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url + "/admin/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"The server did not answer within {timeout} s; see {log_path}.", pytrace=False)


@pytest.fixture(scope="session")
def server_log(tmp_path_factory):
    return tmp_path_factory.mktemp("backoffice-server") / "server.log"


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory, server_log):
    """The back office with demo data on the embedded SQLite default, served by gunicorn."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    var_dir = tmp_path_factory.mktemp("backoffice-var")
    DEMO["var_dir"] = var_dir
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REPLICA_DATABASE_URL", "DEBUG")
    }
    env.update(
        BACKOFFICE_VAR_DIR=str(var_dir),
        SECRET_KEY=secrets.token_urlsafe(50),
        BACKOFFICE_DEMO="1",
        ALLOWED_HOSTS="127.0.0.1",
    )
    started = time.monotonic()
    with server_log.open("w") as log:
        # collectstatic touches no database: it runs while the database is made.
        static = _manage(["collectstatic", "--noinput", "-v", "0"], env, log)
        _finish(_manage(["migrate", "--noinput", "-v", "0"], env, log), "migrate", server_log, started)
        step = time.monotonic()
        DEMO["first_day"] = timezone.localdate()  # the server reads the same settings
        _finish(_manage(["demo", "--days", str(DEMO_DAYS)], env, log), "demo", server_log, step)
        _finish(static, "collectstatic", server_log, started)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with server_log.open("a") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "backoffice.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "2", "--timeout", "120", "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(url, server, server_log)
        TIMINGS["server ready"] = time.monotonic() - started
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def demo_tomorrow(live_server_url):
    """The demo's second day: all its flights are on sale while the tests run, even if midnight passes meanwhile."""
    return DEMO["first_day"] + dt.timedelta(days=1)


@pytest.fixture
def new_context(new_context, request):
    """Every page of every browser context is watched: an HTTP 500 or a script error fails the test
    even when the page shown looked fine (see pytest_runtest_makereport)."""
    problems = request.node.stash.setdefault(PROBLEMS, [])

    def watch(page):
        def on_response(response):
            if response.status >= 500:
                problems.append(f"HTTP {response.status} {response.request.method} {response.url}")

        def on_console(message):
            if message.type == "error":
                problems.append(f"console error on {page.url}: {message.text}")

        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))

    def make_context(**kwargs):
        context = new_context(**kwargs)
        context.on("page", watch)
        return context

    return make_context


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_executable()}


@pytest.fixture(scope="session")
def base_url(live_server_url):
    """Pages are opened by path: page.goto("/admin/")."""
    return live_server_url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 1440, "height": 1000},
        "locale": "en-GB",
    }


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        steps = ", ".join(f"{what} {seconds:.0f} s" for what, seconds in TIMINGS.items())
        terminalreporter.write_line(f"browser tests: live server {steps} (collectstatic alongside migrate and demo)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    problems = item.stash.get(PROBLEMS, [])
    if report.when == "call" and report.passed and problems:
        report.outcome = "failed"
        report.longrepr = "The pages looked right, but the browser saw errors:\n" + "\n".join(problems)
    if report.when == "call" and report.failed:
        saved = _save_artifacts(item)
        if saved:
            report.sections.append(("browser artefacts", "\n".join(str(path) for path in saved)))
    return report


def _save_artifacts(item):
    """A screenshot and the HTML of every page the test left open, and the server's log so far."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = slugify(item.nodeid.removeprefix("tests/browser/"))[:120]
    saved = []
    browser = item.funcargs.get("browser")
    pages = [page for context in (browser.contexts if browser else []) for page in context.pages]
    for index, page in enumerate(pages, start=1):
        name = stem if len(pages) == 1 else f"{stem}-{index}"
        try:
            page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
            saved.append(ARTIFACTS / f"{name}.png")
            (ARTIFACTS / f"{name}.html").write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
            saved.append(ARTIFACTS / f"{name}.html")
        except Exception as error:  # a crashed page must not hide the test's own failure
            (ARTIFACTS / f"{name}.error.txt").write_text(f"{page.url}\n{error!r}\n", encoding="utf-8")
    log = item.funcargs.get("server_log")
    if log is not None and log.exists():
        shutil.copyfile(log, ARTIFACTS / "server.log")
        saved.append(ARTIFACTS / "server.log")
    return saved
