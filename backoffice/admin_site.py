import re

from django.conf import settings
from django.core.paginator import InvalidPage
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite


def environment_badge(request):
    """The coloured label unfold shows beside the site name."""
    if settings.DEMO:
        return [_("Demo data"), "warning"]
    if settings.DEBUG:
        return [_("Development"), "info"]
    return None


class BackofficeAdminSite(UnfoldAdminSite):
    """unfold's admin site (the default one, through `BackofficeAdminConfig`)."""

    def password_change(self, request, extra_context=None):
        from backoffice import accounts

        response = super().password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            # The owner chose their own password: nothing more to change, and the history says so.
            accounts.password_was_set(user=request.user, by=request.user)
            request.session.pop(accounts.SESSION_KEY, None)
        return response

    def search(self, request, extra_context=None):
        # unfold reads ?page= unchecked: text or a page past the last was a server error.
        page = request.GET.get("page")
        if page is not None and not re.fullmatch(r"[1-9][0-9]{0,5}", page):
            raise Http404(_("No such page of results."))
        try:
            return super().search(request, extra_context)
        except InvalidPage as error:
            raise Http404(_("No such page of results.")) from error
