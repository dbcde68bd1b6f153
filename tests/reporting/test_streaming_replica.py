"""Once for real: a report run against a PostgreSQL streaming replica (issue 12).

bench/replica.py makes a throwaway primary cluster and its replica (`pg_basebackup -R -X stream`) on two free
loopback ports, and checks, as Finance through Django's test client: the report's queries on the tickets go to
the replica; with replay paused a new sale is not in the report and its "data as of" stays; after replay every
sale is there and "data as of" is the replica's last replayed transaction; a sale made while reports read the
replica is written on the primary; an export job reads the replica. About 35 s here (most of it migrating).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.postgres_only("a streaming replica (pg_basebackup, hot standby) is PostgreSQL's own")


def programs_missing():
    """Why a throwaway cluster and its replica cannot be made here, or None."""
    found = subprocess.run(
        ["bash", "-c", "source bin/_lib.sh && find_pg_bin && pg_tool pg_basebackup"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        return "initdb, pg_ctl and pg_basebackup are needed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "as root, the clusters run as the postgres user through runuser"
    return None


def test_a_report_reads_a_streaming_replica_and_writes_go_to_the_primary():
    missing = programs_missing()
    if missing:
        pytest.skip(missing)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REPLICA_DATABASE_URL", "REPLICA_READS")}
    run = subprocess.run(
        [sys.executable, "bench/replica.py", "--writes", "3", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    figures = json.loads(run.stdout.strip().splitlines()[-2])
    assert figures["failed"] == [], said
    # What the checks read, as a person running the bench would see it.
    # (How many tickets the demo issued today depends on the hour it runs: the counts are read, not assumed.)
    paused = re.search(r"ok     the report shows (\d+) tickets, the primary has (\d+): it reads the replica", said)
    assert paused and int(paused[2]) == int(paused[1]) + 1, said
    assert "ok     the heading says data as of the replica's last replayed transaction" in said
    after = re.search(r"ok     the report shows (\d+) tickets: every sale \((\d+) \+ 1 \+ 3\)", said)
    assert after and int(after[1]) == int(after[2]) + 4 and int(after[2]) == int(paused[1]), said
    assert "ok     its job row:" in said and "on the primary, 0 on the replica" in said
