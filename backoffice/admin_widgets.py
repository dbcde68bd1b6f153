"""Autocomplete fields that take any value a URL or a tampered form may carry.

Django's autocomplete widget looks the chosen value up as it draws the field; a
value that is not a key of the related table ("abc", an id past the column's
range) made the page a server error on both databases, on the add page
(`?origin=abc`) and on a form sent back with its errors. Such a value simply
shows as nothing chosen; the form's own field says it is not a valid choice.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import connections
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _


def is_key_of(field, value, using):
    """Whether `value` could be a value of `field` (the related table's key) in the database."""
    try:
        python_value = field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    if isinstance(python_value, int):
        low, high = connections[using or "default"].ops.integer_field_range(field.get_internal_type())
        return (low is None or python_value >= low) and (high is None or python_value <= high)
    if isinstance(python_value, str):
        return "\x00" not in python_value
    return True


class CheckedAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        value = [v for v in value if is_key_of(target, v, self.db)]
        return super().optgroups(name, value, attr)


def _key_field(field):
    model = field.queryset.model
    return model._meta.get_field(field.to_field_name) if field.to_field_name else model._meta.pk


class CheckedModelChoiceField(forms.ModelChoiceField):
    """A choice sent back that cannot be a key (an id past the column's range, text for a number) is
    'not a valid choice' before any query: the database would refuse it with an error (a 500)."""

    def to_python(self, value):
        if value not in self.empty_values and not is_key_of(_key_field(self), value, self.queryset.db):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class CheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for one in value:
            if not is_key_of(_key_field(self), one, self.queryset.db):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": str(one)[:40]}
                )
        return super()._check_values(value)


class CheckedAutocompleteFields:
    """ModelAdmin mixin: every autocomplete field draws with CheckedAutocompleteSelect, and every related
    field checks what was sent back is a possible key before looking it up."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        kwargs.setdefault("form_class", CheckedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", CheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CheckedActionSelection:
    """ModelAdmin mixin: a bulk action's selection (`_selected_action`) sent back with a value that cannot be a
    key (text for a number, an id past the column's range, a NUL) or that names no record is said in words,
    and the action does nothing; so is an action posted by a role that has none on the list. Django filters
    the list by the values as sent: the database refused them with an error (a 500), or the action showed
    its confirmation page for nothing."""

    def changelist_view(self, request, extra_context=None):
        # A role with no action on this list: Django skips the action and shows the list, saying nothing.
        posted = request.method == "POST" and "index" in request.POST and "_save" not in request.POST
        if posted and request.POST.get("action") and not self.get_actions(request):
            self.message_user(request, _("No action selected."), messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        across = forms.BooleanField(required=False).to_python(request.POST.get("select_across"))
        if selected and not across:
            keys = [value for value in selected if is_key_of(self.model._meta.pk, value, queryset.db)]
            if not keys or not queryset.filter(pk__in=keys).exists():
                self.message_user(
                    request, _("None of the selected records exists (any more): nothing was done."), messages.WARNING
                )
                return None
            if len(keys) != len(selected):
                post = request.POST.copy()
                post.setlist(helpers.ACTION_CHECKBOX_NAME, keys)
                request.POST = post
        return super().response_action(request, queryset)
