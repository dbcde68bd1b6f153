"""The same seat race on the embedded SQLite default (no DATABASE_URL)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_seat_race_holds_on_the_embedded_sqlite_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REPLICA_DATABASE_URL", "DEBUG"}}
    env.update(BACKOFFICE_VAR_DIR=str(tmp_path), SECRET_KEY="x", DJANGO_SETTINGS_MODULE="backoffice.settings")
    result = subprocess.run(
        [sys.executable, "-m", "tests.sales.sqlite_race", "12", "5"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"won": 5, "errors": ["SoldOut"], "seats_sold": 5, "live_tickets": 5}
