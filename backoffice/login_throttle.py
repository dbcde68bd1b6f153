"""Login throttling with django-axes: whose attempts count, and what a locked-out person reads.

Failures count per user name and per address (settings AXES_*); past the limit the
login page says until when it is refused and that an Admin can lift the lock sooner.
"""

import ipaddress

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db.models import Max, Q
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

# The longest user name Django stores; longer input is no user's name, and is cut to fit the log.
USERNAME_LENGTH = 150


def client_address(request):
    """The client's address: the connection's, or, behind TRUSTED_PROXY_COUNT proxies, the one they saw.

    Only the entries our own proxies appended to X-Forwarded-For are believed; anything
    else in the header was written by the client. A value that is not an address is ignored.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def username_of(request, credentials):
    """The user name an attempt counts against: as typed, without NUL, cut to the longest name there is.

    Case is kept: Django's user names are case-sensitive, and "Carl" is not "carl".
    """
    if credentials is not None:
        name = credentials.get("username")
    else:
        name = request.POST.get("username")
    if name is None:
        return None
    return str(name).replace("\x00", "")[:USERNAME_LENGTH]


def lifted_at(request, credentials):
    """When the lock on this user name and this address ends (the latest failure plus the cool-off)."""
    from axes.models import AccessAttempt

    username = username_of(request, credentials)
    address = client_address(request)
    matches = Q(ip_address=address) if address else Q(pk__in=[])
    if username is not None:
        matches |= Q(username=username)
    last = AccessAttempt.objects.filter(matches).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def locked_out(request, original_response=None, credentials=None):
    """The admin login page again, with why it refuses and until when (HTTP 429)."""
    until = timezone.localtime(lifted_at(request, credentials))
    minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
    messages.error(
        request,
        _(
            "Too many failed log-ins for this user name or from this address. "
            "Try again after %(time)s (in %(minutes)s minutes), or ask an Admin to lift the lock."
        )
        % {"time": date_format(until, "H:i T"), "minutes": minutes},
    )
    form = AdminAuthenticationForm(request, initial={"username": username_of(request, credentials) or ""})
    context = {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "app_path": request.get_full_path(),
        "form": form,
        "username": request.user.get_username(),
    }
    return render(request, "admin/login.html", context, status=429)


def _when(record):
    return formats.date_format(timezone.localtime(record.attempt_time), "DATETIME_FORMAT")


def _lockout_name(attempt):
    return _("Failed log-ins of %(user)s from %(address)s, the last %(when)s") % {
        "user": attempt.username,
        "address": attempt.ip_address,
        "when": _when(attempt),
    }


def _log_in_name(entry):
    return _("Log-in of %(user)s from %(address)s, %(when)s") % {
        "user": entry.username,
        "address": entry.ip_address,
        "when": _when(entry),
    }


def _failure_name(failure):
    words = _("Failed log-in of %(user)s from %(address)s, %(when)s") % {
        "user": failure.username,
        "address": failure.ip_address,
        "when": _when(failure),
    }
    return words + (_(", locked out") if failure.locked_out else "")


def name_records():
    """axes names its records by a raw time ("Attempted Access: 2026-11-27 10:25:39.622463+00:00"), which the
    admin prints as the title of their pages, history and deletion: name them by who, from where and when, in
    the business zone on a 24-hour clock, as every other time reads. Called once, from the app's ready()."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    AccessAttempt.__str__ = _lockout_name
    AccessLog.__str__ = _log_in_name
    AccessFailureLog.__str__ = _failure_name
