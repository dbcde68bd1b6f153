"""Forms of the counter workflow: what the agent types, checked field by field."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminEmailInputWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminRadioSelectWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextInputWidget,
)

from sales.models import Passenger, Payment
from sales.selectors import MAX_WINDOW_DAYS, UnknownLocation, airports_for
from sales.services import MAX_PASSENGERS, TITLES


def _location(value, label):
    code = (value or "").strip().upper()
    try:
        airports_for(code)
    except UnknownLocation as error:
        raise ValidationError(str(error)) from error
    return code


def _a_year_before(day):
    """The same day a year earlier; 29 February goes back to 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


class SearchForm(forms.Form):
    origin = forms.CharField(
        label=_("From"),
        max_length=3,
        widget=UnfoldAdminTextInputWidget(
            attrs={"list": "bo-locations", "placeholder": "PAR or CDG", "autocomplete": "off", "class": "bo-code"}
        ),
    )
    destination = forms.CharField(
        label=_("To"),
        max_length=3,
        widget=UnfoldAdminTextInputWidget(
            attrs={"list": "bo-locations", "placeholder": "LON or LHR", "autocomplete": "off", "class": "bo-code"}
        ),
    )
    date = forms.DateField(label=_("Departure date"), widget=UnfoldAdminSingleDateWidget)
    return_date = forms.DateField(label=_("Return date"), required=False, widget=UnfoldAdminSingleDateWidget)
    window = forms.IntegerField(
        label=_("± days"),
        min_value=0,
        max_value=MAX_WINDOW_DAYS,
        initial=0,
        required=False,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    adults = forms.IntegerField(
        label=_("Adults"), min_value=0, max_value=MAX_PASSENGERS, initial=1, widget=UnfoldAdminIntegerFieldWidget
    )
    children = forms.IntegerField(
        label=_("Children (2-11)"),
        min_value=0,
        max_value=MAX_PASSENGERS,
        initial=0,
        required=False,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    infants = forms.IntegerField(
        label=_("Infants (under 2)"),
        min_value=0,
        max_value=MAX_PASSENGERS,
        initial=0,
        required=False,
        widget=UnfoldAdminIntegerFieldWidget,
    )

    def _clean_day(self, name):
        day = self.cleaned_data.get(name)
        if day is not None and not (_a_year_before(timezone.localdate()) <= day <= dt.date(2099, 12, 31)):
            raise ValidationError(_("Choose a date between a year ago and 2099."))
        return day

    def clean_date(self):
        return self._clean_day("date")

    def clean_return_date(self):
        return self._clean_day("return_date")

    def clean_origin(self):
        return _location(self.cleaned_data["origin"], "origin")

    def clean_destination(self):
        return _location(self.cleaned_data["destination"], "destination")

    def clean(self):
        cleaned = super().clean()
        for name in ("window", "children", "infants"):
            cleaned[name] = cleaned.get(name) or 0
        origin, destination = cleaned.get("origin"), cleaned.get("destination")
        if origin and destination and origin == destination:
            self.add_error("destination", _("Choose a destination other than the origin."))
        adults, children, infants = cleaned.get("adults") or 0, cleaned["children"], cleaned["infants"]
        if "adults" in cleaned and adults + children == 0:
            self.add_error("adults", _("At least one adult or child takes a seat."))
        if adults + children + infants > MAX_PASSENGERS:
            self.add_error(None, _("A booking holds at most %(max)s passengers.") % {"max": MAX_PASSENGERS})
        if infants > adults:
            self.add_error("infants", _("Each infant travels on an adult's lap: at most one infant per adult."))
        date, return_date = cleaned.get("date"), cleaned.get("return_date")
        if date and return_date and return_date < date:
            self.add_error("return_date", _("The return cannot be before the departure."))
        return cleaned

    @property
    def seats(self):
        return self.cleaned_data["adults"] + self.cleaned_data["children"]


class PassengerForm(forms.Form):
    # Hidden: the types come from the search. A value sent back that is not one of them was not typed here.
    passenger_type = forms.ChoiceField(
        choices=Passenger.Type.choices,
        widget=forms.HiddenInput,
        error_messages=dict.fromkeys(
            ("required", "invalid_choice"), _("The passengers do not match the search: start again from the search.")
        ),
    )
    title = forms.ChoiceField(
        label=_("Title"),
        choices=[("", "—"), *[(t, t) for t in TITLES]],
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    surname = forms.CharField(label=_("Surname"), max_length=40, widget=UnfoldAdminTextInputWidget)
    given_names = forms.CharField(label=_("Given names"), max_length=40, widget=UnfoldAdminTextInputWidget)
    infant_of = forms.TypedChoiceField(
        label=_("On the lap of"), coerce=int, required=False, empty_value=None, widget=UnfoldAdminSelectWidget
    )

    def __init__(self, *args, adults=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["infant_of"].choices = [("", "—"), *[(n, _("Passenger %(n)s") % {"n": n}) for n in adults]]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("passenger_type") == Passenger.Type.INFANT and not cleaned.get("infant_of"):
            self.add_error("infant_of", _("Choose the adult this infant travels with."))
        return cleaned


class BaseSeatFormSet(forms.BaseFormSet):
    def __init__(self, *args, adults=(), **kwargs):
        self.adults = adults
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "adults": self.adults}


PassengerFormSet = forms.formset_factory(
    PassengerForm, formset=BaseSeatFormSet, extra=0, min_num=1, max_num=MAX_PASSENGERS, validate_max=True
)


class ContactForm(forms.Form):
    HOLD = "hold"
    PAY_NOW = "pay_now"

    contact_name = forms.CharField(label=_("Contact name"), max_length=100, widget=UnfoldAdminTextInputWidget)
    contact_email = forms.EmailField(label=_("Contact e-mail"), max_length=254, widget=UnfoldAdminEmailInputWidget)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, widget=UnfoldAdminTextInputWidget)
    then = forms.ChoiceField(
        label=_("Then"),
        choices=[(HOLD, _("Hold the seats (pay later)")), (PAY_NOW, _("Take payment now and issue"))],
        initial=HOLD,
        widget=UnfoldAdminRadioSelectWidget,
    )
    method = forms.ChoiceField(
        label=_("Payment method"),
        choices=[("", "—"), *Payment.Method.choices],
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    reference = forms.CharField(
        label=_("Payment reference"), max_length=60, required=False, widget=UnfoldAdminTextInputWidget
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("then") == self.PAY_NOW and not cleaned.get("method"):
            self.add_error("method", _("Choose how the passenger pays."))
        return cleaned


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=12, decimal_places=2, min_value=0.01, widget=UnfoldAdminDecimalFieldWidget
    )
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices, widget=UnfoldAdminSelectWidget)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=60,
        required=False,
        help_text=_("Card authorisation or transfer reference; not needed for cash."),
        widget=UnfoldAdminTextInputWidget,
    )
