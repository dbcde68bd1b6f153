"""Login throttling: failures lock a user name and an address, the page says until when, an Admin lifts it."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from backoffice.roles import ADMIN, COUNTER_STAFF

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-1"


@pytest.fixture
def agent(counter_user):
    counter_user.set_password(PASSWORD)
    counter_user.save()
    return counter_user


def log_in(client, username, password, address="203.0.113.7", **extra):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
        **extra,
    )


def logged_in(client):
    return "_auth_user_id" in client.session


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_thirty_wrong_passwords_then_the_right_one_is_refused_with_when_to_retry(client, agent, settings):
    for _ in range(30):
        log_in(client, agent.username, "wrong")
    response = log_in(client, agent.username, PASSWORD)
    assert not logged_in(client)
    assert response.status_code == 429
    page = text(response)
    assert "Too many failed log-ins for this user name or from this address." in page
    until = timezone.localtime(AccessAttempt.objects.get().attempt_time + settings.AXES_COOLOFF_TIME)
    assert f"Try again after {until:%H:%M}" in page
    assert "ask an Admin to lift the lock" in page
    assert 'id="login-form"' in page  # the login page itself, not a bare error


def test_failures_below_the_limit_then_the_right_password_logs_in_and_start_again(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, agent.username, "wrong").status_code == 200
    response = log_in(client, agent.username, PASSWORD)
    assert response.status_code == 302 and logged_in(client)
    assert not AccessAttempt.objects.exists()  # a success resets the count


def test_the_lock_follows_the_user_name_to_another_address(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, agent.username, "wrong", address="203.0.113.7")
    assert log_in(client, agent.username, PASSWORD, address="198.51.100.9").status_code == 429
    assert not logged_in(client)


def test_the_lock_holds_an_address_that_tries_many_user_names(client, agent, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{number}", "wrong", address="203.0.113.7")
    assert log_in(client, agent.username, PASSWORD, address="203.0.113.7").status_code == 429
    assert not logged_in(client)
    # The agent at another desk is not held by someone else's guesses.
    assert log_in(client, agent.username, PASSWORD, address="198.51.100.9").status_code == 302
    assert logged_in(client)


def test_the_lock_ends_after_the_cool_off(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, agent.username, "wrong")
    assert log_in(client, agent.username, PASSWORD).status_code == 429
    # The cool-off passes: the last failure is now longer ago than the lock lasts.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1))
    assert log_in(client, agent.username, PASSWORD).status_code == 302


def test_an_admin_lifts_the_lock_and_the_lifting_is_recorded(client, agent, role_users, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, agent.username, "wrong", address="203.0.113.7")
    admin_user = role_users[ADMIN]
    client.force_login(admin_user)
    listing = text(client.get(reverse("admin:axes_accessattempt_changelist")))
    assert agent.username in listing and "203.0.113.7" in listing
    attempt = AccessAttempt.objects.get()
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "lift_lock", "_selected_action": [attempt.pk]},
        follow=True,
    )
    assert "Lifted 1 lock." in text(response)
    assert not AccessAttempt.objects.exists()
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.user == admin_user and entry.object_id == str(attempt.pk)
    client.logout()
    assert log_in(client, agent.username, PASSWORD, address="203.0.113.7").status_code == 302


def test_only_an_admin_sees_or_lifts_locks(client, role_users):
    AccessAttempt.objects.create(
        username="someone",
        ip_address="203.0.113.7",
        user_agent="",
        http_accept="",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=9,
    )
    for role, status in ((COUNTER_STAFF, 403), (ADMIN, 200)):
        client.force_login(role_users[role])
        assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == status
    client.force_login(role_users[COUNTER_STAFF])
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "lift_lock", "_selected_action": [AccessAttempt.objects.get().pk]},
    )
    assert AccessAttempt.objects.exists()


def test_every_attempt_is_logged(client, agent):
    log_in(client, agent.username, "wrong")
    log_in(client, agent.username, PASSWORD)
    failure = AccessFailureLog.objects.get()
    assert (failure.username, failure.ip_address) == (agent.username, "203.0.113.7")
    success = AccessLog.objects.get()
    assert (success.username, success.ip_address) == (agent.username, "203.0.113.7")
    assert not AccessAttempt.objects.exists()  # the success reset the count


def test_each_log_in_record_is_named_by_who_from_where_and_a_readable_time(client, agent, role_users, settings):
    """A lockout's or a log-in's page, history and deletion are titled in words, not `2026-11-27 10:25:39+00:00`."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, agent.username, "wrong")
    AccessLog.objects.create(username=agent.username, ip_address="203.0.113.7", user_agent="", path_info="/")
    client.force_login(role_users[ADMIN])
    raw = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d")
    for record in (
        AccessAttempt.objects.get(username=agent.username),
        AccessFailureLog.objects.filter(username=agent.username).last(),
        AccessLog.objects.get(username=agent.username),
    ):
        when = timezone.localtime(record.attempt_time)
        assert agent.username in str(record) and "203.0.113.7" in str(record), str(record)
        assert f"{when:%b %Y}, {when:%H:%M} {when:%Z}" in str(record) and not raw.search(str(record)), str(record)
        info = record._meta.app_label, record._meta.model_name
        for view in ("change", "history", "delete"):
            page = text(client.get(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[record.pk])))
            shown = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", page, flags=re.S)
            assert not raw.search(shown), (view, raw.search(shown).group())
    assert "locked out" in str(AccessFailureLog.objects.filter(username=agent.username).last())


def test_the_password_is_never_stored(client, agent):
    log_in(client, agent.username, "wrong-secret-typed")
    assert "wrong-secret-typed" not in AccessAttempt.objects.get().post_data


def test_a_forwarded_for_header_is_believed_only_from_our_own_proxy(client, agent, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        # A client cannot dodge the address lock by writing its own X-Forwarded-For.
        log_in(client, f"guess{number}", "wrong", address="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")
    assert log_in(client, agent.username, PASSWORD, address="203.0.113.7").status_code == 429

    settings.TRUSTED_PROXY_COUNT = 1
    AccessAttempt.objects.all().delete()
    for number in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{number}", "wrong", address="127.0.0.1", HTTP_X_FORWARDED_FOR="spoof, 203.0.113.7")
    # Behind our nginx: the address nginx saw is locked, other clients behind it are not.
    assert (
        log_in(client, agent.username, PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code
        == 302
    )
    assert AccessAttempt.objects.filter(ip_address="203.0.113.7").exists()


@pytest.mark.parametrize(
    "username",
    ["x" * 100_000, "carl\x00", "\u202e\u0645\u0631\u062d\u0628\u0627 🛫", "", "' OR 1=1 --"],
    ids=["100k", "nul", "rtl-emoji", "empty", "quote"],
)
def test_awkward_user_names_get_the_login_page(client, agent, username):
    response = log_in(client, username, "wrong")
    assert response.status_code == 200
    assert not logged_in(client)
    assert User.objects.count() >= 1
