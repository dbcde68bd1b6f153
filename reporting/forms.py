"""Report forms: the range, the grouping and each report's own filters, checked field by field.

Forms are read from the query string (a report is a GET, so it can be
bookmarked and exported with the same parameters). A value that makes no sense
comes back as a message on its field; nothing is run.
"""

import datetime as dt

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminSingleDateWidget, UnfoldAdminTextInputWidget

from fleet.models import Airport
from refunds.models import Refund
from reporting.periods import DateRange, Grouping
from sales.models import FareClass, Payment

# Two years whole: a year against the one before. Longer belongs to an export job, not a page.
MAX_RANGE_DAYS = 731
EARLIEST_DAY = dt.date(2000, 1, 1)
# Flights are sold up to a year ahead; load factor looks that far forward, nothing looks further.
MAX_DAYS_AHEAD = 366

ALL = [("", _("All"))]


def choice_filter(label, choices, unknown):
    """An optional filter among fixed choices; a value not among them is named in the message."""
    return forms.ChoiceField(
        label=label,
        choices=ALL + choices,
        required=False,
        widget=UnfoldAdminSelectWidget,
        error_messages={"invalid_choice": unknown},
    )


class ReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=UnfoldAdminSingleDateWidget)
    date_to = forms.DateField(label=_("To (included)"), widget=UnfoldAdminSingleDateWidget)
    grouping = forms.ChoiceField(
        label=_("Group by"),
        choices=Grouping.choices,
        widget=UnfoldAdminSelectWidget,
        error_messages={"invalid_choice": _("%(value)s is not a grouping: choose day, ISO week or month.")},
    )

    # Fields a listing (one row per document) has no use for.
    summary_only = ("grouping",)

    def __init__(self, data=None, *, user, listing=False, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        if listing:
            for name in self.summary_only:
                del self.fields[name]

    @classmethod
    def defaults(cls):
        """What a report opens with: this month to today, by day."""
        today = timezone.localdate()
        return {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat(), "grouping": Grouping.DAY}

    def _check_day(self, name):
        day = self.cleaned_data.get(name)
        if day is None:
            return None
        latest = timezone.localdate() + dt.timedelta(days=MAX_DAYS_AHEAD)
        if day < EARLIEST_DAY:
            self.add_error(name, _("Choose a day from %(day)s on.") % {"day": EARLIEST_DAY.isoformat()})
            return None
        if day > latest:
            self.add_error(
                name,
                _("%(day)s is more than a year ahead: choose a day up to %(latest)s.") % {"day": day, "latest": latest},
            )
            return None
        return day

    def clean(self):
        cleaned = super().clean()
        first, last = self._check_day("date_from"), self._check_day("date_to")
        if first and last:
            if last < first:
                self.add_error("date_to", _("The last day comes before the first: swap them."))
            elif (last - first).days + 1 > MAX_RANGE_DAYS:
                self.add_error(
                    "date_to",
                    _("A report covers at most %(max)s days (two years); this range is %(days)s days.")
                    % {"max": MAX_RANGE_DAYS, "days": (last - first).days + 1},
                )
        return cleaned

    @property
    def date_range(self):
        return DateRange(self.cleaned_data["date_from"], self.cleaned_data["date_to"])

    def filters(self):
        """The report's own filters, as keyword arguments of its selectors."""
        return {}

    def described_filters(self):
        """(label, value) of each filter that is set, for the report's heading."""
        shown = []
        for name, value in self.filters().items():
            if value in (None, ""):
                continue
            field = self.fields[name]
            if isinstance(field, forms.ModelChoiceField):
                text = field.label_from_instance(value)
            else:
                text = dict(field.choices).get(value, value)
            shown.append((field.label, str(text)))
        return shown


def staff_users():
    return User.objects.filter(is_staff=True).order_by("username")


class AgentField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=staff_users(),
            to_field_name="username",
            required=False,
            empty_label=_("Everyone"),
            widget=UnfoldAdminSelectWidget,
            error_messages={"invalid_choice": _("There is no agent with that user name.")},
            **kwargs,
        )

    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{user.username} ({name})" if name else user.username


class SalesReportForm(ReportForm):
    breakdown = forms.ChoiceField(
        label=_("By"),
        choices=[("route", _("Route")), ("fare_class", _("Fare class")), ("agent", _("Agent"))],
        widget=UnfoldAdminSelectWidget,
        error_messages={"invalid_choice": _("%(value)s is not a breakdown: choose route, fare class or agent.")},
    )
    agent = AgentField(label=_("Issued by"))
    fare_class = forms.ModelChoiceField(
        label=_("Fare class"),
        queryset=FareClass.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("All"),
        widget=UnfoldAdminSelectWidget,
        error_messages={"invalid_choice": _("There is no fare class with that letter.")},
    )

    summary_only = ("grouping", "breakdown")

    @classmethod
    def defaults(cls):
        return {**super().defaults(), "breakdown": "route"}

    def filters(self):
        return {"agent": self.cleaned_data.get("agent"), "fare_class": self.cleaned_data.get("fare_class")}


class RefundReportForm(ReportForm):
    status = choice_filter(_("Status"), Refund.Status.choices, _("%(value)s is not a refund status."))
    kind = choice_filter(_("Kind"), Refund.Kind.choices, _("%(value)s is not a kind of refund."))

    def filters(self):
        return {"status": self.cleaned_data.get("status"), "kind": self.cleaned_data.get("kind")}


class CashUpForm(ReportForm):
    """Whose drawer a user may open is the report's rule (reporting.reports.CashUp); the form only shows it."""

    agent = AgentField(label=_("Agent"))
    method = choice_filter(_("Method"), Payment.Method.choices, _("%(value)s is not a payment method."))

    def __init__(self, data=None, *, user, own_drawer_only=False, **kwargs):
        super().__init__(data, user=user, **kwargs)
        if own_drawer_only:
            agent = self.fields["agent"]
            agent.queryset = User.objects.filter(pk=user.pk)
            agent.empty_label = None
            agent.disabled = True
            agent.initial = user.username

    def filters(self):
        return {"agent": self.cleaned_data.get("agent"), "method": self.cleaned_data.get("method")}


class AirportCodeField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Airport.objects.all(),
            to_field_name="code",
            required=False,
            widget=UnfoldAdminTextInputWidget(attrs={"class": "bo-code", "placeholder": "CDG"}),
            error_messages={"invalid_choice": _("There is no airport with that code.")},
            **kwargs,
        )

    def to_python(self, value):
        return super().to_python((value or "").strip().upper() or None)


class LoadFactorForm(ReportForm):
    origin = AirportCodeField(label=_("From airport"))
    destination = AirportCodeField(label=_("To airport"))

    def filters(self):
        return {"origin": self.cleaned_data.get("origin"), "destination": self.cleaned_data.get("destination")}
