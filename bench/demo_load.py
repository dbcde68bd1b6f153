"""How long a fresh `bin/demo` takes to load its data on the embedded SQLite default.

Run from the project root:

    .venv/bin/python bench/demo_load.py [--runs N]

Each run makes a temporary BACKOFFICE_VAR_DIR (no DATABASE_URL: SQLite, as bin/demo without one),
runs `manage.py migrate` then `manage.py demo` there as bin/demo does, and prints each step's
wall-clock seconds and CPU seconds (user + system of the child), the demo's own count line and the
machine's load average before and after. The target (issue 9): the whole load under 60 s.

Both steps run on one core, so on an idle machine the wall clock is the CPU time; on a machine shared
with other work the wall clock stretches with the load while the CPU seconds barely move: read both,
with the load average.
"""

import argparse
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 60


def load_average():
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def step(args, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    for run in range(1, options.runs + 1):
        with tempfile.TemporaryDirectory(prefix="demo-load-") as var_dir:
            env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DEBUG")}
            env.update(BACKOFFICE_VAR_DIR=var_dir, BACKOFFICE_DEMO="1", SECRET_KEY=secrets.token_urlsafe(50))
            print(f"run {run}: {load_average()}")
            migrate_wall, migrate_cpu, _ = step(["migrate", "--noinput", "-v", "0"], env)
            demo_wall, demo_cpu, out = step(["demo"], env)
            print(f"  migrate  {migrate_wall:6.1f} s wall  {migrate_cpu:6.1f} s CPU")
            print(f"  demo     {demo_wall:6.1f} s wall  {demo_cpu:6.1f} s CPU")
            print(f"  both     {migrate_wall + demo_wall:6.1f} s wall  {migrate_cpu + demo_cpu:6.1f} s CPU")
            print("  " + out.splitlines()[0])
            print(f"  after: {load_average()}")
            for what, seconds in (("wall clock", migrate_wall + demo_wall), ("CPU", migrate_cpu + demo_cpu)):
                verdict = "under" if seconds < TARGET else "OVER"
                print(f"  the whole load, migrate included: {verdict} the {TARGET} s target in {what}")


if __name__ == "__main__":
    main()
