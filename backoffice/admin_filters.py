"""List filters: django-admin-rangefilter's date range drawn with unfold's widgets, and unfold's
autocomplete filter, both refusing values the database cannot take; "mine" for one's own records.

rangefilter does the querying (a whole day at each end, in the business time
zone); unfold's template and date widget make it look like the other filters.
"""

import datetime as dt
from collections import OrderedDict

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.core.validators import EMPTY_VALUES, MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from rangefilter.filters import DateRangeFilter as RangefilterDateRangeFilter
from unfold.contrib.filters.admin import AutocompleteSelectFilter as UnfoldAutocompleteSelectFilter
from unfold.widgets import UnfoldAdminSingleDateWidget

# A day at either end of the calendar cannot take the filter's whole day and time zone
# (SQLite raised OverflowError on 0001-01-01): the range stays well inside it.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
OUT_OF_RANGE = _("Enter a date between %(first)s and %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY}


class DateRangeFilter(RangefilterDateRangeFilter):
    template = "unfold/filters/filters_date_range.html"

    def _date_field(self, placeholder, initial):
        return forms.DateField(
            label="",
            widget=UnfoldAdminSingleDateWidget(attrs={"placeholder": placeholder}),
            required=False,
            initial=initial,
            validators=[
                MinValueValidator(FIRST_DAY, message=OUT_OF_RANGE),
                MaxValueValidator(LAST_DAY, message=OUT_OF_RANGE),
            ],
        )

    def _get_form_fields(self):
        return OrderedDict(
            (
                (self.lookup_kwarg_gte, self._date_field(_("From"), self.default_gte)),
                (self.lookup_kwarg_lte, self._date_field(_("To"), self.default_lte)),
            )
        )

    def choices(self, changelist):
        yield {"form": self.form, "request": self.request}


class AutocompleteSelectFilter(UnfoldAutocompleteSelectFilter):
    """A value that cannot be a key of the related model (a 20-digit number overflowed SQLite)
    is a mistyped filter: the list says so, as it does for any other bad filter value."""

    def queryset(self, request, queryset):
        value = self.value()
        if value not in EMPTY_VALUES:
            key = self.field.target_field
            try:
                key.run_validators(key.to_python(value))
            except ValidationError as error:
                raise IncorrectLookupParameters(error) from error
        return super().queryset(request, queryset)


def mine_filter(field, title):
    """A list filter keeping the records whose `field` is the person looking (`?mine=1`): the links of
    the home page's "my holds" and "my sales" open the list this way, for whoever follows them."""

    class MineFilter(admin.SimpleListFilter):
        parameter_name = "mine"

        def lookups(self, request, model_admin):
            return [("1", _("Mine"))]

        def queryset(self, request, queryset):
            if self.value() == "1":
                return queryset.filter(**{field: request.user})
            return queryset

    MineFilter.title = title
    return MineFilter
