from django.db import migrations

from backoffice.roles import apply_role_permissions

VIEW = ["view"]
MANAGE = ["add", "change", "delete", "view"]

# Frozen here: later migrations carry their own matrix rather than edit this one.
ROLE_PERMISSIONS = {
    "Admin": {
        "fleet.city": MANAGE,
        "fleet.airport": MANAGE,
        "fleet.aircrafttype": MANAGE,
        # Flights are cancelled, never deleted.
        "fleet.flight": ["add", "change", "view"],
        # Users are deactivated, never deleted, so their history keeps its author.
        "auth.user": ["add", "change", "view"],
        # Roles come from migrations only.
        "auth.group": VIEW,
    },
    "Counter staff": {
        "fleet.flight": VIEW,
        "fleet.airport": VIEW,
        "fleet.city": VIEW,
        "fleet.aircrafttype": VIEW,
    },
    "Finance": {
        "fleet.flight": VIEW,
        "fleet.airport": VIEW,
        "fleet.city": VIEW,
    },
}


def create_roles(apps, schema_editor):
    apply_role_permissions(apps, ROLE_PERMISSIONS)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_initial"),
        ("fleet", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
