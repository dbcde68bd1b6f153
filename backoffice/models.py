"""History for Django's own user and group tables (the roles live in groups)."""

from django.contrib.auth.models import Group, User
from simple_history import register

# Password hashes and login stamps are not audit material.
register(User, app=__package__, excluded_fields=["password", "last_login"])
register(Group, app=__package__)
