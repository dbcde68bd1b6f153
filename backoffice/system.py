"""The account that automatic work (commands, cron, imports from a shell) acts as,
so that every history row names who made the change."""

from django.contrib.auth.models import User

SYSTEM_USERNAME = "system"


def system_user():
    return User.objects.get(username=SYSTEM_USERNAME)
