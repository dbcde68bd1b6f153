from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.money import HALF_CENT, ZERO
from sales.models import MAX_FARE, FareClass, Payment, Ticket, amount_in_range, money_field_options

percent_options = {
    "max_digits": 5,
    "decimal_places": 2,
    "default": ZERO,
    "validators": [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
}


class RefundRule(models.Model):
    """What a fare class gives back. Each fee is the higher of its fixed amount and its percentage of the fare."""

    fare_class = models.OneToOneField(
        FareClass, on_delete=models.PROTECT, related_name="refund_rule", verbose_name=_("fare class")
    )
    refundable = models.BooleanField(_("refundable"), default=True)
    cancellation_fee = models.DecimalField(
        _("cancellation fee"), **money_field_options, default=ZERO, validators=amount_in_range
    )
    cancellation_fee_percent = models.DecimalField(_("cancellation fee (% of fare)"), **percent_options)
    late_window_hours = models.PositiveSmallIntegerField(
        _("late window (hours before departure)"), default=24, validators=[MaxValueValidator(720)]
    )
    late_fee = models.DecimalField(
        _("late cancellation fee"), **money_field_options, default=ZERO, validators=amount_in_range
    )
    late_fee_percent = models.DecimalField(_("late cancellation fee (% of fare)"), **percent_options)
    no_show_fee = models.DecimalField(_("no-show fee"), **money_field_options, default=ZERO, validators=amount_in_range)
    no_show_fee_percent = models.DecimalField(_("no-show fee (% of fare)"), **percent_options)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund rule")
        verbose_name_plural = _("refund rules")
        ordering = ["fare_class__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cancellation_fee__gte=0)
                & Q(cancellation_fee__lte=MAX_FARE)
                & Q(late_fee__gte=0)
                & Q(late_fee__lte=MAX_FARE)
                & Q(no_show_fee__gte=0)
                & Q(no_show_fee__lte=MAX_FARE),
                name="refundrule_fees_in_range",
            ),
            models.CheckConstraint(
                condition=Q(cancellation_fee_percent__gte=0)
                & Q(cancellation_fee_percent__lte=100)
                & Q(late_fee_percent__gte=0)
                & Q(late_fee_percent__lte=100)
                & Q(no_show_fee_percent__gte=0)
                & Q(no_show_fee_percent__lte=100),
                name="refundrule_percent_0_to_100",
            ),
        ]

    def __str__(self):
        return f"{self.fare_class.code}: {'refundable' if self.refundable else 'non-refundable'}"


class Refund(models.Model):
    class Kind(models.TextChoices):
        VOID = "void", _("Void")
        VOLUNTARY = "voluntary", _("Voluntary")
        INVOLUNTARY = "involuntary", _("Involuntary (airline)")
        NO_SHOW = "no_show", _("No-show")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("ticket"))
    # The ticket's passenger, copied when the refund is requested (no service renames a passenger): the
    # refunds list finds a surname in its own rows, not by joining each refund to its ticket and passenger.
    passenger_surname = models.CharField(_("passenger's surname"), max_length=40, editable=False)
    passenger_given_names = models.CharField(_("passenger's given names"), max_length=40, editable=False)
    kind = models.CharField(_("kind"), max_length=11, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.REQUESTED)
    ticket_total = models.DecimalField(_("paid for the ticket"), **money_field_options)
    fare_paid = models.DecimalField(_("fare paid"), **money_field_options)
    fee_kept = models.DecimalField(_("fee kept"), **money_field_options)
    taxes_returned = models.DecimalField(_("taxes returned"), **money_field_options)
    amount = models.DecimalField(_("amount returned"), **money_field_options)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True, default="")
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=13, choices=Payment.Method.choices, blank=True, default="")
    reference = models.CharField(_("reference"), max_length=60, blank=True, default="")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at"]
        permissions = [("decide_refund", "Can approve or reject a refund"), ("pay_refund", "Can mark a refund paid")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=~Q(status="rejected"),
                name="refund_one_live_per_ticket",
                violation_error_message=_("This ticket already has a refund."),
            ),
            models.CheckConstraint(
                condition=Q(fare_paid__gte=0)
                & Q(fee_kept__gte=0)
                & Q(taxes_returned__gte=0)
                & Q(amount__gte=0)
                & Q(fee_kept__lte=F("fare_paid")),
                name="refund_figures_not_negative",
            ),
            models.CheckConstraint(condition=Q(amount__lte=F("ticket_total")), name="refund_not_above_paid"),
            models.CheckConstraint(
                condition=LessThan(
                    Abs(F("amount") - (F("fare_paid") - F("fee_kept") + F("taxes_returned"))), HALF_CENT
                ),
                name="refund_amount_is_fare_less_fee_plus_taxes",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="refund_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_at__isnull=False) & ~Q(method="")),
                name="refund_paid_has_method",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="refund_four_eyes",
                violation_error_message=_("The person who requested a refund cannot approve or reject it."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"], name="refund_queue_idx"),
            # The refunds report: refunds requested in a range, whatever their status.
            models.Index(fields=["requested_at"], name="refund_requested_idx"),
            # The cash-up: refunds paid out in a range.
            models.Index(fields=["paid_at"], name="refund_paid_idx"),
            # The admin list by kind.
            models.Index(fields=["kind", "requested_at"], name="refund_kind_requested_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} refund of {self.ticket}"
