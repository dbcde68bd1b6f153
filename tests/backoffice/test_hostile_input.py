"""Hostile input on every admin list, add and change form, as every role (issue 11, "So the class of bug stays
gone"): empty, 100,000 characters, NUL, right-to-left text and emoji, negative, huge, 1e309, NaN, an impossible
date, a formula. Every answer is a page (a message on the form, a list, a refusal), never a server error, and a
refused form changes no row. The test client raises any server error, so each request is also the assertion."""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE
from refunds import services as refunds
from sales import services
from tests.backoffice.hostile import VALUES
from tests.factories import FareBucketFactory, FlightFactory
from tests.sales.conftest import CONTACT, adults

pytestmark = pytest.mark.django_db

NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
SKIP = {"csrfmiddlewaretoken", "_save", "_continue", "_addanother", "action", "select_across", "index"}


@pytest.fixture
def records(role_users):
    """One of each kind of record, so that every change page has something to change."""
    bucket = FareBucketFactory(flight=FlightFactory())
    booking = services.book(
        segments=[services.SegmentRequest(bucket.flight_id, bucket.fare_class.code)],
        passengers=adults(2),
        agent=role_users[COUNTER_STAFF],
        **CONTACT,
    )
    services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=role_users[COUNTER_STAFF])
    ticket, _ = services.issue_tickets(booking=booking, agent=role_users[COUNTER_STAFF])
    refunds.request_refund(ticket=ticket, requested_by=role_users[COUNTER_STAFF])


def fields_of(page):
    names = {name for name in NAME.findall(page) if name not in SKIP and "__prefix__" not in name}
    return sorted(names)


def rows(model):
    return list(model._default_manager.order_by("pk").values())


def url(model, view, *args):
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


@pytest.mark.parametrize("role", [ADMIN, COUNTER_STAFF, FINANCE])
def test_hostile_values_on_every_list_and_form_answer_a_page_and_change_nothing_refused(records, role_users, role):
    client = Client()
    client.force_login(role_users[role])
    requests = 0
    for model in admin.site._registry:
        changelist = url(model, "changelist")
        first = client.get(changelist) if changelist else None
        if first is not None and first.status_code == 200:
            if first.context and "cl" in first.context:
                cl = first.context["cl"]
                parameters = {"q", "o", "p"} | {p for spec in cl.filter_specs for p in spec.expected_parameters()}
            else:  # a page of its own (a report): its form's fields
                parameters = set(fields_of(first.content.decode()))
            for value in VALUES:
                response = client.get(changelist, dict.fromkeys(parameters, value))
                assert response.status_code in (200, 302, 403), (model, value, response.status_code)
                requests += 1
        pages = [("add", url(model, "add"))]
        existing = model._default_manager.order_by("pk").first() if model._meta.managed else None
        if existing is not None:
            pages.append(("change", url(model, "change", existing.pk)))
        for kind, page_url in pages:
            if page_url is None:
                continue
            form = client.get(page_url)
            if form.status_code != 200:
                continue
            names = fields_of(form.content.decode())
            if kind == "change" and not form.context.get("has_change_permission", False):
                continue
            if kind == "add" and not form.context.get("has_add_permission", False):
                continue
            for value in VALUES:
                before = rows(model)
                response = client.post(page_url, {**dict.fromkeys(names, value), "_save": "Save"})
                requests += 1
                assert response.status_code in (200, 302, 403), (model, kind, value, response.status_code)
                if response.status_code != 302:
                    assert rows(model) == before, (model, kind, value)
    print(f"{role}: {requests} hostile requests")
    assert requests > 100
