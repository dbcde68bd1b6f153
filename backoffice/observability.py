"""What operations sees: one log line per request (who, what, how it ended, how long), JSON lines on request,
and errors sent to Sentry when SENTRY_DSN is set.

A request's line names the method, the path without its query string (a search may carry a passenger's
name, a link a token), the status, the milliseconds and the user (staff by name, a customer by id: their
user name is their e-mail address); never a form field, so never a
password. Sentry gets no personal data (send_default_pii off), no request body, no query string no
cookies and no local variables: an error report says where it broke, not whose booking it was.
"""

import datetime as dt
import json
import logging
import time
import warnings

from django.utils.functional import empty

request_logger = logging.getLogger("backoffice.request")

# The attributes every LogRecord has; anything else on a record came from `extra=` and goes in the JSON.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the record's extra fields,
    and the traceback as "exc" when there is one."""

    def format(self, record):
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _user_of(request):
    """(user name, id) of who made the request, as far as the request got to know it; never loaded only to log.

    Staff are named; a customer of the passengers' site, whose user name is their e-mail address, only by id.
    """
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty or not user.is_authenticated:
        return None, None
    return (user.get_username() if user.is_staff else None), user.pk


def request_log(get_response):
    """Log each request once it is answered: `GET /admin/ 200 35ms counter` (a customer: `#42`), with the same
    as fields."""

    def middleware(request):
        started = time.perf_counter()
        response = get_response(request)
        milliseconds = round((time.perf_counter() - started) * 1000, 1)
        user, user_id = _user_of(request)
        request_logger.log(
            logging.WARNING if response.status_code >= 500 else logging.INFO,
            "%s %s %s %sms %s",
            request.method,
            request.path,
            response.status_code,
            milliseconds,
            user or (f"#{user_id}" if user_id else "-"),
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": milliseconds,
                "user": user,
                "user_id": user_id,
            },
        )
        return response

    return middleware


def _without_request_details(event, hint):
    request = event.get("request")
    if request:
        for key in ("query_string", "cookies", "data", "env"):
            request.pop(key, None)
        if "url" in request:
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers") or {}
        for name in list(headers):
            if name.lower() in ("cookie", "authorization", "x-csrftoken", "referer"):
                del headers[name]
    return event


def init_sentry(dsn, environment="production", transport=None):
    """Send unhandled errors to Sentry (sentry-sdk, Django integration), with nobody's personal data."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    options = {}
    if transport is not None:
        options["transport"] = transport
    with warnings.catch_warnings():
        # sentry-sdk 2.75 prefers data_collection=...; send_default_pii=False still means what it says.
        warnings.filterwarnings("ignore", "The send_default_pii option is deprecated", DeprecationWarning)
        sentry_sdk.init(
            dsn=dsn,
            environment=environment,
            integrations=[DjangoIntegration()],
            send_default_pii=False,
            max_request_body_size="never",
            # A frame's variables hold the request (its query string) and whatever the view was working on:
            # a passenger's name, a booking. The traceback's lines are enough to find the fault.
            include_local_variables=False,
            before_send=_without_request_details,
            # Errors only: no performance tracing.
            traces_sample_rate=None,
            **options,
        )
