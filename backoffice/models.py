"""History for Django's own user and group tables (the roles live in groups), and passwords to change."""

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords

# Password hashes and login stamps are not audit material; who is in which role is.
register(User, app=__package__, excluded_fields=["password", "last_login"], m2m_fields=["groups", "user_permissions"])
register(Group, app=__package__)


class PasswordToChange(models.Model):
    """A password someone else set: its owner must choose their own at the next log-in (PRODUCT.md, Roles)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="password_to_change"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("password to change")
        verbose_name_plural = _("passwords to change")

    def __str__(self):
        return f"{self.user} (set by {self.set_by})"
