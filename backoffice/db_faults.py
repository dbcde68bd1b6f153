"""When the database fails a request: a lock wait or a statement past its time limit, a connection the server
dropped (restarted, or the backend terminated). Each transaction is atomic, so nothing was written; the person
reads what happened and that trying again is safe, never a server error page.

`trouble(error)` says it in words (None for an error that is a bug of ours); services turn it into their
"try again" refusal, and `DatabaseTroubleMiddleware` answers any other page that meets one with a 503. An error
raised before any view, in a middleware (the session and the user are the first queries of a request, so a server
that is restarting is met there), never reaches a middleware's process_exception: `server_error`, the 500 handler
(backoffice/urls.py), answers those with the same 503 page.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

LOCKED = {"55P03", "40P01", "40001"}  # lock_timeout, deadlock, serialization failure
TIMED_OUT = {"57014"}  # statement_timeout (query_canceled)
# The server went away: admin shutdown, crash shutdown, cannot connect now, connection failures.
DISCONNECTED = {"57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"}
DROPPED_WORDS = ("terminating connection", "server closed the connection", "connection is closed", "consuming input")
# No connection could be made: nothing listens (the server is down), or it is shutting down or starting up.
UNREACHABLE_WORDS = ("connection failed", "could not connect", "the database system is")


def trouble(error):
    """What a person should read about `error`, or None when it is not the database's trouble."""
    if not isinstance(error, OperationalError | InterfaceError):
        return None
    cause = getattr(error, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None)
    text = str(error).lower()
    if "conflict with recovery" in text:
        # A read on the replica (backoffice/replica.py) cancelled because replaying the primary needed its rows.
        return _(
            "The copy of the database this report reads (the replica) changed the rows it was reading. Nothing was"
            " saved; please try again."
        )
    if sqlstate in LOCKED or (connection.vendor == "sqlite" and "locked" in text):
        return _("Another person is changing these records right now. Nothing was saved; please try again.")
    if sqlstate in TIMED_OUT:
        return _("The database took too long to answer. Nothing was saved; please try again in a moment.")
    if any(w in text for w in UNREACHABLE_WORDS):
        return _("The database cannot be reached at the moment. Nothing was saved; please try again in a moment.")
    if isinstance(error, InterfaceError) or sqlstate in DISCONNECTED or any(w in text for w in DROPPED_WORDS):
        return _("The connection to the database was lost. Nothing was saved; please try again in a moment.")
    return None


class DatabaseTroubleMiddleware:
    """A page that meets the database's trouble answers 503 with it in words (and Retry-After), not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return try_again_page(request, exception)


def try_again_page(request, exception):
    """The 503 page that says what happened and that trying again is safe; None when `exception` is not the
    database's trouble."""
    message = trouble(exception)
    if message is None:
        return None
    logger.warning("database trouble on %s %s: %s", request.method, request.path, exception)
    # The connection may be unusable now; the next request opens a fresh one.
    connection.close_if_unusable_or_obsolete()
    title = _("Please try again")
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        f'<p><a href="{escape(request.get_full_path())}">{escape(_("Try again"))}</a></p></main></body></html>'
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = "5"
    return response


def server_error(request):
    """The 500 handler: the database's trouble met outside a view (in a middleware) gets the 503 page too;
    anything else is Django's server error page. Called while the exception is being handled."""
    return try_again_page(request, sys.exc_info()[1]) or defaults.server_error(request)
