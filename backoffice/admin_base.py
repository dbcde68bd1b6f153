from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin


class CheckedHistoryViewMixin:
    def history_view(self, request, object_id, extra_context=None):
        # simple-history looks the key up unchecked: a mistyped URL would be a server error.
        try:
            self.opts.pk.to_python(unquote(object_id))
        except ValidationError:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)


class HistoryModelAdmin(CheckedHistoryViewMixin, SimpleHistoryAdmin, ModelAdmin):
    """Unfold-styled admin with the record's history (and who made each change) one click away."""
