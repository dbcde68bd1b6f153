"""Nothing a person sees depends on which app server answered: no process keeps anything between requests."""

from django.contrib.auth.models import Group
from django.test import Client

from backoffice.roles import COUNTER_STAFF


def test_the_sidebar_search_stops_offering_pages_once_the_role_that_opened_them_is_taken_away(counter_user):
    client = Client()
    client.force_login(counter_user)
    assert "/admin/sales/booking/" in client.get("/admin/search/?s=booking").content.decode()
    counter_user.groups.remove(Group.objects.get(name=COUNTER_STAFF))
    # The same process, a moment later (unfold kept each user's results 5 minutes in the process's own cache).
    assert "/admin/sales/booking/" not in client.get("/admin/search/?s=booking").content.decode()
