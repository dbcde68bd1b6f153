"""GET /health/ for load balancers: 200 when the database answers and is migrated, 503 when it is not."""

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from backoffice import health
from tests.backoffice.test_deploy import manage

# A load balancer probes the machine by its address, over plain HTTP, with no cookie.
PROBE = {"HTTP_HOST": "10.0.0.5"}


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch, settings):
    monkeypatch.setattr(health, "_migrated", False)
    # Production's HTTPS settings: everything else is redirected to HTTPS and needs a known host name.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["backoffice.example.com"]


@pytest.mark.django_db
def test_a_plain_http_probe_by_address_gets_200_with_no_cookie(client, django_assert_num_queries):
    response = client.get("/health/", **PROBE)
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies
    assert client.head("/health/", **PROBE).status_code == 200
    # Once migrated, a probe is one query.
    with django_assert_num_queries(1):
        assert client.get("/health/", **PROBE).status_code == 200
    # Only the probe skips the host check and the redirect to HTTPS.
    assert client.get("/health/", HTTP_HOST="backoffice.example.com").status_code == 200
    assert client.get("/admin/login/", HTTP_HOST="backoffice.example.com").status_code == 301
    assert client.get("/admin/login/", **PROBE).status_code == 400
    assert client.get("/health", HTTP_HOST="backoffice.example.com").status_code == 301


@pytest.mark.django_db
def test_an_unapplied_migration_answers_503(client, caplog):
    (leaf,) = [node for node in MigrationLoader(connection).graph.leaf_nodes() if node[0] == "sales"]
    MigrationRecorder(connection).migration_qs.filter(app=leaf[0], name=leaf[1]).delete()
    response = client.get("/health/", **PROBE)
    assert (response.status_code, response.content) == (503, b"migrations not applied\n")
    assert f"first {leaf[0]}.{leaf[1]}" in caplog.text

    MigrationRecorder(connection).record_applied(*leaf)
    assert client.get("/health/", **PROBE).status_code == 200


@pytest.mark.django_db
def test_a_post_is_refused_without_touching_anything(client):
    response = client.post("/health/", **PROBE)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_an_unreachable_database_answers_503(tmp_path):
    # Production settings, a database server that is not there (nothing listens on port 1).
    code = (
        "from django.test import Client;"
        "r = Client().get('/health/', HTTP_HOST='10.0.0.5');"
        "print('STATUS', r.status_code, r.content.decode().strip())"
    )
    result = manage(["shell", "-c", code], tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    assert "STATUS 503 database unreachable" in result.stdout, result.stdout + result.stderr
    assert "health: database unreachable" in result.stderr
