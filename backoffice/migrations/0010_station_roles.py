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
        "fleet.flight": ["add", "change", "view"],
        # Schedule lines are imported (add), never edited by hand.
        "fleet.scheduleline": ["add", "view"],
        # Each person's station, set on the user's page; never deleted (emptied instead).
        "fleet.staffstation": ["add", "change", "view"],
        "auth.user": ["add", "change", "view"],
        "auth.group": VIEW,
        # Login throttling: lift a lockout (delete its attempts), read every attempt.
        "axes.accessattempt": ["delete", "view"],
        "axes.accesslog": VIEW,
        "axes.accessfailurelog": VIEW,
        "sales.fareclass": MANAGE,
        "sales.routefare": MANAGE,
        "sales.tax": MANAGE,
        # Buckets are opened and re-priced per flight, never deleted once they exist.
        "sales.farebucket": ["add", "change", "view"],
        "sales.booking": VIEW,
        "sales.passenger": VIEW,
        "sales.ticket": VIEW,
        "sales.tickettax": VIEW,
        "sales.payment": VIEW,
        "refunds.refundrule": MANAGE,
        "refunds.refund": VIEW,
        "reporting.salesreport": VIEW,
        "reporting.refundreport": VIEW,
        # Every agent's drawer, not only their own.
        "reporting.cashupreport": ["view", "view_all"],
        "reporting.loadfactorreport": VIEW,
    },
    "Counter staff": {
        "fleet.flight": VIEW,
        "fleet.airport": VIEW,
        "fleet.city": VIEW,
        "fleet.aircrafttype": VIEW,
        "sales.fareclass": VIEW,
        "sales.farebucket": VIEW,
        # Book, and act on a booking's page: pay, issue, cancel, void.
        "sales.booking": ["add", "change", "view"],
        "sales.passenger": VIEW,
        "sales.ticket": VIEW,
        "sales.tickettax": VIEW,
        "sales.payment": ["add", "view"],
        "refunds.refundrule": VIEW,
        # Request a refund after showing the quote; never decide or pay it.
        "refunds.refund": ["add", "view"],
        # Their own drawer only.
        "reporting.cashupreport": VIEW,
    },
    "Finance": {
        "fleet.flight": VIEW,
        "fleet.airport": VIEW,
        "fleet.city": VIEW,
        "sales.fareclass": VIEW,
        "sales.booking": VIEW,
        "sales.passenger": VIEW,
        "sales.ticket": VIEW,
        "sales.tickettax": VIEW,
        "sales.payment": VIEW,
        "refunds.refundrule": VIEW,
        # Approve or reject (never their own request) and mark paid.
        "refunds.refund": ["view", "decide", "pay"],
        "reporting.salesreport": VIEW,
        "reporting.refundreport": VIEW,
        "reporting.cashupreport": ["view", "view_all"],
        "reporting.loadfactorreport": VIEW,
    },
}


def update_roles(apps, schema_editor):
    apply_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0009_password_to_change"),
        ("fleet", "0004_staffstation"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
