"""Fault run (issue 11, "Faults"): PostgreSQL restarted while counter agents book over HTTP.

    .venv/bin/python bench/postgres_restart.py [--agents 8] [--seconds 60] [--restart-at 20] [--workers 3] [--keep]

Starts a throwaway PostgreSQL cluster (initdb and pg_ctl, found as bin/_lib.sh's find_pg_bin finds them, in a
temporary directory under /tmp on a free port; as the postgres user when run as root), never the server on
:5432. Migrates it, loads the demo's staff and two days of flights (`manage.py demo --days 2 --history-days 0`),
collects the static files and starts gunicorn with deploy/gunicorn.conf.py and the production settings on a
free loopback port. Then N agents (threads, one session each, as the demo's counter staff) log in and, until
the time is up, book one adult on one of six economy fare buckets (one nearly sold out) and pay for it: GET the
booking form, POST it, GET the payment form, POST it. In the middle the cluster is restarted
(`pg_ctl restart -m fast`); gunicorn is not.

Reports each request's outcome (ok, the "try again" answers, refusals such as a sold-out class, server errors,
no answer) before, during and after the restart window (a request that overlapped it is "during"), what the
agent read when it was not ok, the errors gunicorn logged, whether gunicorn's workers are the same processes
at the end, and the end state: `manage.py check_inventory`, no fare bucket or flight sold beyond its seats, no
booking without its tickets, every booking the agents were told about there and no other, a payment for each
payment they were told was taken and none for those they were told to try again.
Exits 1 when a request answered 500, when anything but ok or a refusal came outside the restart window, when
no booking was made and paid after it, or when the end state is wrong. About two minutes on 2 cores (half of
it the setup). Everything is removed at the end (--keep keeps the directory: logs and the cluster's data).
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.booking_form import one_adult_held  # noqa: E402

AGENTS = [("counter", "counter-demo-2026"), ("clara", "clara-demo-2026"), ("hugo", "hugo-demo-2026")] + [
    ("ines", "ines-demo-2026"),
    ("malik", "malik-demo-2026"),
]
TRY_AGAIN = "please try again"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pg_bin():
    found = subprocess.run(
        ["bash", "-c", "source bin/_lib.sh && find_pg_bin"], cwd=ROOT, capture_output=True, text=True
    )
    if found.returncode != 0:
        sys.exit("initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql/*/bin: apt-get install postgresql")
    return Path(found.stdout.strip())


class Cluster:
    """A throwaway PostgreSQL cluster on loopback; its programs run as postgres when we are root."""

    def __init__(self, directory, settings=()):
        self.bin = find_pg_bin()
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.settings = list(settings)  # more server settings ("wal_level=replica"), given at start
        self.as_owner = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres user (as bin/test does it).
            shutil.chown(directory, user="postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def program(self, name, *args):
        """Run one of PostgreSQL's programs (as the cluster's owner)."""
        return subprocess.run(self.as_owner + [str(self.bin / name), *args], capture_output=True, text=True, check=True)

    def pg_ctl(self, *args):
        return self.program("pg_ctl", "-D", str(self.data), *args)

    def serve(self):
        """Start the server on the cluster's data directory (made by initdb, or by pg_basebackup for a replica)."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off -c full_page_writes=off"
        options += "".join(f" -c {setting}" for setting in self.settings)
        self.pg_ctl("-l", str(self.directory / "postgresql.log"), "-w", "-t", "120", "-o", options, "start")

    def start(self):
        self.program("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.serve()
        url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(url, autocommit=True) as server:
            server.execute("CREATE DATABASE backoffice")
        return f"postgres://postgres@127.0.0.1:{self.port}/backoffice"

    def restart(self):
        # pg_ctl restart keeps the options the server was started with (postmaster.opts).
        self.pg_ctl("-l", str(self.directory / "postgresql.log"), "-w", "-t", "60", "-m", "fast", "restart")

    def stop(self):
        try:
            self.pg_ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass


class Agent(threading.Thread):
    """One counter agent's browser: logs in, then books and pays until the time is up."""

    def __init__(self, number, port, segments, started, deadline, record):
        super().__init__(daemon=True)
        self.number, self.port, self.segments = number, port, segments
        self.started, self.deadline, self.record = started, deadline, record
        self.username, self.password = AGENTS[number % len(AGENTS)]
        self.cookies = {}
        self.booked = []  # (booking id, seconds) the agent was told about
        self.payments = {}  # booking id: what the agent was told when it paid (ok, 503 try again, ...)
        self.random = random.Random(number)

    def request(self, step, method, path, form=None):
        """(response or None, outcome); every request is recorded with its start and end."""
        begun = time.monotonic() - self.started
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        response = None
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=40)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, value = header.split(";", 1)[0].split("=", 1)
                self.cookies[name.strip()] = value
            connection.close()
        except OSError as error:
            outcome, detail = "no answer", f"{type(error).__name__}: {error}"
        else:
            outcome, detail = classify(step, response)
        self.record(step, begun, time.monotonic() - self.started, outcome, detail)
        return response, outcome

    def token(self, response):
        found = TOKEN.search(response.text) if response is not None else None
        return found[1] if found else None

    def log_in(self):
        page, outcome = self.request("login page", "GET", "/admin/login/")
        if outcome != "ok" or not self.token(page):
            return False
        form = {"username": self.username, "password": self.password, "next": "/admin/"}
        _, outcome = self.request("log in", "POST", "/admin/login/", {**form, "csrfmiddlewaretoken": self.token(page)})
        return outcome == "ok"

    def book_and_pay(self):
        flight_id, fare_class = self.random.choice(self.segments)
        sale = one_adult_held([f"{flight_id}:{fare_class}"], self.random)
        new = "/admin/sales/booking/new/"
        page, outcome = self.request("booking form", "GET", f"{new}?{sale.query}")
        if outcome == "logged out":
            return self.log_in()
        if outcome != "ok" or not self.token(page):
            return False
        booked, outcome = self.request("book", "POST", new, {**sale.data, "csrfmiddlewaretoken": self.token(page)})
        if outcome != "ok":
            return False
        booking_id = re.search(r"/booking/(\d+)/change/", booked.getheader("Location"))[1]
        self.booked.append((int(booking_id), time.monotonic() - self.started))
        pay = f"/admin/sales/booking/{booking_id}/pay/"
        page, outcome = self.request("payment form", "GET", pay)
        amount = re.search(r'name="amount" value="([0-9.]+)"', page.text) if outcome == "ok" else None
        if amount is None or not self.token(page):
            return False
        form = {"amount": amount[1], "method": "cash", "reference": "", "csrfmiddlewaretoken": self.token(page)}
        _, self.payments[int(booking_id)] = self.request("pay", "POST", pay, form)
        return True

    def run(self):
        while time.monotonic() < self.deadline and not self.log_in():
            time.sleep(0.5)
        while time.monotonic() < self.deadline:
            if not self.book_and_pay():
                time.sleep(0.2)  # as a person would read the page before trying again


def said(words):
    """The sentence before "...please try again..." and that one: what the agent read."""
    sentence = re.search(r"(?:The|Another) [^.]*\. Nothing was saved; please try again[^.]*\.", words) or re.search(
        r"[^.]*[Pp]lease try again[^.]*\.", words
    )
    return sentence[0].strip() if sentence else words[:200]


def classify(step, response):
    """(outcome, what the agent read) of one answer."""
    status, text = response.status, response.text
    location = response.getheader("Location") or ""
    words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    if status == 500:
        return "500 server error", words[:200]
    if status == 503 and TRY_AGAIN in text.lower():
        return "503 try again", said(words)
    if status >= 500:
        return f"{status}", words[:200]
    if status == 302 and "/login/" in location and step not in ("log in",):
        return "logged out", location
    expected = {"log in": 302, "book": 302, "pay": 302}.get(step, 200)
    if status == expected:
        if step == "log in" and "/login/" in location:
            return "refused", "the log-in was refused"
        return "ok", ""
    if status == 200 and TRY_AGAIN in text.lower():
        return "200 try again", said(words)
    if status == 200 and step in ("book", "pay", "log in"):
        refusal = re.search(r"(sold out|no seats|not enough seats|closed)[^.]*", words, re.I)
        return "refused", refusal[0] if refusal else words[:200]
    return f"{status} unexpected", words[:200]


def gunicorn_workers(pid):
    """The worker processes' ids under gunicorn's master (a worker that died or was killed is replaced)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return sorted(int(child) for child in children.read_text().split()) if children.exists() else []


def manage(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check
    )


def end_state(url, paid_told):
    """Facts read from the database at the end; `paid_told`: {booking id: what its agent was told about paying}."""
    with psycopg.connect(url) as db:
        one = lambda query: db.execute(query).fetchone()[0]  # noqa: E731
        payments = dict(
            db.execute(
                "SELECT booking_id, count(*) FROM sales_payment WHERE booking_id = ANY(%s) GROUP BY booking_id",
                [list(paid_told)],
            ).fetchall()
        )
        told_ok = [b for b, outcome in paid_told.items() if outcome == "ok"]
        told_not = [b for b, outcome in paid_told.items() if outcome != "ok"]
        return {
            "paid as told (one payment)": sum(1 for b in told_ok if payments.get(b) == 1),
            "paid but no payment": sum(1 for b in told_ok if payments.get(b) != 1),
            "payment refused and none written": sum(1 for b in told_not if not payments.get(b)),
            "payment refused but written": sum(1 for b in told_not if payments.get(b)),
            "bookings": one("SELECT count(*) FROM sales_booking"),
            "tickets": one("SELECT count(*) FROM sales_ticket"),
            "payments": one("SELECT count(*) FROM sales_payment"),
            "buckets oversold": one("SELECT count(*) FROM sales_farebucket WHERE seats_sold > seats_allocated"),
            "flights oversold": one("SELECT count(*) FROM fleet_flight WHERE seats_sold > capacity"),
            "bookings without tickets": one(
                "SELECT count(*) FROM sales_booking b"
                " WHERE NOT EXISTS (SELECT 1 FROM sales_ticket t WHERE t.booking_id = b.id)"
            ),
            "booking ids": {row[0] for row in db.execute("SELECT id FROM sales_booking")},
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60, help="how long the agents book (60)")
    parser.add_argument("--restart-at", type=float, default=20, help="seconds into the run (20)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3)")
    parser.add_argument("--keep", action="store_true", help="keep the directory: logs and the cluster's data")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="backoffice-pg-restart-", dir="/tmp"))
    cluster = Cluster(directory)
    app = None
    began = time.monotonic()
    try:
        url = cluster.start()
        print(f"throwaway cluster {cluster.bin} on 127.0.0.1:{cluster.port} in {directory}")
        env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SENTRY_DSN", "STATEMENT_TIMEOUT_SECONDS")}
        app_port = free_port()
        env.update(
            DATABASE_URL=url,
            SECRET_KEY=secrets.token_urlsafe(50),
            BACKOFFICE_VAR_DIR=str(directory / "var"),
            BACKOFFICE_DEMO="1",
            HTTPS="0",
            ALLOWED_HOSTS="127.0.0.1",
            LOG_FORMAT="json",
            WEB_CONCURRENCY=str(args.workers),
            GUNICORN_BIND=f"127.0.0.1:{app_port}",
        )
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        loaded = manage(env, "demo", "--days", "2", "--history-days", "0").stdout.splitlines()[0]
        with psycopg.connect(url) as db:
            # Five economy buckets with the most seats left, and the one with the fewest: it sells out during
            # the run, and nothing may be sold beyond it.
            buckets = """SELECT b.flight_id, c.code FROM sales_farebucket b
                JOIN sales_fareclass c ON c.id = b.fare_class_id JOIN fleet_flight f ON f.id = b.flight_id
                WHERE f.flight_date = CURRENT_DATE + 1 AND f.status = 'scheduled' AND c.cabin = 'Y'
                AND b.seats_sold < b.seats_allocated ORDER BY b.seats_allocated - b.seats_sold {}, b.id LIMIT {}"""
            segments = db.execute(buckets.format("DESC", 5)).fetchall() + db.execute(buckets.format("", 1)).fetchall()
            bookings_before = db.execute("SELECT count(*) FROM sales_booking").fetchone()[0]
        print(f"set up in {time.monotonic() - began:.0f} s: {loaded}; agents book on {len(segments)} fare buckets")

        app_log = directory / "gunicorn.log"
        with app_log.open("w") as log:
            app = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "backoffice.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", app_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        print(f"gunicorn pid {app.pid}, {args.workers} workers on 127.0.0.1:{app_port}")

        records, lock = [], threading.Lock()

        def record(*row):
            with lock:
                records.append(row)

        # Each demo login once first: the demo's password hashes are upgraded at the first log-in, which ends the
        # sessions that user already had (a demo artefact that would read as "logged out" during the run).
        for username, password in AGENTS:
            warm = Agent(0, app_port, segments, time.monotonic(), 0, lambda *row: None)
            warm.username, warm.password = username, password
            if not warm.log_in():
                sys.exit(f"{username} could not log in: see {app_log}")

        for _ in range(100):
            workers_before = gunicorn_workers(app.pid)
            if len(workers_before) == args.workers:
                break
            time.sleep(0.2)

        started = time.monotonic()
        agents = [Agent(n, app_port, segments, started, started + args.seconds, record) for n in range(args.agents)]
        for agent in agents:
            agent.start()
        time.sleep(args.restart_at)
        window_start = time.monotonic() - started
        cluster.restart()
        window_end = time.monotonic() - started
        print(f"restarted PostgreSQL (pg_ctl restart -m fast) from {window_start:.1f} s to {window_end:.1f} s")
        load_at_restart = os.getloadavg()
        for agent in agents:
            agent.join(args.seconds + 60)
        gunicorn_alive = app.poll() is None
        workers_after = gunicorn_workers(app.pid)
        app.terminate()
        app.wait(timeout=40)
        load = os.getloadavg()

        # Outcomes by phase: a request that overlapped the restart window is "during".
        phases = defaultdict(Counter)
        read = Counter()
        for step, begun, ended, outcome, detail in records:
            phase = "before" if ended < window_start else "after" if begun > window_end else "during"
            phases[phase][outcome] += 1
            if outcome not in ("ok",):
                read[(phase, step, outcome, detail[:160])] += 1
        booked = [(booking, at) for agent in agents for booking, at in agent.booked]
        booked_after = sum(1 for _, at in booked if at > window_end)
        paid = Counter(
            phase
            for step, begun, ended, outcome, _ in records
            if step == "pay" and outcome == "ok"
            for phase in ["before" if ended < window_start else "after" if begun > window_end else "during"]
        )
        failed_at = [begun for _, begun, _, outcome, _ in records if outcome not in ("ok", "refused")]
        errors = Counter()
        for line in app_log.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("exc"):
                    raised = re.findall(r"^[\w.]+(?:Error|Exception): .*$", entry["exc"], re.MULTILINE)
                    last = re.sub(r'"127.0.0.1", port \d+', "(the cluster)", raised[-1] if raised else "?")
                    errors[(entry["logger"], entry["level"], f"{entry['message'][:40]} {last[:150]}")] += 1
                elif entry.get("level") in ("ERROR", "CRITICAL") or entry.get("logger") == "backoffice.db_faults":
                    message = re.sub(r'"127.0.0.1", port \d+', "(the cluster)", entry["message"].splitlines()[0])
                    errors[(entry["logger"], entry["level"], message[:180])] += 1
            elif "Traceback" in line or "ERROR" in line or "CRITICAL" in line:
                errors[("gunicorn", "", line[:180])] += 1

        inventory = manage(env, "check_inventory", check=False)
        state = end_state(url, {b: o for agent in agents for b, o in agent.payments.items()})

        print(
            f"\n{args.agents} agents, {args.seconds:.0f} s, {len(records)} requests; gunicorn {args.workers} workers;"
            f" load average at the restart {load_at_restart[0]:.2f} {load_at_restart[1]:.2f}, at the end"
            f" {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
        )
        for phase in ("before", "during", "after"):
            counts = ", ".join(f"{outcome} {count}" for outcome, count in phases[phase].most_common())
            print(f"  {phase:6} the restart: {counts or 'none'}")
        if failed_at:
            print(
                f"answers other than ok or a refusal: requests begun from {min(failed_at):.1f} s to"
                f" {max(failed_at):.1f} s (the restart: {window_start:.1f} s to {window_end:.1f} s)"
            )
        print(
            f"gunicorn: master {'still running' if gunicorn_alive else 'STOPPED'}, workers before {workers_before}"
            f" and after {workers_after} ({'the same' if workers_before == workers_after else 'REPLACED'})"
        )
        print(
            f"bookings the agents were told about: {len(booked)} ({booked_after} after the restart), made in the"
            f" database during the run: {state['bookings'] - bookings_before};"
            f" paid: {sum(paid.values())} ({paid['after']} after)"
        )
        if read:
            print("what the agents read when it was not ok:")
            for (phase, step, outcome, detail), count in read.most_common(12):
                print(f"  {count:4} x {phase} {step}: {outcome}: {detail}")
        if errors:
            print("gunicorn's log (errors and database trouble):")
            for (logger, level, message), count in errors.most_common(10):
                print(f"  {count:4} x {logger} {level} {message}")
        print(f"check_inventory: {(inventory.stdout + inventory.stderr).strip()}")
        print("end state: " + ", ".join(f"{key} {value}" for key, value in state.items() if key != "booking ids"))

        failures = []
        server_errors = sum(count for phase in phases.values() for o, count in phase.items() if o.startswith("5"))
        if any(o == "500 server error" for phase in phases.values() for o in phase):
            failures.append("a request answered 500 (a server error page) instead of the try-again page")
        for phase in ("before", "after"):
            bad = {o: c for o, c in phases[phase].items() if o not in ("ok", "refused")}
            if bad:
                failures.append(f"{phase} the restart: {bad}")
        if booked_after == 0 or paid["after"] == 0:
            failures.append("no booking was made and paid after the restart: no recovery")
        if not gunicorn_alive or workers_before != workers_after:
            failures.append("gunicorn or one of its workers stopped or was replaced during the run")
        if inventory.returncode != 0:
            failures.append("check_inventory is not clean")
        for key in (
            "buckets oversold",
            "flights oversold",
            "bookings without tickets",
            "paid but no payment",
            "payment refused but written",
        ):
            if state[key]:
                failures.append(f"{key}: {state[key]}")
        missing = {booking for booking, _ in booked} - state["booking ids"]
        if missing:
            failures.append(f"{len(missing)} bookings the agents were told about are not in the database")
        made = state["bookings"] - bookings_before
        if made != len(booked):
            failures.append(f"{made} bookings were made, the agents were told about {len(booked)}")
        print(
            f"5xx answers {server_errors}"
            f" ({sum(phase['500 server error'] for phase in phases.values())} of them 500), all during the restart: "
            f"{all(not o.startswith('5') for p in ('before', 'after') for o in phases[p])}; "
            f"total {time.monotonic() - began:.0f} s"
        )
        if failures:
            print("FAILED:\n  " + "\n  ".join(failures))
            return 1
        print("passed: errors only during the restart, recovery without restarting gunicorn, inventory clean")
        return 0
    finally:
        if app is not None and app.poll() is None:
            app.terminate()
            app.wait(timeout=40)
        cluster.stop()
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
