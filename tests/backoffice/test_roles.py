"""The permission matrix in force. Later features extend this table; the
database must hold exactly what it says, no more and no less."""

import pytest
from django.contrib.auth.models import Group, Permission

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE, ROLES

pytestmark = pytest.mark.django_db

V = {"view"}
MANAGE = {"add", "change", "delete", "view"}

MATRIX = {
    ADMIN: {
        "fleet.city": MANAGE,
        "fleet.airport": MANAGE,
        "fleet.aircrafttype": MANAGE,
        "fleet.flight": {"add", "change", "view"},
        "fleet.scheduleline": {"add", "view"},
        "fleet.staffstation": {"add", "change", "view"},
        "auth.user": {"add", "change", "view"},
        "auth.group": V,
        "axes.accessattempt": {"delete", "view"},
        "axes.accesslog": V,
        "axes.accessfailurelog": V,
        "sales.fareclass": MANAGE,
        "sales.routefare": MANAGE,
        "sales.tax": MANAGE,
        "sales.farebucket": {"add", "change", "view"},
        "sales.booking": V,
        "sales.passenger": V,
        "sales.ticket": V,
        "sales.tickettax": V,
        "sales.payment": V,
        "refunds.refundrule": MANAGE,
        "refunds.refund": V,
        "reporting.salesreport": V,
        "reporting.refundreport": V,
        "reporting.cashupreport": {"view", "view_all"},
        "reporting.loadfactorreport": V,
    },
    COUNTER_STAFF: {
        "fleet.flight": V,
        "fleet.airport": V,
        "fleet.city": V,
        "fleet.aircrafttype": V,
        "sales.fareclass": V,
        "sales.farebucket": V,
        "sales.booking": {"add", "change", "view"},
        "sales.passenger": V,
        "sales.ticket": V,
        "sales.tickettax": V,
        "sales.payment": {"add", "view"},
        "refunds.refundrule": V,
        "refunds.refund": {"add", "view"},
        # Their own drawer only: no other report.
        "reporting.cashupreport": V,
    },
    FINANCE: {
        "fleet.flight": V,
        "fleet.airport": V,
        "fleet.city": V,
        "sales.fareclass": V,
        "sales.booking": V,
        "sales.passenger": V,
        "sales.ticket": V,
        "sales.tickettax": V,
        "sales.payment": V,
        "refunds.refundrule": V,
        "refunds.refund": {"view", "decide", "pay"},
        "reporting.salesreport": V,
        "reporting.refundreport": V,
        "reporting.cashupreport": {"view", "view_all"},
        "reporting.loadfactorreport": V,
    },
}

ALL_MODELS = sorted({model for grants in MATRIX.values() for model in grants})
ACTIONS = ["add", "change", "delete", "view", "decide", "pay", "view_all"]


def granted(role):
    perms = Permission.objects.filter(group__name=role).select_related("content_type")
    return {(p.content_type.app_label, p.codename) for p in perms}


def expected(role):
    return {
        (label.split(".")[0], f"{action}_{label.split('.')[1]}")
        for label, actions in MATRIX[role].items()
        for action in actions
    }


def has_codename(model, action):
    """Refunds carry the extra decide and pay permissions; a report only view (the cash-up also view_all)."""
    if model.startswith("reporting."):
        return action == "view" or (action == "view_all" and model == "reporting.cashupreport")
    return action in {"add", "change", "delete", "view"} or (model == "refunds.refund" and action in {"decide", "pay"})


def test_roles_are_exactly_the_three_groups_from_the_migration():
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_holds_exactly_its_permissions(role):
    assert granted(role) == expected(role)


CELLS = [(model, action) for model in ALL_MODELS for action in ACTIONS if has_codename(model, action)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model, action", CELLS)
def test_matrix_cell(role, model, action, role_users):
    user = role_users[role]
    app_label, model_name = model.split(".")
    allowed = action in MATRIX[role].get(model, set())
    assert user.has_perm(f"{app_label}.{action}_{model_name}") is allowed


REFERENCE_DATA = {
    "scheduleline",
    "city",
    "airport",
    "aircrafttype",
    "flight",
    "fareclass",
    "routefare",
    "tax",
    "farebucket",
    "refundrule",
}


def test_only_admin_changes_reference_data():
    for role in (COUNTER_STAFF, FINANCE):
        changes = {c.split("_", 1)[1] for _, c in granted(role) if not c.startswith("view_")}
        assert not changes & REFERENCE_DATA


def test_finance_only_reads_except_deciding_and_paying_refunds():
    writes = {codename for _, codename in granted(FINANCE) if not codename.startswith("view_")}
    assert writes == {"decide_refund", "pay_refund"}


def test_counter_staff_cannot_approve_and_finance_cannot_book():
    assert ("refunds", "decide_refund") not in granted(COUNTER_STAFF)
    assert ("refunds", "pay_refund") not in granted(COUNTER_STAFF)
    assert ("sales", "add_booking") not in granted(FINANCE)


def test_counter_staff_run_no_report_but_their_own_cash_up():
    reports = {codename for app, codename in granted(COUNTER_STAFF) if app == "reporting"}
    assert reports == {"view_cashupreport"}


def test_nobody_deletes_sales_flights_or_users():
    never = {"delete_flight", "delete_user", "delete_group", "delete_farebucket"} | {
        f"delete_{m}" for m in ("booking", "passenger", "ticket", "tickettax", "payment", "refund")
    }
    for role in ROLES:
        assert not {c for _, c in granted(role) if c in never}
