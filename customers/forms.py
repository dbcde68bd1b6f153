"""What a passenger types, field by field; nothing here reads the database."""

import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm, UsernameField
from django.utils.translation import gettext_lazy as _

from sales.services import iata_capitals

# Letters and digits without 0, O, 1, I (PRODUCT.md, Bookings); the passenger may type spaces and small letters.
RECORD_LOCATOR = re.compile(r"[A-HJ-NP-Z2-9]{6}")
# A name as a passport prints it: letters (any script, accents), spaces, hyphens, apostrophes, dots.
SURNAME = re.compile(r"[^\W\d_][^\W\d_ .'’-]*(?:[ .'’-]+[^\W\d_]+)*[.]?")


class LookupForm(forms.Form):
    record_locator = forms.CharField(
        label=_("Booking reference (record locator)"),
        max_length=12,
        help_text=_("Six letters and digits, e.g. K7WQ2M: on your receipt and confirmation e-mail."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    surname = forms.CharField(
        label=_("Surname of a passenger on the booking"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )

    def clean_record_locator(self):
        locator = "".join(self.cleaned_data["record_locator"].split()).upper()
        if not RECORD_LOCATOR.fullmatch(locator):
            raise forms.ValidationError(
                _("A booking reference is six letters and digits (no 0, O, 1 or I), e.g. K7WQ2M."), code="invalid"
            )
        return locator

    def clean_surname(self):
        surname = self.cleaned_data["surname"].strip()
        if any(character.isdigit() for character in surname):
            raise forms.ValidationError(_("A surname has no digits."), code="digits")
        if not SURNAME.fullmatch(surname) or not iata_capitals(surname):
            raise forms.ValidationError(
                _("Type the surname with letters, spaces, hyphens and apostrophes only."), code="invalid"
            )
        return iata_capitals(surname)


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=150,
        help_text=_("The address your bookings were made with. We send a link to it to confirm it is yours."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ChoosePasswordForm(SetPasswordForm):
    """The confirmation page: the address's owner chooses the password (Django's validators apply)."""


class CustomerLoginForm(AuthenticationForm):
    """Log in with the e-mail address; staff accounts are refused here (they use the back office)."""

    username = UsernameField(
        label=_("E-mail address"), max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The e-mail address or the password is wrong, or the address is not confirmed yet."),
        "staff": _("Staff accounts cannot log in here: use the back office."),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_staff or user.is_superuser:
            raise forms.ValidationError(self.error_messages["staff"], code="staff")


class CustomerPasswordResetForm(PasswordResetForm):
    """Only confirmed customer accounts get a reset link; the page says the same for any address."""

    email = forms.EmailField(
        label=_("E-mail address"), max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email):
        return (user for user in super().get_users(email) if not user.is_staff and not user.is_superuser)
