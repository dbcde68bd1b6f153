"""Reads off the primary: reports, their files and the dashboards read from a streaming replica.

With `REPLICA_DATABASE_URL` set the settings add a database alias "replica" (a PostgreSQL hot standby
made with `pg_basebackup -R`). What reads for a report runs inside `for_reports()`, and the router sends
its reads there; everything else, every write, every read inside a transaction on the primary (a read
that a write depends on) and who may see what (users, their groups and rights, sessions) goes to the primary.
Without a replica, everything reads the primary.

A replica is behind the primary by its replay lag: each report says which moment its data is from
(`data_as_of`).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_for_reports = ContextVar("backoffice_reads_for_reports", default=False)


def configured():
    return REPLICA in settings.DATABASES and settings.REPLICA_READS


@contextmanager
def for_reports():
    """Reads in this block are for a report, a report's file or a dashboard: the replica may serve them."""
    token = _for_reports.set(True)
    try:
        yield
    finally:
        _for_reports.reset(token)


def streamed(chunks):
    """`chunks` (a generator a response streams after the view returned), read for a report too."""
    with for_reports():
        yield from chunks


def reports_alias():
    """The database a report's reads go to now."""
    if _for_reports.get() and configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return REPLICA
    return DEFAULT_DB_ALIAS


# Who may see what is always asked of the primary: a right taken away, an account switched off or a session
# ended applies at once, not when the replica has replayed it (the page's permission check, the export job's
# "may this person still have the file").
ON_THE_PRIMARY = frozenset({"auth", "sessions"})


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in ON_THE_PRIMARY:
            return DEFAULT_DB_ALIAS
        return reports_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the replica replays the primary's


def data_as_of():
    """When the data a report reads was last written: the replica's last replayed transaction.

    None when reports read the primary (its data is live), or when the replica has replayed nothing
    since it started (then it is as of its start, which `replica_started` gives)."""
    if not configured():
        return None
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_last_xact_replay_timestamp()")
        return cursor.fetchone()[0]
