"""Staff accounts: a password set by someone else is changed by its owner at the next log-in.

PRODUCT.md (Roles): nobody changes their own groups or permissions (backoffice/admin.py
shows them read-only on one's own account); a password set by someone else must be
changed at the next login; every change to groups, permissions, active flag or password
is in the user's history with who made it (groups and permissions are tracked by
backoffice/models.py, a password change by a history row that says so).
"""

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.models import PasswordToChange

SESSION_KEY = "password_to_change"


@transaction.atomic
def password_was_set(*, user, by):
    """Record that `by` set `user`'s password (already saved): by another, it must be changed at next log-in."""
    latest = user.history.order_by("-history_date", "-history_id").first()
    if by.pk == user.pk:
        reason = _("Password changed by its owner")
        PasswordToChange.objects.filter(user=user).delete()
    else:
        reason = _("Password set by %(who)s: to be changed at the next log-in") % {"who": by.get_username()}
        flag = PasswordToChange.objects.filter(user=user).first() or PasswordToChange(user=user)
        flag.set_by = by
        flag._history_user = by
        flag.save()
    # The save that changed the password wrote a history row (the hash itself is not kept): say what it was.
    if latest is not None:
        type(latest).objects.filter(pk=latest.pk).update(history_change_reason=reason, history_user=by)


def must_change_password(request):
    return bool(request.session.get(SESSION_KEY))


def remember_at_log_in(sender, request, user, **kwargs):
    """At log-in, note in the session whether this user must first choose a password (one query per log-in)."""
    if request is not None and hasattr(request, "session"):
        if PasswordToChange.objects.filter(user=user).exists():
            request.session[SESSION_KEY] = True
        else:
            request.session.pop(SESSION_KEY, None)


def connect():
    user_logged_in.connect(remember_at_log_in, dispatch_uid="backoffice.accounts.remember_at_log_in")
