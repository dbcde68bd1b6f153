"""The restore drill (deploy/backup/restore_drill.py, docs/deploy.md "Backups") on a small database: it passes on
a faithful restore, and fails, naming what differs, when the restore is damaged before it is checked."""

import importlib.util
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from sales import services
from tests.factories import FareBucketFactory, FlightFactory
from tests.sales.conftest import CONTACT, adults

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only("pg_dump and pg_restore of a PostgreSQL database"),
]


def load_drill():
    spec = importlib.util.spec_from_file_location("restore_drill", ROOT / "deploy" / "backup" / "restore_drill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def small_database(counter_user):
    """Two flights, three bookings (with their tickets, payments and history rows), committed; its URL."""
    for seats in (1, 2, 3):
        bucket = FareBucketFactory(flight=FlightFactory())
        services.book(
            segments=[services.SegmentRequest(bucket.flight_id, bucket.fare_class.code)],
            passengers=adults(seats),
            agent=counter_user,
            **CONTACT,
        )
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    port = settings["PORT"] or 5432
    return f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:{port}/{settings['NAME']}"


def run_drill(source_url, *, after_restore=None):
    drill = load_drill()
    lines = []
    restore_name = f"{source_url.rsplit('/', 1)[1]}_drill"
    status = drill.drill(source_url, restore_name, jobs=1, after_restore=after_restore, say=lines.append)
    with psycopg.connect(source_url) as source:
        left = source.execute("SELECT 1 FROM pg_database WHERE datname = %s", [restore_name]).fetchone()
    assert left is None, "the drill left its restored database behind"
    return status, "\n".join(lines)


def test_the_drill_passes_on_a_faithful_restore(small_database):
    status, report = run_drill(small_database)

    assert status == 0, report
    assert "Restore drill passed" in report
    assert "check_inventory clean" in report
    assert "history tables" in report and "dump " in report


def delete_a_ticket(restore_url):
    with psycopg.connect(restore_url) as restored:
        # A damaged restore: the row is gone whatever points at it.
        restored.execute("SET session_replication_role = replica")
        restored.execute("DELETE FROM sales_ticket WHERE id = (SELECT max(id) FROM sales_ticket)")


def change_the_latest_booking_history(restore_url):
    with psycopg.connect(restore_url) as restored:
        restored.execute(
            "UPDATE sales_historicalbooking SET contact_name = 'Someone Else'"
            " WHERE history_id = (SELECT max(history_id) FROM sales_historicalbooking)"
        )


@pytest.mark.parametrize(
    "damage, expected",
    [
        (
            delete_a_ticket,
            [
                "table sales_ticket: 6 rows in the source, 5 in the restore",
                "check_inventory on the restore is not clean",
            ],
        ),
        (
            change_the_latest_booking_history,
            [
                "table sales_historicalbooking: the same",
                "rows in number, but their contents differ",
                "history sales_historicalbooking: the latest history row differs",
            ],
        ),
    ],
    ids=["a ticket deleted", "a history row changed"],
)
def test_the_drill_fails_naming_what_a_damaged_restore_lost(small_database, damage, expected):
    status, report = run_drill(small_database, after_restore=damage)

    assert status == 1, report
    assert "RESTORE DRILL FAILED" in report
    for words in expected:
        assert words in report, report
    assert "Restore drill passed" not in report
