"""Apps import only downwards: backoffice < fleet < sales < refunds < reporting < customers (STYLE.md,
docs/architecture.md). An app of the project not in that list sits above them all.

Every module of every app is read with `ast`, imports inside functions included, and
`importlib.import_module("...")` with a written name too. Migrations are left out: Django has them
name other apps' migrations as dependencies. What a lower app must set off in a higher one goes
through a hook the higher app plugs in (backoffice/plugins.py, fleet/signals.py, the admin
registrations of `AppConfig.ready`).
"""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

LAYERS = ["backoffice", "fleet", "sales", "refunds", "reporting", "customers"]


def project_apps():
    """{top-level package: its directory} of the apps that live in this checkout."""
    root = Path(settings.BASE_DIR).resolve()
    found = {}
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if root in path.parents and path.parent == root:
            found[config.name.split(".")[0]] = path
    return found


def layer(app):
    return LAYERS.index(app) if app in LAYERS else len(LAYERS)


def imported_names(tree):
    """(line, dotted name) of each absolute import in the module, wherever it is written."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def upward_imports(apps_by_name, root):
    """'path:line imports name' for each import of a higher app by a module of a lower one."""
    found = []
    for app, directory in sorted(apps_by_name.items()):
        for path in sorted(directory.rglob("*.py")):
            if "migrations" in path.relative_to(directory).parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, name in imported_names(tree):
                target = name.split(".")[0]
                if target in apps_by_name and target != app and layer(target) > layer(app):
                    found.append(f"{path.relative_to(root)}:{line} imports {name} ({target} is above {app})")
    return found


def test_the_layers_are_the_projects_apps():
    # A new app of the project is placed above the others until it is given its place in LAYERS.
    assert set(LAYERS) <= set(project_apps())


def test_no_module_imports_an_app_above_its_own():
    found = upward_imports(project_apps(), Path(settings.BASE_DIR).resolve())
    assert not found, "A lower app imports a higher one; use a hook (docs/architecture.md):\n" + "\n".join(found)


def test_the_check_sees_imports_inside_functions_and_skips_migrations(tmp_path):
    """The check is not blind: an import inside a function, and import_module, are found."""
    for app in ("fleet", "sales", "refunds"):
        (tmp_path / app / "migrations").mkdir(parents=True)
    (tmp_path / "fleet" / "views.py").write_text(
        "from fleet.models import Flight\n"
        "def page():\n    from sales.services import book\n    return importlib.import_module('refunds.admin')\n"
    )
    (tmp_path / "fleet" / "migrations" / "0002_tickets.py").write_text("from sales.models import Ticket\n")
    (tmp_path / "refunds" / "services.py").write_text("from sales import services\nimport fleet.models\n")
    found = upward_imports({app: tmp_path / app for app in ("fleet", "sales", "refunds")}, tmp_path)
    assert found == [
        "fleet/views.py:3 imports sales.services (sales is above fleet)",
        "fleet/views.py:4 imports refunds.admin (refunds is above fleet)",
    ]
