"""A refund rule's fees within range: refused on their field in the admin, and by the database."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from refunds.models import RefundRule
from tests.factories import FareClassFactory
from tests.fleet.test_constraints import raw_update

pytestmark = pytest.mark.django_db


def rule_form(fare_class, **overrides):
    return {
        "fare_class": fare_class.pk,
        "refundable": "on",
        "cancellation_fee": "0.00",
        "cancellation_fee_percent": "0.00",
        "late_window_hours": "24",
        "late_fee": "0.00",
        "late_fee_percent": "0.00",
        "no_show_fee": "0.00",
        "no_show_fee_percent": "0.00",
        **overrides,
    }


@pytest.mark.parametrize("field", ["cancellation_fee", "late_fee", "no_show_fee"])
@pytest.mark.parametrize("amount", ["-0.01", "100000.00"])
def test_a_fee_out_of_range_is_refused_on_its_field(client, admin_role_user, field, amount):
    client.force_login(admin_role_user)
    response = client.post(reverse("admin:refunds_refundrule_add"), rule_form(FareClassFactory(), **{field: amount}))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get(field), response.context["adminform"].form.errors
    assert not RefundRule.objects.exists()


def test_the_database_refuses_a_fee_above_the_limit():
    rule = RefundRule.objects.create(fare_class=FareClassFactory())
    with pytest.raises(IntegrityError, match="refundrule_fees_in_range"):
        raw_update("UPDATE refunds_refundrule SET late_fee = 100000 WHERE id = %s", [rule.pk])
