"""Production settings: `manage.py check --deploy` is clean, sessions end when left idle, the admin's
address is a setting."""

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.middleware import LAST_SEEN

ROOT = Path(__file__).resolve().parents[2]


def manage(args, tmp_path, **env):
    """manage.py with a production environment: DEBUG off, a real secret key, a host name, nothing of the tests'."""
    production = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "DATABASE_URL", "PYTHONPATH")
    }
    production.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="backoffice.example.com",
        BACKOFFICE_VAR_DIR=str(tmp_path),
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=production, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().startswith("System check identified no issues"), result.stdout
    assert "WARNING" not in result.stderr and "?:" not in result.stderr, result.stderr


def test_production_defaults_redirect_to_https_and_send_hsts(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_AGE)"
    )
    result = manage(["shell", "-c", code], tmp_path)
    assert result.stdout.split()[-7:] == ["True", "31536000", "True", "True", "True", "True", "28800"], result.stderr
    result = manage(
        ["shell", "-c", code], tmp_path, HSTS_PRELOAD="0", HSTS_INCLUDE_SUBDOMAINS="0", SESSION_IDLE_HOURS="1"
    )
    assert result.stdout.split()[-7:] == ["True", "31536000", "False", "False", "True", "True", "3600"], result.stderr


def test_the_admin_answers_under_the_prefix_the_setting_gives(tmp_path):
    code = "from django.urls import reverse; print(reverse('admin:index'), reverse('admin:login'))"
    result = manage(["shell", "-c", code], tmp_path, ADMIN_URL="backstage/")
    assert result.stdout.split()[-2:] == ["/backstage/", "/backstage/login/"], result.stderr


@pytest.mark.django_db
def test_a_session_left_idle_for_the_setting_ends(client, counter_user, settings):
    client.force_login(counter_user)
    home = reverse("admin:index")
    assert client.get(home).status_code == 200

    # Seven hours without a request: still logged in, and seen again now.
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 7 * 3600
    session.save()
    assert client.get(home).status_code == 200
    assert client.session[LAST_SEEN] >= int(time.time()) - 5

    # Eight hours and a minute: logged out, and told why.
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 8 * 3600 - 60
    session.save()
    response = client.get(home, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert "logged out after 8 hours without activity" in response.content.decode()
    assert client.get(home).status_code == 302


@pytest.mark.django_db
def test_pages_between_two_writes_of_the_time_seen_cost_no_session_write(client, counter_user):
    client.force_login(counter_user)
    client.get(reverse("admin:index"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("admin:index"))
    writes = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert writes == []


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_their_inline_script_keeps_to(client, counter_user):
    client.force_login(counter_user)
    response = client.get(reverse("admin:sales_booking_search"))
    assert response.status_code == 200
    policy = dict(
        (directive.split()[0], directive.split()[1:]) for directive in response["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    (nonce,) = [source for source in policy["script-src"] if source.startswith("'nonce-")]
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "the search page's location list is an inline script"
    assert all(f'nonce="{nonce[7:-1]}"' in attributes for attributes in inline), inline
