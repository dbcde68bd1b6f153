"""Logs say who asked for what and how it ended, as JSON lines on request; Sentry gets errors, never personal data."""

import io
import json
import logging
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from sentry_sdk.transport import Transport

from backoffice.observability import JSONFormatter, init_sentry
from tests.backoffice.test_deploy import manage


@csrf_exempt
def boom(request):
    raise RuntimeError("the view broke")


# For the Sentry test: the real URLs plus a view that fails.
urlpatterns = [path("boom/", boom), path("", include("backoffice.urls"))]


def request_lines(caplog):
    return [record for record in caplog.records if record.name == "backoffice.request"]


@pytest.mark.django_db
def test_a_request_is_logged_with_its_user_path_status_and_duration(admin_client_for, counter_user, caplog):
    client = admin_client_for(counter_user)
    caplog.set_level(logging.INFO, logger="backoffice.request")
    assert client.get("/admin/sales/booking/?q=DUPONT").status_code == 200
    (record,) = request_lines(caplog)
    assert (record.method, record.path, record.status, record.user) == ("GET", "/admin/sales/booking/", 200, "carl")
    assert record.user_id == counter_user.pk
    assert record.duration_ms > 0
    assert record.getMessage().startswith("GET /admin/sales/booking/ 200 ")
    assert record.getMessage().endswith("ms carl")
    # The query string (a passenger's name, a token) is in no log line.
    assert "DUPONT" not in caplog.text


@pytest.mark.django_db
def test_a_login_is_logged_without_its_password(client, counter_user, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.post("/admin/login/", {"username": "carl", "password": "pw-for-tests-only"})
    assert response.status_code == 302
    (record,) = request_lines(caplog)
    assert (record.method, record.path, record.status, record.user) == ("POST", "/admin/login/", 302, "carl")
    client.post("/admin/logout/")
    caplog.clear()
    client.post("/admin/login/", {"username": "carl", "password": "a-wrong-password-typed"})
    (record,) = request_lines(caplog)
    assert (record.status, record.user) == (200, None)
    assert "pw-for-tests-only" not in caplog.text and "a-wrong-password-typed" not in caplog.text


@pytest.mark.django_db
def test_a_customer_is_logged_by_id_never_by_their_e_mail_address(client, caplog):
    from django.contrib.auth.models import User

    customer = User.objects.create_user("ann.passenger@example.com", "ann.passenger@example.com", "pw-for-tests")
    client.force_login(customer)
    caplog.set_level(logging.INFO, logger="backoffice.request")
    client.get("/my-booking/")
    (record,) = request_lines(caplog)
    assert (record.user, record.user_id) == (None, customer.pk)
    assert record.getMessage().endswith(f"ms #{customer.pk}")
    assert "ann.passenger" not in str(record.__dict__)


def test_json_lines_carry_the_request_fields():
    record = logging.makeLogRecord(
        {"name": "backoffice.request", "levelno": logging.INFO, "levelname": "INFO", "msg": "GET / 200 1.5ms -"}
    )
    record.__dict__.update(method="GET", path="/", status=200, duration_ms=1.5, user=None)
    line = json.loads(JSONFormatter().format(record))
    assert line["message"] == "GET / 200 1.5ms -"
    assert (line["logger"], line["level"], line["status"], line["path"], line["user"]) == (
        "backoffice.request",
        "INFO",
        200,
        "/",
        None,
    )
    assert line["time"].endswith("+00:00")


def test_log_format_json_writes_one_json_object_per_line_to_stderr(tmp_path):
    code = "from django.test import Client; Client().get('/?next=/x', HTTP_HOST='backoffice.example.com')"
    result = manage(["shell", "-c", code], tmp_path, LOG_FORMAT="json", HTTPS="0")
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (request,) = [line for line in lines if line["logger"] == "backoffice.request"]
    assert (request["method"], request["path"], request["status"], request["user"]) == ("GET", "/", 302, None)
    assert "next=" not in result.stderr

    result = manage(["check"], tmp_path, LOG_FORMAT="xml")
    assert "LOG_FORMAT must be text or json, not 'xml'" in result.stderr


class Envelopes(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        self.events.extend(item.payload.json for item in envelope.items if item.type == "event")


@pytest.fixture
def sentry():
    transport = Envelopes()
    init_sentry("https://public@sentry.example.invalid/1", "tests", transport=transport)
    yield transport
    sentry_sdk.init()  # no DSN: inactive again


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_error_in_a_view_goes_to_sentry_without_personal_data(sentry, client, counter_user):
    # Through the WSGI application gunicorn runs (the test client skips the WSGI layer Sentry reads the URL from).
    client.force_login(counter_user)
    session = client.cookies["sessionid"].value
    body = b"password=hunter2-typed"
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/boom/",
        "QUERY_STRING": "surname=DUPONT",
        "HTTP_HOST": "localhost",
        "HTTP_COOKIE": f"sessionid={session}; csrftoken=abc",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
    }
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(body)
    statuses = []
    # Keep the test's transaction open, as the test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = get_wsgi_application()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert statuses == ["500 Internal Server Error"]
    (event,) = sentry.events
    assert event["exception"]["values"][-1]["value"] == "the view broke"
    assert event["environment"] == "tests"
    assert (event["request"]["method"], event["request"]["url"]) == ("POST", "http://localhost/boom/")
    sent = json.dumps(event)
    for secret in ("DUPONT", "hunter2-typed", "carl", session, "csrftoken"):
        assert secret not in sent, secret


def test_sentry_is_set_up_only_with_a_dsn(tmp_path):
    code = (
        "import sys, sentry_sdk; c = sentry_sdk.get_client();"
        "print('SENTRY', c.is_active(), c.options['send_default_pii'], bool(c.get_integration('django')),"
        " 'sentry_sdk.integrations.django' in sys.modules)"
    )
    result = manage(["shell", "-c", code], tmp_path, SENTRY_DSN="https://public@sentry.example.invalid/1")
    assert "SENTRY True False True True" in result.stdout, result.stdout + result.stderr
    result = manage(["shell", "-c", code], tmp_path)
    assert "SENTRY False" in result.stdout and result.stdout.rstrip().endswith("False"), result.stdout + result.stderr
