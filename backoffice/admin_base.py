from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin


class CheckedHistoryViewMixin:
    """History is for reading: a past version is shown, never saved back."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's version page saves the object on POST, with only view permission checked;
        # restoring an old version would also bypass every service rule.
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # simple-history looks the key up unchecked: a mistyped URL would be a server error.
        try:
            self.opts.pk.to_python(unquote(object_id))
        except ValidationError:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)


class HistoryModelAdmin(CheckedHistoryViewMixin, SimpleHistoryAdmin, ModelAdmin):
    """Unfold-styled admin with the record's history (and who made each change) one click away."""
