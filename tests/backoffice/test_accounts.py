"""PRODUCT.md, Roles: nobody changes their own groups or permissions; a password someone else set is
changed at the next log-in; changes to groups, permissions, active flag and password are in the history."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from backoffice.models import PasswordToChange
from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE

pytestmark = pytest.mark.django_db


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def change_form_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        # The station's inline (fleet/user_admin.py), left empty.
        "staff_station-TOTAL_FORMS": "0",
        "staff_station-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_cannot_put_themselves_into_finance(role_users):
    admin_user = role_users[ADMIN]
    finance = Group.objects.get(name=FINANCE)
    client = client_of(admin_user)
    url = reverse("admin:auth_user_change", args=[admin_user.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="groups"' not in page.content.decode()  # shown, not editable
    client.post(url, change_form_data(admin_user, groups=[finance.pk, *admin_user.groups.values_list("pk", flat=True)]))
    assert list(admin_user.groups.values_list("name", flat=True)) == [ADMIN]


def test_an_admin_cannot_deactivate_themselves(role_users):
    admin_user = role_users[ADMIN]
    client = client_of(admin_user)
    client.post(reverse("admin:auth_user_change", args=[admin_user.pk]), change_form_data(admin_user, is_active=None))
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_an_admin_changes_someone_elses_role_and_the_history_says_who(role_users):
    admin_user, agent = role_users[ADMIN], role_users[COUNTER_STAFF]
    finance = Group.objects.get(name=FINANCE)
    client = client_of(admin_user)
    response = client.post(
        reverse("admin:auth_user_change", args=[agent.pk]), change_form_data(agent, groups=[finance.pk])
    )
    assert response.status_code == 302
    assert list(agent.groups.values_list("name", flat=True)) == [FINANCE]
    latest = agent.history.order_by("-history_date").first()
    assert latest.history_user == admin_user
    assert [g.group_id for g in latest.groups.all()] == [finance.pk]


def test_a_password_set_by_an_admin_must_be_changed_at_the_next_log_in(role_users):
    admin_user, agent = role_users[ADMIN], role_users[FINANCE]
    client_of(admin_user).post(
        reverse("admin:auth_user_password_change", args=[agent.pk]),
        {"password1": "Temporary-Pass-2026", "password2": "Temporary-Pass-2026", "usable_password": "true"},
    )
    flag = PasswordToChange.objects.get(user=agent)
    assert flag.set_by == admin_user
    latest = agent.history.order_by("-history_date").first()
    assert latest.history_user == admin_user
    assert latest.history_change_reason == f"Password set by {admin_user.username}: to be changed at the next log-in"

    # The agent logs in with it: every page leads to choosing their own.
    agent_client = Client()
    response = agent_client.post(
        reverse("admin:login"), {"username": agent.username, "password": "Temporary-Pass-2026"}
    )
    assert response.status_code == 302
    for url in (reverse("admin:index"), reverse("admin:refunds_refund_changelist")):
        blocked = agent_client.get(url)
        assert blocked.status_code == 302 and blocked["Location"] == reverse("admin:password_change")
    page = agent_client.get(reverse("admin:password_change"))
    assert "Your password was set by someone else: choose your own to go on." in text(page)

    changed = agent_client.post(
        reverse("admin:password_change"),
        {
            "old_password": "Temporary-Pass-2026",
            "new_password1": "Fay-Own-Choice-77",
            "new_password2": "Fay-Own-Choice-77",
        },
    )
    assert changed.status_code == 302
    assert not PasswordToChange.objects.filter(user=agent).exists()
    assert agent_client.get(reverse("admin:refunds_refund_changelist")).status_code == 200
    latest = agent.history.order_by("-history_date").first()
    assert (latest.history_user, latest.history_change_reason) == (agent, "Password changed by its owner")


def test_a_new_account_chooses_its_own_password_first(role_users):
    admin_user = role_users[ADMIN]
    client_of(admin_user).post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "password1": "Given-Pass-2026x",
            "password2": "Given-Pass-2026x",
            "usable_password": "true",
        },
    )
    newbie = User.objects.get(username="newbie")
    assert PasswordToChange.objects.get(user=newbie).set_by == admin_user


def test_changing_ones_own_password_asks_nothing_more(role_users):
    agent = role_users[COUNTER_STAFF]
    agent.set_password("Old-Pass-2026x")
    agent.save()
    client = client_of(agent)
    client.post(
        reverse("admin:password_change"),
        {"old_password": "Old-Pass-2026x", "new_password1": "New-Pass-2026y", "new_password2": "New-Pass-2026y"},
    )
    assert not PasswordToChange.objects.exists()
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("usable", ["false", "x" * 300, "\u202e😀"])
def test_the_password_page_sets_a_password_and_nothing_else_whatever_is_sent_back(role_users, usable):
    """The page draws the two password fields only. Django's form also takes `usable_password`: sent back as
    "false" it removed the user's password (a choice the page does not offer), and any other value came back
    as an error on no field the page draws (issue 11, found by tests/backoffice/test_hostile_posts.py)."""
    admin_user, agent = role_users[ADMIN], role_users[FINANCE]
    url = reverse("admin:auth_user_password_change", args=[agent.pk])
    response = client_of(admin_user).post(url, {"password1": "", "password2": "", "usable_password": usable})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    agent.refresh_from_db()
    assert agent.has_usable_password() and agent.check_password("pw-for-tests-only")
