import dataclasses
import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import ForeignKey, QuerySet
from django.http import Http404, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper
from unfold.admin import ModelAdmin
from unfold.templatetags import unfold_list

from backoffice.admin_widgets import CheckedActionSelection, CheckedAutocompleteFields
from backoffice.errors import DomainError
from backoffice.related_history import related_history_sources


class ReadableChanges(HistoricalRecordContextHelper):
    """A history row's changed values as the rest of the admin prints them.

    Times on the 24-hour clock with their zone, dates as dates, choices by their label, yes/no, nothing for
    empty. The record's admin may print a field its own way (`history_value(record, field_name, value)`: a
    flight's departure in its airport's zone) and name it (`history_labels`).
    """

    def __init__(self, model, historical_record, *, model_admin=None):
        super().__init__(model, historical_record)
        self.model_admin = model_admin

    def format_delta_change(self, change):
        formatted = super().format_delta_change(change)
        label = getattr(self.model_admin, "history_labels", {}).get(change.field)
        return dataclasses.replace(formatted, field=label) if label else formatted

    def prepare_delta_change_value(self, change, value):
        shown = getattr(self.model_admin, "history_value", None)
        shown = shown(self.record, change.field, value) if shown and value is not None else None
        if shown is not None:
            return shown
        field = self.model._meta.get_field(change.field)
        # diff_against stands an empty foreign key in as a "deleted" object without a key.
        if value is None or value == "" or (isinstance(value, DeletedObject) and value.pk is None):
            return ""
        if isinstance(value, dt.datetime):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if isinstance(value, dt.date):
            return formats.date_format(value, "DATE_FORMAT")
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return super().prepare_delta_change_value(change, value)


def _with_tracked_relations(rows):
    """The rows with the records their foreign keys point at, so diffs and labels need no further query."""
    names = [f.name for f in rows.model.tracked_fields if isinstance(f, ForeignKey)]
    return rows.select_related("history_user", *names)


class CheckedHistoryViewMixin:
    """History is for reading: a past version is shown, never saved back.

    A model whose records others are tied to (a booking's tickets, payments, refunds: see
    backoffice/related_history.py) shows their changes on its history page too, merged in time order.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """One past version, read: every field shows as its value, related records as links.

        simple-history's own page saves the object on POST with only view permission checked (restoring
        an old version would bypass every service rule), looks both keys up unchecked, and draws the
        admin's edit form: a select of every fare bucket costs a query per option. This page asks the
        admin only which fields its change page shows, so no admin's own form or read-only list can
        bring a choice back; its queries do not grow with the tables the record points into.
        """
        if request.method != "GET" or not self.has_view_or_change_permission(request):
            raise PermissionDenied
        history_model = self.model.history.model
        try:
            record_id = self.opts.pk.to_python(unquote(object_id))
            version_id = history_model._meta.pk.to_python(version_id)
            version = history_model.objects.get(**{self.opts.pk.attname: record_id, "history_id": version_id})
        except (ValidationError, history_model.DoesNotExist):
            raise Http404(_("No such version.")) from None
        obj = version.instance
        obj._state.adding = False
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        fieldsets = self._version_fieldsets(request, obj)
        form = forms.modelform_factory(self.model, fields=[])(instance=obj)
        admin_form = helpers.AdminForm(form, fieldsets, {}, flatten_fieldsets(fieldsets), model_admin=self)
        url_names = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "title": _("View %s") % obj,
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "media": self.media + admin_form.media,
            "errors": [],
            "app_label": self.opts.app_label,
            "original_opts": self.opts,
            # The model's own breadcrumbs, not the history table's (User's lives in another app).
            "opts": self.opts,
            "changelist_url": reverse(f"{url_names}_changelist"),
            "change_url": reverse(f"{url_names}_change", args=[obj.pk]),
            "history_url": reverse(f"{url_names}_history", args=[obj.pk]),
            "change_history": False,
            "revert_disabled": True,
            "add": False,
            "change": True,
            "has_add_permission": False,
            "has_view_permission": True,
            "has_change_permission": False,
            "has_delete_permission": False,
            "has_file_field": False,
            "has_absolute_url": False,
            "form_url": "",
            "save_as": False,
            "save_on_top": False,
            **(extra_context or {}),
        }
        return self.render_history_view(request, self.object_history_form_template, context)

    def _version_fieldsets(self, request, obj):
        """The change page's fieldsets, less what the history does not keep (a user's password) and would
        otherwise show as today's value, and less the edit form's own fields that are no field, column or
        method of the record (they would have nothing to read)."""
        kept = {f.name for f in self.model.history.model._meta.get_fields()}
        model_fields = {f.name for f in self.opts.get_fields()}

        def readable(name):
            if callable(name):
                return True
            if name in model_fields:
                return name in kept
            return hasattr(self, name) or hasattr(self.model, name)

        fieldsets = []
        for title, options in self.get_fieldsets(request, obj):
            fields = [
                row if not isinstance(row, list | tuple) else [f for f in row if readable(f)]
                for row in options["fields"]
                if isinstance(row, list | tuple) or readable(row)
            ]
            fields = [row for row in fields if row]
            if fields:
                fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def history_view(self, request, object_id, extra_context=None):
        # Who may not read these records is turned away first, whatever the URL (as on the change page).
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        # simple-history looks the key up unchecked: a mistyped URL would be a server error.
        try:
            self.opts.pk.to_python(unquote(object_id))
        except ValidationError:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        sources = related_history_sources(self.model)
        if not sources:
            return super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        paginator = Paginator(self._whole_story(request, obj, sources), self.history_list_per_page)
        page_obj = paginator.get_page(request.GET.get(PAGE_VAR))
        context = {
            **self.admin_site.each_context(request),
            "title": self.history_view_title(request, obj),
            "object_history_list_template": self.object_history_list_template,
            "page_obj": page_obj,
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.count > self.history_list_per_page,
            "module_name": capfirst(self.opts.verbose_name_plural),
            "object": obj,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "history_list_display": [],
            "revert_disabled": self.revert_disabled(request, obj),
            **(extra_context or {}),
        }
        return self.render_history_view(request, self.object_history_template, context)

    def _whole_story(self, request, obj, sources):
        """Every history row of the record and of those tied to it, newest first, each with its changes.

        One query per kind of record, whatever their number.
        """
        own_label = f"{capfirst(self.opts.verbose_name)} {obj}"
        # On a history table `pk` is the history row's own key: the record's key is its field of the same name.
        own_rows = self.model.history.filter(**{self.opts.pk.attname: obj.pk})
        kinds = [(self.model, own_rows, lambda row: own_label)]
        kinds += [(source.model, source.rows(obj), source.describe) for source in sources]
        story = []
        for order, (model, rows, describe) in enumerate(kinds):
            model_admin = self.admin_site._registry.get(model)
            can_view = model_admin is not None and model_admin.has_view_permission(request)
            previous = {}
            for row in _with_tracked_relations(rows).order_by("history_date", "history_id"):
                key = getattr(row, model._meta.pk.attname)
                row.history_label = describe(row)
                row.version_url = self._version_url(model, key, row.history_id) if can_view else None
                if key in previous:
                    delta = row.diff_against(previous[key], foreign_keys_are_objs=True)
                    helper = ReadableChanges(model, row, model_admin=model_admin)
                    row.history_delta_changes = helper.context_for_delta_changes(delta)
                previous[key] = row
                story.append((row.history_date, order, row.history_id, row))
        story.sort(key=lambda entry: entry[:3], reverse=True)
        return [row for *_, row in story]

    def _version_url(self, model, object_id, history_id):
        try:
            return reverse(
                f"{self.admin_site.name}:{model._meta.app_label}_{model._meta.model_name}_simple_history",
                args=[object_id, history_id],
            )
        except NoReverseMatch:
            return None

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record, model_admin=self)

    def render_history_view(self, request, template, context, **kwargs):
        page = context.get("page_obj")
        # A column of "None" says nothing: it shows only when some row gives a reason.
        context["show_change_reason"] = bool(page) and any(row.history_change_reason for row in page)
        return super().render_history_view(request, template, context, **kwargs)


def _same_record(refusal, form):
    """Whether the refusal is about the record `form` edits."""
    record, instance = refusal.record, form.instance
    if record is None or type(record) is not type(instance):
        return False
    if record.pk is not None or instance.pk is not None:
        return record.pk == instance.pk
    # Two rows not saved yet: the one that typed the value at fault.
    return refusal.field is not None and form.cleaned_data.get(refusal.field) == getattr(record, refusal.field, None)


def _reporting(form_class, refusal, *, claims):
    """The form class, with the service's refusal among its own errors when `claims(form)`."""

    class RefusedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            if claims(self):
                self.add_error(refusal.field if refusal.field in self.fields else None, str(refusal))
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


class ServiceRefusalsOnTheForm:
    """What the service refuses while the admin saves comes back on the form, as if the form had found it.

    Forms check what was typed; the rules that depend on the database (capacity against the seats
    sold, read under the row lock) are the services'. When `save_model` or `save_formset` raises a
    `DomainError`, the admin's transaction is rolled back and the page is built again from the same
    POST, with the refusal on the field it names: on the inline row it is about (`record`), else on
    the main form.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            if request.method != "POST" or getattr(request, "service_refusal", None) is not None:
                raise
            request.service_refusal = refusal
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            # Refused again, on a row the page no longer shows: say so above the form, written nothing.
            messages.error(request, str(refusal))
            return HttpResponseRedirect(request.get_full_path())

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "service_refusal", None)
        if refusal is None:
            return form
        inline_models = {inline.model for inline in self.get_inline_instances(request, obj)}
        return _reporting(
            form,
            refusal,
            claims=lambda f: type(refusal.record) not in inline_models or _same_record(refusal, f),
        )

    def get_formsets_with_inlines(self, request, obj=None):
        refusal = getattr(request, "service_refusal", None)
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if refusal is not None and type(refusal.record) is inline.model:
                form = _reporting(formset.form, refusal, claims=lambda f: _same_record(refusal, f))
                formset = type(formset.__name__, (formset,), {"form": form})
            yield formset, inline


def _result_headers_once(cl, _result_headers=unfold_list.result_headers):
    """Unfold's list template builds the column headers again for every row (14 columns x 100 rows: a third
    of a list page's time): built once per list here, as Django's own template does."""
    headers = getattr(cl, "_unfold_result_headers", None)
    if headers is None:
        headers = cl._unfold_result_headers = list(_result_headers(cl))
    return iter(headers)


unfold_list.result_headers = _result_headers_once


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts millions of rows.

    It counts exactly up to EXACT_UP_TO rows (`SELECT count(*) FROM (... LIMIT n)`: the cost of reading
    n rows of the list, whatever the table's size). Past that, on PostgreSQL, the number of pages is the
    planner's estimate (pg_class.reltuples for a whole table, EXPLAIN for a filtered or searched list):
    the last pages of a long list may be a little short or empty, the first ones are exact. On SQLite
    (the embedded demo, thousands of rows) it counts.
    """

    EXACT_UP_TO = 1000

    def page(self, number):
        """Past the first page, the page's keys are read first (from the ordering's index alone), then
        only those rows with everything they show: OFFSET would otherwise compute every skipped row's
        joins and subqueries (a far page of bookings, their first flights). One more query, past page 1."""
        rows = self.object_list
        number = self.validate_number(number)
        if number == 1 or not isinstance(rows, QuerySet):
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(rows.values_list("pk", flat=True)[bottom:top])
        return self._get_page(rows.filter(pk__in=keys), number, self)

    @cached_property
    def count(self):
        rows = self.object_list
        connection = connections[rows.db]
        if connection.vendor != "postgresql":
            return rows.count()
        # Keys alone: the list's annotations (the bookings' first flight) are not computed to be counted.
        counted = rows.order_by().values("pk")[: self.EXACT_UP_TO + 1].count()
        if counted <= self.EXACT_UP_TO:
            return counted
        return max(counted, _estimated_rows(rows, connection))


def _estimated_rows(rows, connection):
    """The planner's row estimate for a queryset (PostgreSQL): one catalogue read, or one EXPLAIN."""
    with connection.cursor() as cursor:
        if not rows.query.where:
            cursor.execute(
                "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
                [rows.model._meta.db_table],
            )
        else:
            sql, params = rows.order_by().values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        row = cursor.fetchone()
    if not rows.query.where:
        return int(row[0])
    plan = row[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class ReadOnlyAdminMixin:
    """Records nobody adds, changes or deletes through the admin: a log, a list of what a service, an import or
    a job wrote. Put it first among the admin's bases. Who may read them stays the admin's own view permission
    (Django's: the model's view or change permission); anything the records allow is a confirmed action of its own.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryModelAdmin(
    CheckedActionSelection,
    CheckedAutocompleteFields,
    ServiceRefusalsOnTheForm,
    CheckedHistoryViewMixin,
    SimpleHistoryAdmin,
    ModelAdmin,
):
    """Unfold-styled admin with the record's history (and who made each change) one click away.

    Its lists stay fast at millions of rows: no second count of the whole table, an estimated count past
    a thousand rows (EstimatedCountPaginator), no facet counts.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER

    def add_view(self, request, form_url="", extra_context=None):
        # Django checks ?_to_field= before asking whether the person may add at all: whoever may not
        # is turned away (403) whatever the query string, not told the query is malformed (400).
        if not self.has_add_permission(request):
            raise PermissionDenied
        return super().add_view(request, form_url, extra_context)
