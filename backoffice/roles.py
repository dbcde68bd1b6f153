"""Roles are groups with exact permission sets, written by data migrations.

Each migration that changes roles carries its own frozen matrix and passes it
to `apply_role_permissions`, which makes every group hold exactly that.
tests/backoffice/test_roles.py holds the matrix in force.
"""

ADMIN = "Admin"
COUNTER_STAFF = "Counter staff"
FINANCE = "Finance"
ROLES = (ADMIN, COUNTER_STAFF, FINANCE)


def apply_role_permissions(apps, matrix):
    """Create each role's group and give it exactly the listed permissions.

    `matrix` maps a role to {"app_label.model": ["view", "add", ...]}.
    """
    from django.contrib.auth.management import create_permissions

    # On a fresh database permissions appear only after migrate ends: make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in matrix.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for model_label, actions in grants.items():
            app_label, model = model_label.split(".")
            for action in actions:
                permissions.append(
                    Permission.objects.get(
                        content_type__app_label=app_label,
                        content_type__model=model,
                        codename=f"{action}_{model}",
                    )
                )
        group.permissions.set(permissions)
