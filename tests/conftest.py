from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE

# The `worker` fixture: a real Celery worker through Redis, for the tests that need one.
pytest_plugins = ["tests.celery_worker"]


def on_postgresql():
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "postgres_only(reason): needs PostgreSQL itself (row locks across connections, COPY, sequences, "
        "lock_timeout); skipped on SQLite with the reason given",
    )
    if not on_postgresql():
        # The embedded default: a test database file (not :memory:) so WAL and BEGIN IMMEDIATE
        # apply exactly as under bin/demo. Django has already filled TEST with NAME=None (which
        # means :memory:), so set it unless a name was given.
        test = settings.DATABASES["default"].setdefault("TEST", {})
        if not test.get("NAME"):
            test["NAME"] = str(settings.VAR_DIR / "test-backoffice.sqlite3")


BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_ignore_collect(collection_path, config):
    """The browser journeys run only when named (pytest tests/browser): they start their own server and Chromium."""
    if collection_path != BROWSER_TESTS:
        return None
    invoked_from = config.invocation_params.dir
    for arg in config.args:
        asked = (invoked_from / arg.split("::")[0]).resolve()
        if asked == BROWSER_TESTS or BROWSER_TESTS in asked.parents:
            return None
    return True


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("postgres_only")
        if marker is None:
            continue
        if len(marker.args) != 1 or not isinstance(marker.args[0], str):
            raise pytest.UsageError(f'{item.nodeid}: say why it needs PostgreSQL: @pytest.mark.postgres_only("COPY")')
        if not on_postgresql():
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {marker.args[0]}"))


def _staff_user(username, role):
    user = User.objects.create_user(username=username, password="pw-for-tests-only", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def admin_role_user(db):
    return _staff_user("ada", ADMIN)


@pytest.fixture
def counter_user(db):
    return _staff_user("carl", COUNTER_STAFF)


@pytest.fixture
def finance_user(db):
    return _staff_user("fay", FINANCE)


@pytest.fixture
def role_users(admin_role_user, counter_user, finance_user):
    return {ADMIN: admin_role_user, COUNTER_STAFF: counter_user, FINANCE: finance_user}


@pytest.fixture
def admin_client_for(client):
    """A test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def test_settings(settings, tmp_path_factory):
    # Each test's uploads wait in a directory of its own.
    settings.UPLOAD_DIR = str(tmp_path_factory.mktemp("uploads") / "waiting")
    # And their jobs' files (backoffice/jobs.py) a directory of their own.
    settings.JOB_FILES_DIR = str(tmp_path_factory.mktemp("job-files"))
    # A deliberately slow password hash is a production safeguard, not something to test 100 times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production serves hashed names from a collectstatic manifest; tests don't run collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "jobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": settings.JOB_FILES_DIR},
        },
    }
