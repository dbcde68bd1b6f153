"""django-admin-rangefilter's date range, drawn with unfold's filter widgets.

rangefilter does the querying (a whole day at each end, in the business time
zone); unfold's template and date widget make it look like the other filters.
"""

from collections import OrderedDict

from django import forms
from django.utils.translation import gettext_lazy as _
from rangefilter.filters import DateRangeFilter as RangefilterDateRangeFilter
from unfold.widgets import UnfoldAdminSingleDateWidget


class DateRangeFilter(RangefilterDateRangeFilter):
    template = "unfold/filters/filters_date_range.html"

    def _get_form_fields(self):
        return OrderedDict(
            (
                (
                    self.lookup_kwarg_gte,
                    forms.DateField(
                        label="",
                        widget=UnfoldAdminSingleDateWidget(attrs={"placeholder": _("From")}),
                        required=False,
                        initial=self.default_gte,
                    ),
                ),
                (
                    self.lookup_kwarg_lte,
                    forms.DateField(
                        label="",
                        widget=UnfoldAdminSingleDateWidget(attrs={"placeholder": _("To")}),
                        required=False,
                        initial=self.default_lte,
                    ),
                ),
            )
        )

    def choices(self, changelist):
        yield {"form": self.form, "request": self.request}
