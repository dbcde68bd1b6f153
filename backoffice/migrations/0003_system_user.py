from django.contrib.auth.hashers import make_password
from django.db import migrations


def create_system_user(apps, schema_editor):
    User = apps.get_model("auth", "User")
    User.objects.get_or_create(
        username="system",
        defaults={
            "first_name": "System",
            "last_name": "(automatic)",
            "is_active": False,
            "is_staff": False,
            # Nobody logs in as the system.
            "password": make_password(None),
        },
    )


def remove_system_user(apps, schema_editor):
    apps.get_model("auth", "User").objects.filter(username="system").delete()


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0002_roles")]

    operations = [migrations.RunPython(create_system_user, remove_system_user)]
