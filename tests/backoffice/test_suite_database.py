"""The suite runs on the database settings production and bin/demo use, not on a gentler variant."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fleet.models import Airport

sqlite_run = pytest.mark.skipif(connection.vendor != "sqlite", reason="checks the SQLite run of the suite")
postgresql_run = pytest.mark.skipif(connection.vendor != "postgresql", reason="checks the PostgreSQL run of the suite")


@sqlite_run
# serialized_rollback puts back the rows that migrations wrote (roles, content types) for the tests after it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_sqlite_the_test_database_is_a_file_in_wal_with_immediate_transactions():
    name = str(connection.settings_dict["NAME"])
    assert name.endswith(".sqlite3") and not connection.is_in_memory_db(), name
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        Airport.objects.exists()
    assert queries[0]["sql"] == "BEGIN IMMEDIATE"


@postgresql_run
@pytest.mark.django_db
def test_on_postgresql_a_lock_wait_ends_after_five_seconds():
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "5s"
