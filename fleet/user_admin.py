"""Fleet's part of the user page: the airport the person works at.

The user admin lives in backoffice, which cannot import fleet (apps import only downwards), so
fleet plugs in when the app is ready (`FleetConfig.ready`), as sales does on the flight page.
"""

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from unfold.admin import StackedInline

from fleet.models import StaffStation


class StaffStationInline(StackedInline):
    model = StaffStation
    fields = ["airport"]
    autocomplete_fields = ["airport"]
    extra = 1
    max_num = 1
    # Emptied, never deleted: the station's history stays with the person.
    can_delete = False
    verbose_name = _("station")
    verbose_name_plural = _("station")


class WithStation:
    def get_inlines(self, request, obj):
        # Django adds a user in two steps, name and password first: the station is set on the next page.
        inlines = super().get_inlines(request, obj)
        return [*inlines, StaffStationInline] if obj is not None else inlines


def add_to_user_page(site):
    user_admin = type(site._registry[User])
    site.unregister(User)
    site.register(User, type(user_admin.__name__, (WithStation, user_admin), {"__module__": __name__}))
