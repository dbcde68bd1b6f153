"""A report on the replica cancelled because the replica's replay needed the rows it read (a recovery conflict:
the primary's vacuum removed them): the page says so, not that another person is changing the records."""

from django.db import OperationalError

from backoffice.db_faults import trouble


def test_a_report_cancelled_by_the_replicas_replay_says_to_run_it_again():
    error = OperationalError(
        "canceling statement due to conflict with recovery\n"
        "DETAIL:  User query might have needed to see row versions that must be removed."
    )
    error.__cause__ = Exception()
    error.__cause__.sqlstate = "40001"  # as psycopg's SerializationFailure has it
    said = trouble(error)
    assert said == (
        "The copy of the database this report reads (the replica) changed the rows it was reading. Nothing was"
        " saved; please try again."
    )
