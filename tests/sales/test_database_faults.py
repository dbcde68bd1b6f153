"""Faults of the database in front of an agent (issue 11, "Faults"): the backend of a booking killed in the
middle of its transaction, and a statement that hangs past statement_timeout. Each ends in words an agent can
act on ("try again"), nothing half-written, and the seat counters still equal to the tickets."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from sales import inventory, services
from sales.exceptions import TryAgain
from sales.models import Booking, Passenger, Ticket
from sales.selectors import inventory_mismatches
from tests.factories import FareBucketFactory, FlightFactory
from tests.sales.conftest import CONTACT, adults

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def bucket(db):
    return FareBucketFactory(flight=FlightFactory())


@pytest.mark.postgres_only("terminates a PostgreSQL backend with pg_terminate_backend")
def test_a_booking_whose_backend_is_killed_mid_transaction_leaves_nothing_and_says_try_again(
    bucket, counter_user, monkeypatch
):
    inside, killed = threading.Event(), threading.Event()
    pids, outcome = [], []
    taking = inventory.take_seats

    def take_then_wait(**kwargs):
        taken = taking(**kwargs)  # the booking's rows and its seats are written, not committed
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
        inside.set()
        killed.wait(10)
        return taken

    monkeypatch.setattr(inventory, "take_seats", take_then_wait)

    def agent():
        try:
            outcome.append(
                services.book(
                    segments=[services.SegmentRequest(bucket.flight_id, bucket.fare_class.code)],
                    passengers=adults(2),
                    agent=counter_user,
                    **CONTACT,
                )
            )
        except Exception as error:  # noqa: BLE001 - the test reads what the agent would
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=agent)
    thread.start()
    assert inside.wait(20), "the booking never reached its seats"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pids[0]])
    killed.set()
    thread.join(30)

    (error,) = outcome
    assert isinstance(error, TryAgain), repr(error)
    assert "connection to the database was lost. Nothing was saved" in str(error)
    assert (Booking.objects.count(), Passenger.objects.count(), Ticket.objects.count()) == (0, 0, 0)
    bucket.refresh_from_db()
    bucket.flight.refresh_from_db()
    assert (bucket.seats_sold, bucket.flight.seats_sold) == (0, 0)
    assert inventory_mismatches() == ([], [])
    # The next booking, on a fresh connection, goes through.
    monkeypatch.setattr(inventory, "take_seats", taking)
    services.book(
        segments=[services.SegmentRequest(bucket.flight_id, bucket.fare_class.code)],
        passengers=adults(1),
        agent=counter_user,
        **CONTACT,
    )
    assert Booking.objects.count() == 1


@pytest.mark.postgres_only("PostgreSQL's statement_timeout")
def test_a_page_whose_statement_hangs_past_the_time_limit_answers_503_in_words(counter_user, monkeypatch):
    from sales import admin as sales_admin

    def hangs(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")
        return Booking.objects.none()

    monkeypatch.setattr(sales_admin.BookingAdmin, "get_queryset", hangs)
    client = Client()
    client.force_login(counter_user)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 300")
    try:
        response = client.get(reverse("admin:sales_booking_changelist"))
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
    # Only a statement cancelled at the limit ends this way: the 5 s sleep left alone would answer 200.
    assert response.status_code == 503 and response["Retry-After"] == "5"
    page = response.content.decode()
    assert "The database took too long to answer. Nothing was saved; please try again in a moment." in page


def refused_connection():
    """The error psycopg raises when nothing listens where the server should (the server is down)."""
    import psycopg

    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:1/backoffice", connect_timeout=3)
    except psycopg.OperationalError as error:
        return error
    raise AssertionError("something answers on 127.0.0.1:1")


@pytest.mark.parametrize(
    "message",
    [
        None,  # the real one: connection refused
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        "FATAL:  the database system is shutting down",
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        "FATAL:  the database system is starting up",
    ],
    ids=["server down", "shutting down", "starting up"],
)
def test_a_page_whose_session_cannot_reach_the_database_answers_503_in_words(counter_user, monkeypatch, message):
    """PostgreSQL restarting: the first query of a request is the session's, in a middleware, before any view
    (bench/postgres_restart.py found 500s there). The agent reads "try again", not a server error page."""
    from django.contrib.sessions.backends import db as session_db
    from django.db import OperationalError

    cause = refused_connection() if message is None else None

    def cannot_connect(self):
        if cause is not None:
            raise OperationalError(str(cause)) from cause
        raise OperationalError(message)

    client = Client(raise_request_exception=False)
    client.force_login(counter_user)
    monkeypatch.setattr(session_db.SessionStore, "_get_session_from_db", cannot_connect)
    response = client.get(reverse("admin:sales_booking_changelist"))

    assert response.status_code == 503 and response["Retry-After"] == "5"
    page = response.content.decode()
    assert "The database cannot be reached at the moment. Nothing was saved; please try again in a moment." in page
    assert "Server Error" not in page


def test_a_bug_met_in_a_middleware_is_still_a_server_error(counter_user, monkeypatch):
    from django.contrib.sessions.backends import db as session_db

    def broken(self):
        raise ValueError("a bug of ours")

    client = Client(raise_request_exception=False)
    client.force_login(counter_user)
    monkeypatch.setattr(session_db.SessionStore, "_get_session_from_db", broken)
    response = client.get(reverse("admin:sales_booking_changelist"))

    assert response.status_code == 500
    assert "try again" not in response.content.decode().lower()
