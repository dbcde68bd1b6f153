"""The embedded default: SQLite set up so that concurrent requests stay correct."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as c:
    c.execute("PRAGMA journal_mode"); journal = c.fetchone()[0]
    c.execute("PRAGMA busy_timeout"); busy = c.fetchone()[0]
    c.execute("PRAGMA foreign_keys"); fks = c.fetchone()[0]
print(json.dumps({
    "vendor": connection.vendor,
    "journal": journal,
    "busy": busy,
    "fks": fks,
    "mode": settings.DATABASES["default"]["OPTIONS"]["transaction_mode"],
    "debug": settings.DEBUG,
    "airline": settings.AIRLINE_CODE,
}))
"""


def run_settings(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REPLICA_DATABASE_URL", "DEBUG"}}
    base.update(DJANGO_SETTINGS_MODULE="backoffice.settings", BACKOFFICE_VAR_DIR=str(tmp_path), SECRET_KEY="x")
    base.update(env)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)


def test_without_database_url_it_runs_on_sqlite_in_wal_with_immediate_transactions(tmp_path):
    result = run_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts == {
        "vendor": "sqlite",
        "journal": "wal",
        "busy": 20000,
        "fks": 1,
        "mode": "IMMEDIATE",
        "debug": False,
        "airline": "XB",
    }
    assert (tmp_path / "backoffice.sqlite3").exists()


def test_debug_is_off_and_a_secret_key_is_required_unless_asked(tmp_path):
    result = run_settings(tmp_path, SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_airline_setting_names_itself(tmp_path):
    result = run_settings(tmp_path, TICKET_ACCOUNTING_CODE="12")
    assert "TICKET_ACCOUNTING_CODE must be three digits" in result.stderr


def run_manage(tmp_path, *args, **env):
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "BACKOFFICE_VAR_DIR": str(tmp_path)}
    base.update(env)
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=base, capture_output=True, text=True, timeout=120)


def test_manage_py_works_on_a_fresh_checkout_with_nothing_exported(tmp_path):
    # A fresh clone: no SECRET_KEY, no DATABASE_URL, no var/ yet. manage.py makes the checkout's own key.
    result = run_manage(tmp_path / "var", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    key = tmp_path / "var" / "secret_key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    first_key = key.read_text()
    assert len(first_key.strip()) >= 50
    again = run_manage(tmp_path / "var", "check")
    assert again.returncode == 0, again.stderr
    assert key.read_text() == first_key, "the checkout's key is made once and kept"


def test_a_deployment_on_postgresql_without_a_secret_key_is_told_so(tmp_path):
    result = run_manage(tmp_path, "check", DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "Models aren't loaded yet" not in result.stderr
    assert not (tmp_path / "secret_key").exists()
