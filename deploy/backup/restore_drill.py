"""Restore drill (docs/deploy.md, "Backups"): dump a database, restore the dump into a fresh database, check it.

    .venv/bin/python deploy/backup/restore_drill.py [--source URL] [--restore-name NAME] [--jobs N] [--keep]

The source is --source or DATABASE_URL (a PostgreSQL URL); it is only read. The dump is made as
deploy/backup/dump.sh makes the nightly one (pg_dump --format=custom --compress=6, listed back with
pg_restore --list), restored as docs/deploy.md says (pg_restore --no-owner -j N) into a database created for
the drill (default <source>_drill_<UTC time>; refused if it exists), and checked against the source:

- the same tables, and in each the same number of rows with the same contents (a sum of a hash of every row);
- history intact: each historical table's rows, and its latest history row (highest history_id) the same;
- every sequence of the restore past its column's largest value (the next insert does not collide);
- `manage.py check_inventory` clean on the restore (seats sold equal the live tickets).

The source is read in the very snapshot pg_dump dumps (pg_export_snapshot, pg_dump --snapshot), so the drill
is exact on a database that is being written to. The restored database and the dump are removed at the end
unless --keep. Prints each step's seconds, the rows and the dump's size; exits 0 when everything matches, 1
naming every difference, 2 when a step itself failed (pg_dump, pg_restore, a connection).

pg_dump and pg_restore are found as bin/_lib.sh's pg_tool finds them: on PATH, else in the newest
/usr/lib/postgresql/<version>/bin.
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


class DrillFailed(Exception):
    """A step of the drill could not run (exit 2)."""


def pg_tool(name):
    """The path of PostgreSQL's program `name`, found by bin/_lib.sh's pg_tool."""
    found = subprocess.run(
        ["bash", "-c", 'source bin/_lib.sh && pg_tool "$1"', "pg_tool", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0 or not found.stdout.strip():
        raise DrillFailed(f"{name} is neither on PATH nor in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return found.stdout.strip()


def with_database(url, name):
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def database_name(url):
    return urlsplit(url).path.lstrip("/")


# What the drill compares, read inside one transaction (the source's: pg_dump's snapshot).

TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    ORDER BY 1, 2
"""
OWNED_SEQUENCES = """
    SELECT sn.nspname, s.relname, tn.nspname, t.relname, a.attname
    FROM pg_class s JOIN pg_namespace sn ON sn.oid = s.relnamespace
    JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE s.relkind = 'S' ORDER BY 1, 2
"""


def is_history(connection, schema, table):
    """A simple-history table: `historical` in its name and a history_id column."""
    if "historical" not in table:
        return False
    return bool(
        connection.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
            " AND column_name = 'history_id'",
            [schema, table],
        ).fetchone()
    )


def read_facts(connection):
    """{(schema, table): (rows, content hash, latest history row or None)} for every table."""
    facts = {}
    for schema, table in connection.execute(TABLES).fetchall():
        name = sql.Identifier(schema, table)
        rows, digest = connection.execute(
            sql.SQL("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) FROM {} t").format(name)
        ).fetchone()
        latest = None
        if is_history(connection, schema, table):
            row = connection.execute(
                sql.SQL("SELECT t::text FROM {} t ORDER BY history_id DESC LIMIT 1").format(name)
            ).fetchone()
            latest = row[0] if row else ""
        facts[(schema, table)] = (rows, digest, latest)
    return facts


def sequences_behind(connection):
    """Sequences whose next value is not past their column's largest value: the next insert would collide."""
    behind = []
    for seq_schema, seq, schema, table, column in connection.execute(OWNED_SEQUENCES).fetchall():
        last_value, is_called = connection.execute(
            sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(seq_schema, seq))
        ).fetchone()
        largest = connection.execute(
            sql.SQL("SELECT max({}) FROM {}").format(sql.Identifier(column), sql.Identifier(schema, table))
        ).fetchone()[0]
        next_value = last_value + 1 if is_called else last_value
        if largest is not None and next_value <= largest:
            behind.append(f"sequence {seq} would give {next_value}, but {table}.{column} already holds {largest}")
    return behind


def compare(source, restored):
    """Every difference between the source's facts and the restore's, in words ([] when they match)."""
    differences = []
    for key in sorted(source.keys() - restored.keys()):
        differences.append(f"table {'.'.join(key)} is missing from the restore ({source[key][0]} rows in the source)")
    for key in sorted(restored.keys() - source.keys()):
        differences.append(f"table {'.'.join(key)} is in the restore but not in the source")
    for key in sorted(source.keys() & restored.keys()):
        name = key[1] if key[0] == "public" else ".".join(key)
        (rows, digest, latest), (rows_r, digest_r, latest_r) = source[key], restored[key]
        if rows != rows_r:
            differences.append(f"table {name}: {rows} rows in the source, {rows_r} in the restore")
        elif digest != digest_r:
            differences.append(f"table {name}: the same {rows} rows in number, but their contents differ")
        if latest != latest_r:
            differences.append(
                f"history {name}: the latest history row differs:\n    source:  {latest}\n    restore: {latest_r}"
            )
    return differences


def check_inventory(url):
    """(clean, output) of `manage.py check_inventory` on the database at `url`."""
    env = {**os.environ, "DATABASE_URL": url}
    # check_inventory signs nothing; the settings only refuse to start without a key.
    env.setdefault("SECRET_KEY", "restore-drill-signs-nothing")
    result = subprocess.run(
        [sys.executable, "manage.py", "check_inventory"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def run(command, what):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise DrillFailed(f"{what} failed (exit {result.returncode}):\n{result.stderr.strip()}")
    return result


def size_text(size):
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} kB"


def drill(source_url, restore_name, *, jobs=2, keep=False, dump_dir=None, after_restore=None, say=print):
    """The drill; returns the exit status. `after_restore(restore_url)` runs between the restore and the checks
    (the test suite damages the restore with it and expects the drill to say so)."""
    pg_dump, pg_restore = pg_tool("pg_dump"), pg_tool("pg_restore")
    restore_url = with_database(source_url, restore_name)
    if restore_name == database_name(source_url):
        raise DrillFailed("The restore must go to another database than the source.")
    started = time.monotonic()
    seconds = {}
    with tempfile.TemporaryDirectory(prefix="restore-drill-", dir=dump_dir) as directory:
        dump = Path(directory) / f"{database_name(source_url)}.dump"
        if keep:
            dump = Path(dump_dir or ".").resolve() / f"{restore_name}.dump"
        with psycopg.connect(source_url) as source:
            source.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = source.execute("SELECT pg_export_snapshot()").fetchone()[0]
            say(f"Dumping {database_name(source_url)} with {pg_dump} (snapshot {snapshot})")
            begun = time.monotonic()
            run(
                [pg_dump, "--format=custom", "--compress=6", f"--snapshot={snapshot}", f"--file={dump}"]
                + [f"--dbname={source_url}"],
                "pg_dump",
            )
            run([pg_restore, "--list", str(dump)], "pg_restore --list (the dump does not read back)")
            seconds["dump"] = time.monotonic() - begun
            begun = time.monotonic()
            source_facts = read_facts(source)
            seconds["read source"] = time.monotonic() - begun
        dump_size = dump.stat().st_size

        with psycopg.connect(source_url, autocommit=True) as server:
            exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [restore_name]).fetchone()
            if exists:
                raise DrillFailed(f"Database {restore_name} exists: a drill restores into a fresh database.")
            server.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(restore_name)))
        try:
            say(f"Restoring into {restore_name} with {pg_restore} -j {jobs}")
            begun = time.monotonic()
            run(
                [pg_restore, "--no-owner", "--exit-on-error", f"--jobs={jobs}", f"--dbname={restore_url}", str(dump)],
                "pg_restore",
            )
            seconds["restore"] = time.monotonic() - begun
            if after_restore is not None:
                after_restore(restore_url)

            begun = time.monotonic()
            with psycopg.connect(restore_url) as restored:
                restored.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                restored_facts = read_facts(restored)
                behind = sequences_behind(restored)
            differences = compare(source_facts, restored_facts) + behind
            seconds["compare"] = time.monotonic() - begun
            begun = time.monotonic()
            clean, inventory = check_inventory(restore_url)
            seconds["check_inventory"] = time.monotonic() - begun
            if not clean:
                differences.append(f"check_inventory on the restore is not clean:\n    {inventory}")
        finally:
            if not keep:
                with psycopg.connect(source_url, autocommit=True) as server:
                    server.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(restore_name))
                    )

    tables = len(source_facts)
    rows = sum(facts[0] for facts in source_facts.values())
    history = {key: facts for key, facts in source_facts.items() if facts[2] is not None}
    history_rows = sum(facts[0] for facts in history.values())
    say(
        f"{tables} tables, {rows:,} rows ({len(history)} history tables, {history_rows:,} history rows); "
        f"dump {size_text(dump_size)}"
    )
    say("Seconds: " + ", ".join(f"{step} {value:.1f}" for step, value in seconds.items()))
    say(f"Total {time.monotonic() - started:.1f} s" + (f"; kept {restore_name} and {dump}" if keep else ""))
    if differences:
        source_name = database_name(source_url)
        say(f"RESTORE DRILL FAILED: {len(differences)} difference(s) between {source_name} and the restore")
        for difference in differences:
            say(f"  - {difference}")
        return 1
    say(
        "Restore drill passed: every table's rows and contents equal, every history table's latest row equal, "
        "sequences ahead of their columns, check_inventory clean."
    )
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=os.environ.get("DATABASE_URL", ""), help="the database (DATABASE_URL)")
    parser.add_argument("--restore-name", help="the fresh database to restore into (<source>_drill_<UTC time>)")
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore's parallel jobs (2)")
    parser.add_argument("--dump-dir", help="where the dump is written (a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the restored database and the dump")
    args = parser.parse_args(argv)
    if urlsplit(args.source).scheme not in {"postgres", "postgresql"} or not database_name(args.source):
        print("Give the database to drill: --source or DATABASE_URL, postgres://user@host:port/name", file=sys.stderr)
        return 2
    restore_name = args.restore_name or (
        f"{database_name(args.source)[:40]}_drill_{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    )
    try:
        return drill(args.source, restore_name, jobs=args.jobs, keep=args.keep, dump_dir=args.dump_dir)
    except (DrillFailed, psycopg.Error) as error:
        print(f"RESTORE DRILL FAILED: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
