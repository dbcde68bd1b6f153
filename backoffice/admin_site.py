from django.conf import settings
from django.utils.translation import gettext_lazy as _


def environment_badge(request):
    """The coloured label unfold shows beside the site name."""
    if settings.DEMO:
        return [_("Demo data"), "warning"]
    if settings.DEBUG:
        return [_("Development"), "info"]
    return None
