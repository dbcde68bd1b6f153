"""Failed booking look-ups, counted and refused by django-axes, as failed log-ins are.

A record locator and a surname are a guessable secret, so a look-up that finds nothing is a failed
log-in as far as axes knows: it is recorded (`user_login_failed`) under the name `booking <LOCATOR>`
and the client's address. AXES_LOCKOUT_PARAMETERS (user name, address) then refuse further look-ups
of that locator, and from that address, for AXES_COOLOFF_TIME after AXES_FAILURE_LIMIT failures; an
Admin can lift it under "Log-in lockouts", as for staff. The address count is the one staff log-ins
from the same address use: guesses of either secret from one address add up.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.utils import timezone

from backoffice.login_throttle import lifted_at


def credentials_for(record_locator):
    return {"username": f"booking {record_locator}"}


def refused_until(request, record_locator):
    """When look-ups of this locator, or from this address, are allowed again; None if they are now."""
    credentials = credentials_for(record_locator)
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    return timezone.localtime(lifted_at(request, credentials))


def record_failure(request, record_locator):
    """Count a look-up that found nothing; the page itself says so (not axes' staff log-in page)."""
    user_login_failed.send(sender=__name__, credentials=credentials_for(record_locator), request=request)
    request.axes_locked_out = False
