import logging

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from backoffice import accounts, job_admin  # noqa: F401  (job_admin: each person's jobs)
from backoffice.admin_base import CheckedHistoryViewMixin, ReadOnlyAdminMixin
from backoffice.admin_filters import DateRangeFilter
from backoffice.admin_widgets import CheckedActionSelection, CheckedAutocompleteFields

logger = logging.getLogger("backoffice.login")

admin.site.unregister(User)
admin.site.unregister(Group)

SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")
OWN_ACCOUNT_READ_ONLY = ("groups", "user_permissions", "is_superuser", "is_staff", "is_active")


class PasswordSetForm(AdminPasswordChangeForm):
    """Another user's password, set: the page draws the two password fields and nothing else. Django's form
    also takes `usable_password`, which the page does not offer: sent back as "false" it removed the password,
    and any other value was an error on no field the page draws."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = self.fields["password2"].required = True


@admin.register(User)
class UserAdmin(
    CheckedActionSelection,
    CheckedAutocompleteFields,
    CheckedHistoryViewMixin,
    SimpleHistoryAdmin,
    DjangoUserAdmin,
    ModelAdmin,
):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = PasswordSetForm
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Roles are given through groups; only a superuser grants superuser or one-off permissions.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            # Nobody changes their own roles, permissions or standing (PRODUCT.md, Roles).
            fields += [name for name in OWN_ACCOUNT_READ_ONLY if name not in fields]
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            accounts.password_was_set(user=obj, by=request.user)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=unquote(id))
            accounts.password_was_set(user=user, by=request.user)
            if user.pk == request.user.pk:
                request.session.pop(accounts.SESSION_KEY, None)
        return response


@admin.register(Group)
class GroupAdmin(
    CheckedActionSelection,
    CheckedAutocompleteFields,
    CheckedHistoryViewMixin,
    SimpleHistoryAdmin,
    DjangoGroupAdmin,
    ModelAdmin,
):
    list_display = ["name"]


# --- Login throttling (django-axes): lockouts an Admin can lift, and every attempt ---------


class _ReadOnlyLogAdmin(ReadOnlyAdminMixin, CheckedActionSelection, ModelAdmin):
    """A log: read, searched and filtered, never written by hand."""

    list_filter = [("attempt_time", DateRangeFilter)]
    search_fields = ["username"]
    date_hierarchy = None
    show_full_result_count = False

    def history_view(self, request, object_id, extra_context=None):
        # Django's history page looks the record up before asking who may read it.
        if not self.has_view_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


@admin.register(AccessAttempt)
class LoginLockoutAdmin(_ReadOnlyLogAdmin):
    """Failed log-ins counted per user name and address; deleting the row lifts the lock."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "locked_until"]
    fields = ["username", "ip_address", "user_agent", "path_info", "failures_since_start", "attempt_time"]
    readonly_fields = fields
    ordering = ["-attempt_time"]
    actions = ["lift_lock"]

    def has_delete_permission(self, request, obj=None):
        # Deleting the record (its page or the action) is lifting the lock.
        return request.user.has_perm("axes.delete_accessattempt")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("Locked until"))
    def locked_until(self, attempt):
        if attempt.failures_since_start < settings.AXES_FAILURE_LIMIT:
            return "—"
        until = attempt.attempt_time + settings.AXES_COOLOFF_TIME
        if until <= timezone.now():
            return _("lifted (expired)")
        return date_format(timezone.localtime(until), "j M H:i T")

    def has_lift_lock_permission(self, request):
        return request.user.has_perm("axes.delete_accessattempt")

    @action(description=_("Lift the lock"), permissions=["lift_lock"])
    def lift_lock(self, request, queryset):
        attempts = list(queryset)
        self.log_deletions(request, attempts)
        for attempt in attempts:
            logger.info(
                "login lock lifted by %s: user %r, address %s",
                request.user.get_username(),
                attempt.username,
                attempt.ip_address,
            )
        AccessAttempt.objects.filter(pk__in=[attempt.pk for attempt in attempts]).delete()
        self.message_user(
            request,
            ngettext("Lifted %(count)d lock.", "Lifted %(count)d locks.", len(attempts)) % {"count": len(attempts)},
            messages.SUCCESS,
        )


@admin.register(AccessLog)
class LoginLogAdmin(_ReadOnlyLogAdmin):
    list_display = ["username", "ip_address", "attempt_time", "logout_time", "user_agent"]
    fields = ["username", "ip_address", "user_agent", "path_info", "attempt_time", "logout_time"]
    readonly_fields = fields
    ordering = ["-attempt_time"]


@admin.register(AccessFailureLog)
class FailedLoginLogAdmin(_ReadOnlyLogAdmin):
    list_display = ["username", "ip_address", "attempt_time", "locked_out", "user_agent"]
    fields = ["username", "ip_address", "user_agent", "path_info", "attempt_time", "locked_out"]
    readonly_fields = fields
    list_filter = ["locked_out", ("attempt_time", DateRangeFilter)]
    ordering = ["-attempt_time"]
