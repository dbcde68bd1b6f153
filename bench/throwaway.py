"""A throwaway PostgreSQL database for a benchmark, on the server that DATABASE_URL names.

DATABASE_URL only tells which server to use: the benchmark creates its own database
there (always named `bench_...`), points DATABASE_URL at it before Django starts, and
never reads or writes the database DATABASE_URL named.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL_VARIABLE = "BENCH_SERVER_DATABASE_URL"


def _server_url():
    url = os.environ.get(SERVER_URL_VARIABLE) or os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    return url


def recreate_database(name):
    """Drop and create database `name`, point DATABASE_URL at it, and return its URL."""
    if not name.startswith("bench_"):
        raise ValueError(f"A benchmark database is named bench_..., not {name!r}.")
    server_url = _server_url()
    parts = urlsplit(server_url)
    if parts.path.lstrip("/") == name:
        sys.exit(f"DATABASE_URL must name another database than {name}: it is only used to create and drop {name}.")
    with psycopg.connect(server_url, autocommit=True) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    bench_url = urlunsplit(parts._replace(path="/" + name))
    # Worker processes inherit the environment: they find both URLs there.
    os.environ[SERVER_URL_VARIABLE] = server_url
    os.environ["DATABASE_URL"] = bench_url
    return bench_url


def use_existing_database(name):
    """Point DATABASE_URL at database `name`, kept from an earlier run with --keep; returns its URL."""
    if not name.startswith("bench_"):
        raise ValueError(f"A benchmark database is named bench_..., not {name!r}.")
    server_url = _server_url()
    bench_url = urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    try:
        psycopg.connect(bench_url).close()
    except psycopg.OperationalError:
        sys.exit(f"There is no database {name} to reuse: run once without --reuse (and with --keep).")
    os.environ[SERVER_URL_VARIABLE] = server_url
    os.environ["DATABASE_URL"] = bench_url
    return bench_url


def drop_database(name):
    if not name.startswith("bench_"):
        raise ValueError(f"A benchmark database is named bench_..., not {name!r}.")
    with psycopg.connect(_server_url(), autocommit=True) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def setup_django():
    """Start Django on whatever DATABASE_URL says (call recreate_database first in the main process)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    # Keep the figures readable: libraries log at INFO.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Benchmarks drive pages through Django's test client over plain HTTP, as bin/demo serves them.
    os.environ.setdefault("HTTPS", "0")
    import django

    django.setup()
