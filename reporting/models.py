"""One permission per report.

Reports have no table of their own: each model below exists only to carry its
report's permission (Django ties permissions to a model) and to give the report
its place in the admin. `managed = False`: no table is ever created or read.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class _ReportPermission(models.Model):
    class Meta:
        abstract = True
        managed = False
        default_permissions = ("view",)

    def __str__(self):
        return str(self._meta.verbose_name)


class SalesReport(_ReportPermission):
    class Meta(_ReportPermission.Meta):
        verbose_name = _("sales report")
        verbose_name_plural = _("sales report")


class RefundReport(_ReportPermission):
    class Meta(_ReportPermission.Meta):
        verbose_name = _("refunds report")
        verbose_name_plural = _("refunds report")


class CashUpReport(_ReportPermission):
    """`view` opens one's own drawer; `view_all` everyone's."""

    class Meta(_ReportPermission.Meta):
        verbose_name = _("cash-up")
        verbose_name_plural = _("cash-up")
        permissions = [("view_all_cashupreport", "Can see every agent's cash-up")]


class LoadFactorReport(_ReportPermission):
    class Meta(_ReportPermission.Meta):
        verbose_name = _("load factor report")
        verbose_name_plural = _("load factor report")
