"""Every admin page, as every role, on the database the suite runs on: no server error, and each role
is let in or turned away exactly as the permission matrix says.

The crawl starts at the admin home and follows links, GET forms and autocompletes a few levels deep,
with awkward query strings and ids on each kind of page (tests/backoffice/crawler.py). Then each role
also asks for the pages only the other roles found, and an anonymous visitor asks for all of them.
What each role should get comes from MATRIX (tests/backoffice/test_roles.py) and the table of what
each custom page needs below, never from what the crawl itself saw.
"""

import datetime as dt
import os
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, get_resolver, resolve, reverse
from django.utils import timezone

from backoffice.roles import ROLES
from fixtures.demo import DEMO_USERS, load_demo
from fleet.models import Flight, ScheduleLine
from refunds import services as refund_services
from refunds.models import Refund
from sales import services
from sales.models import Booking, Passenger, Ticket
from tests.backoffice import crawler
from tests.backoffice.test_admin_access import ADDED_ELSEWHERE
from tests.backoffice.test_roles import MATRIX
from tests.sales.conftest import CONTACT

ANONYMOUS = "anonymous"
LOGIN = "/admin/login/"

# Marked so that pytest-django sets the test database up; the data live in the module's transaction.
pytestmark = pytest.mark.django_db

# What each page that is not a model's own list/add/change/history/delete needs: all of these permissions.
# A new page must be added here, or test_the_crawl_reaches_every_admin_page fails.
NEEDS = {
    "index": set(),
    "search": set(),
    "password_change": set(),
    "password_change_done": set(),
    "jsi18n": set(),
    "sales_booking_search": {"sales.add_booking"},
    "sales_booking_locations": {"sales.add_booking"},
    "sales_booking_new": {"sales.add_booking"},
    "sales_booking_pay": {"sales.change_booking", "sales.add_payment"},
    "sales_booking_issue": {"sales.change_booking"},
    "sales_booking_cancel": {"sales.change_booking"},
    "sales_booking_cancel_ticket": {"sales.change_booking"},
    "sales_booking_void_ticket": {"sales.change_booking", "refunds.add_refund"},
    "sales_booking_refund": {"sales.change_booking", "refunds.add_refund"},
    "sales_booking_refund_ticket": {"sales.change_booking", "refunds.add_refund"},
    "sales_booking_receipt": {"sales.view_booking"},
    "fleet_flight_departure": {"sales.change_booking"},
    "fleet_flight_cancel_flight": {"fleet.change_flight"},
    "fleet_flight_book_on_this_flight": {"sales.add_booking"},
    "fleet_flight_manifest_pdf": {"fleet.view_flight", "sales.view_ticket"},
    "fleet_flight_manifest_csv": {"fleet.view_flight", "sales.view_ticket"},
    "fleet_scheduleline_import": {"fleet.add_scheduleline"},
    "fleet_scheduleline_process_import": {"fleet.add_scheduleline"},
    "refunds_refund_approve": {"refunds.decide_refund"},
    "refunds_refund_reject": {"refunds.decide_refund"},
    "refunds_refund_pay": {"refunds.pay_refund"},
    "auth_user_password_change": {"auth.change_user"},
    # Each report's listing and the exports of both: the report's own permission.
    **{
        f"reporting_{report}_{part}": {f"reporting.view_{report}"}
        for report in ("salesreport", "refundreport", "cashupreport", "loadfactorreport")
        for part in ("csv", "xlsx", "pdf", "listing", "listing_csv", "listing_xlsx", "listing_pdf")
    },
}
# Pages no link leads to, and why: the crawl asks for them directly (as every role).
NOT_LINKED = {
    "logout": "a POST that ends the session: never opened",
    "view_on_site": "no model has a public page (SHOW_VIEW_ON_SITE is off)",
    "fleet_scheduleline_process_import": "the import form POSTs its file there (a GET is 405)",
}
# Pages that only take a POST: a GET is 405 for everyone logged in, whatever the role.
POST_ONLY = {"fleet_scheduleline_process_import"}
# Files (PDF, CSV, XLSX) are slow to make and all alike: one of each kind per role.
FILES = ("_receipt", "_pdf", "_csv", "_xlsx")
# Records nobody adds or deletes through the admin (they come from bookings, imports and refunds).
NO_ADD = {model for model, status in ADDED_ELSEWHERE.items() if status == 403}
NO_DELETE = {
    "sales.ticket",
    "sales.payment",
    "refunds.refund",
    "fleet.scheduleline",
    "axes.accesslog",
    "axes.accessfailurelog",
}
MODEL_PAGES = ("changelist", "add", "change", "history", "simple_history", "delete")


def permissions(role):
    if role == ANONYMOUS:
        return set()
    granted = set()
    for label, actions in MATRIX[role].items():
        app_label, model_name = label.split(".")
        granted |= {f"{app_label}.{action}_{model_name}" for action in actions}
    return granted


def model_of(name):
    """The registered model whose admin serves this page, and the page's name within it."""
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model, name[len(prefix) :]
    return None, None


def model_page(name):
    model, page = model_of(name)
    if model is None or page not in MODEL_PAGES:
        return None, None
    return model._meta.label_lower, page


def autocomplete_needs(query):
    """The autocomplete answers whoever may view the model it lists; a malformed request nobody."""
    params = dict(parse_qsl(query))
    try:
        source = apps.get_model(params["app_label"], params["model_name"])
        remote = source._meta.get_field(params["field_name"]).remote_field.model
    except (KeyError, LookupError, FieldDoesNotExist, AttributeError, ValueError):
        return None
    if remote not in admin.site._registry:
        return None
    return {f"{remote._meta.app_label}.view_{remote._meta.model_name}"}


def expected(role, url):
    """("allow", None), ("deny", 403), ("absent", 404) or ("login", 302) for this role and URL."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Exception:
        return "absent", 404
    name = match.url_name
    if role == ANONYMOUS:
        return ("allow", None) if name == "login" else ("login", 302)
    if name is None:  # the admin's catch-all: no such page
        return "absent", 404
    if name == "login":
        return "allow", None
    if name in POST_ONLY:
        return "post_only", 405
    if name.startswith("backoffice_job_"):
        # Each member of staff's own jobs (backoffice/job_admin.py): no role needed, nobody adds, changes or
        # deletes one, and the crawl's data has no job to open (tests/reporting/test_export_jobs.py opens them).
        page = name.removeprefix("backoffice_job_")
        return {"changelist": ("allow", None), "add": ("deny", 403), "delete": ("deny", 403)}.get(page, ("absent", 404))
    perms = permissions(role)
    if name == "app_list":
        has_any = any(p.split(".")[0] == match.kwargs["app_label"] for p in perms)
        return ("allow", None) if has_any else ("absent", 404)
    if name == "autocomplete":
        needs = autocomplete_needs(parts.query)
        if needs is None:
            return "deny", 403
    elif name in NEEDS:
        needs = NEEDS[name]
    else:
        model, page = model_page(name)
        assert model, f"no expectation for {name}: add it to NEEDS"
        app_label, model_name = model.split(".")
        if page == "add":
            if model in NO_ADD:
                return "deny", 403
            needs = {f"{app_label}.add_{model_name}"}
        elif page == "delete":
            if model in NO_DELETE:
                return "deny", 403
            needs = {f"{app_label}.delete_{model_name}"}
        else:
            needs = {f"{app_label}.view_{model_name}"}
    if needs <= perms and not may_open_drawer(role, name, parts.query):
        return "deny", 403
    return ("allow", None) if needs <= perms else ("deny", 403)


def may_open_drawer(role, name, query):
    """Counter staff open their own cash-up only: a URL naming another agent's drawer is refused."""
    if not name.startswith("reporting_cashupreport_") or "reporting.view_all_cashupreport" in permissions(role):
        return True
    own = next(username for username, _, r, *_ in DEMO_USERS if r == role)
    # NUL is dropped from every query string before a view reads it (backoffice/middleware.py).
    return dict(parse_qsl(query, keep_blank_values=True)).get("agent", "").replace("\x00", "") in ("", own)


def problems_with(visit):
    """What is wrong with this answer, or None."""
    if visit.status >= 500:
        return f"server error {visit.status} {visit.error}"
    outcome, status = expected(visit.role, visit.url)
    if outcome == "allow":
        if visit.status == 403:
            return "refused (403) though the matrix allows it"
        if visit.location.startswith(LOGIN):
            return "sent to the login page though logged in and allowed"
        ok = {200, 301, 302, 400, 404} if visit.awkward else {200, 301, 302}
        if visit.status not in ok:
            return f"answered {visit.status}"
        return None
    if outcome == "absent" and visit.status in (301, 302, 404):
        return None
    if visit.status != status:
        return f"answered {visit.status}, the matrix says {status}"
    if outcome == "login" and not visit.location.startswith(LOGIN):
        return f"redirected to {visit.location}, not to the login page"
    return None


def seed(today):
    load_demo(today=today, days=2, all_airports=False)
    counter, admin_user = User.objects.get(username="counter"), User.objects.get(username="admin")
    flights = list(
        Flight.objects.filter(
            flight_date=today + dt.timedelta(days=1), origin__code="CDG", fare_buckets__fare_class__code="Y"
        )
        .select_related("origin", "destination")
        .order_by("scheduled_departure")
    )
    out = flights[0]
    back = (
        Flight.objects.filter(
            origin=out.destination, destination=out.origin, scheduled_departure__gt=out.scheduled_arrival
        )
        .order_by("scheduled_departure")
        .first()
    )
    # A family with awkward names: there and back, a child and a lap infant, held unpaid.
    family = services.book(
        segments=[services.SegmentRequest(out.pk, "Y"), services.SegmentRequest(back.pk, "Y")],
        passengers=[
            services.PassengerRequest("O'Brien-Pécheur", "Zoë Anaïs", "MRS"),
            services.PassengerRequest("O'Brien-Pécheur", "Léo", "MSTR", Passenger.Type.CHILD),
            services.PassengerRequest("O'Brien-Pécheur", "Inès", "MISS", Passenger.Type.INFANT, infant_of=1),
        ],
        contact_name="Zoë O'Brien",
        contact_email="zoe@example.com",
        contact_phone="+33 6 00 00 00 00",
        agent=counter,
    )

    def sell(flight, surname, *, issue=True):
        booking = services.book(
            segments=[services.SegmentRequest(flight.pk, "Y")],
            passengers=[services.PassengerRequest(surname, "PAX", "MR")],
            agent=counter,
            **CONTACT,
        )
        services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=counter)
        if issue:
            services.issue_tickets(booking=booking, agent=counter)
        return booking

    # A flight that left, with one passenger flown and one no-show.
    departed = flights[2]
    sell(departed, "FLOWN")
    sell(departed, "NOSHOW")
    services.depart_flight(flight=departed, agent=counter, now=departed.scheduled_departure)
    services.mark_no_show(tickets=Ticket.objects.filter(passenger__surname="NOSHOW"), agent=counter)
    # A flight the airline cancelled, with a ticket on it.
    sell(flights[3], "CANCELLED")
    refund_services.cancel_flight(flight=flights[3], user=admin_user)
    # Paid in full, not yet ticketed: the booking page offers "Issue tickets".
    paid = sell(flights[4], "PAID", issue=False)
    for group in Group.objects.all():  # roles come from migrations, which write no history
        group._history_user = admin_user
        group.save()
    ScheduleLine.objects.create(
        carrier="XB",
        number=1001,
        origin=flights[0].origin,
        destination=flights[0].destination,
        departure_time="07:10",
        arrival_time="07:30",
        days_of_operation="1234567",
        valid_from=today,
        valid_to=today + dt.timedelta(days=30),
        aircraft_type=flights[0].aircraft_type,
    )
    # Someone mistyped a password, and someone else guessed until locked out: the login log and lockouts.
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        guesser.post(reverse("admin:login"), {"username": f"guess{attempt}", "password": "wrong"})
    Client(REMOTE_ADDR="198.51.100.9").post(reverse("admin:login"), {"username": "finance", "password": "typo"})
    return flights, [family, paid]


def start_urls(today, flights, bookings):
    """The admin home, a search that finds flights, and one record in each state (the home links to
    all of them, but a crawl that opens three records of a kind should open different ones)."""
    tomorrow = today + dt.timedelta(days=1)
    first = flights[0]
    urls = [
        reverse("admin:index"),
        reverse("admin:sales_booking_search")
        + f"?origin={first.origin.code}&destination={first.destination.code}&date={tomorrow}"
        f"&return_date={tomorrow}&adults=2&children=1&infants=1",
        reverse("admin:sales_booking_locations") + "?term=par",
        reverse("admin:search") + "?s=cdg",
        reverse("admin:password_change_done"),
        reverse("admin:jsi18n"),
    ]
    for model in (Booking, Ticket, Refund, Flight):
        for status in model.objects.values_list("status", flat=True).distinct().order_by("status"):
            record = model.objects.filter(status=status).order_by("pk").first()
            urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[record.pk]))
    urls += [reverse("admin:sales_booking_change", args=[booking.pk]) for booking in bookings]
    # A flight on sale whatever the hour (tomorrow's): the first scheduled one may have closed by the
    # time the crawl runs, and only a flight on sale offers "Book on this flight".
    urls.append(reverse("admin:fleet_flight_change", args=[first.pk]))
    return urls


def admin_url_patterns():
    """(name, pattern) of every admin page (not the customer site's: tests/customers)."""
    found = []

    def walk(resolver):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                if pattern.namespace not in (None, "admin"):
                    continue
                walk(pattern)
            elif pattern.name:
                found.append((pattern.name, pattern.pattern))

    walk(get_resolver())
    return found


def sample_url(name, pattern):
    """A URL of this page for a record that exists, or None."""
    model, _ = model_of(name)
    record = model.objects.order_by("pk").first() if model else None
    ticket = Ticket.objects.filter(status=Ticket.Status.OPEN).order_by("pk").first()
    pool = {
        "object_id": getattr(record, "pk", None),
        "booking_id": ticket.booking_id,
        "ticket_id": ticket.pk,
        "flight_id": ticket.flight_id,
        "refund_id": Refund.objects.order_by("pk").first().pk,
    }
    try:
        if name.endswith("_simple_history"):
            return reverse(f"admin:{name}", args=[record.pk, record.history.earliest().history_id])
        if name == "app_list":
            return reverse("admin:app_list", args=["sales"])
        return reverse(f"admin:{name}", kwargs={k: pool[k] for k in getattr(pattern, "converters", {})})
    except (NoReverseMatch, KeyError, AttributeError):
        return None


def fresh_client(role):
    client = Client()
    if role != ANONYMOUS:
        username = next(u for u, _, r, *_ in DEMO_USERS if r == role)
        client.force_login(User.objects.get(username=username))
    return client


def run_crawl():
    today = timezone.localdate()
    flights, bookings = seed(today)
    starts = start_urls(today, flights, bookings)
    awkward_done = set()
    visits = []
    for role in ROLES:
        caps = {name: 1 for name, _ in admin_url_patterns() if name.endswith(FILES)}
        visits += crawler.Crawler(fresh_client(role), role, caps=caps, awkward_done=awkward_done).crawl(starts)
    # Then each role asks for what only the others found (and the pages no link leads to),
    # and the anonymous visitor for everything.
    found = {}  # (view, awkward or not) -> the first URL of it any crawl asked for
    for visit in visits:
        found.setdefault((visit.url_name, visit.awkward), visit.url)
    for name, pattern in admin_url_patterns():
        if not any(key[0] == name for key in found) and name != "logout" and (url := sample_url(name, pattern)):
            found[name, False] = url
    for role in (*ROLES, ANONYMOUS):
        mine = {v.url_name for v in visits if v.role == role}
        probe = crawler.Crawler(fresh_client(role), role)
        if role == ANONYMOUS:
            probe.crawl([reverse("admin:index")])
        for (name, awkward), url in found.items():
            if name not in mine or role == ANONYMOUS:
                probe.get(url, awkward=awkward, probe=True)
        visits += probe.visits
    return visits


@pytest.fixture(scope="module")
def crawl(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            DEMO=True,
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ),
        transaction.atomic(),
    ):
        visits = run_crawl()
        counts = Counter(v.role for v in visits)
        pages = {role: len({v.url for v in visits if v.role == role and not v.probe}) for role in counts}
        crawler.SUMMARY[:] = [
            f"{role}: {counts[role]} requests, {pages.get(role, 0)} distinct pages crawled"
            for role in (*ROLES, ANONYMOUS)
        ] + [f"distinct URLs: {len({v.url for v in visits})}, views reached: {len({v.url_name for v in visits})}"]
        print("\n" + "\n".join(crawler.SUMMARY))
        if os.environ.get("CRAWL_LOG"):  # every request, for reading what the crawl did
            with open(os.environ["CRAWL_LOG"], "w") as log:
                for v in visits:
                    kind = ("A" if v.awkward else "") + ("P" if v.probe else "")
                    fields = [v.role, v.status, v.url_name, kind, repr(v.url[:200]), v.location, v.error]
                    log.write("\t".join(map(str, fields)) + f"\t{v.seconds:.3f}\n")
        yield visits
        transaction.set_rollback(True)


def report(found):
    return f"{len(found)} problem(s):\n" + "\n".join(found[:60])


def test_no_page_is_a_server_error(crawl):
    errors = [f"{v.role} {v.url[:160]!r}: {v.error}" for v in crawl if v.status >= 500]
    assert not errors, report(errors)


def test_no_page_shows_a_raw_or_12_hour_time(crawl):
    """Times read on a 24-hour clock everywhere, never as `2026-11-29 07:10:00+01:00` nor "4:20 p.m."."""
    shown = {}
    for visit in crawl:
        if visit.unreadable_time:
            shown.setdefault(visit.url_name, f"{visit.role} {visit.url[:120]!r}: …{visit.unreadable_time}…")
    assert not shown, report(list(shown.values()))


def test_each_role_is_let_in_or_turned_away_as_the_matrix_says(crawl):
    wrong = []
    for visit in crawl:
        if visit.status < 500 and (problem := problems_with(visit)):
            wrong.append(f"{visit.role} {visit.url[:160]!r}: {problem}")
    assert not wrong, report(wrong)


@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
def test_each_role_asked_for_every_page(crawl, role):
    """Every page, as every role: opened when the matrix lets the role in, turned away otherwise."""
    asked = {v.url_name for v in crawl if v.role == role}
    every = {name for name, _ in admin_url_patterns()} - {"logout", "view_on_site"}
    assert not every - asked


def test_every_page_a_role_may_use_is_linked_from_the_home(crawl):
    """Each page some role may open is reached by following links (or is in NOT_LINKED, with why)."""
    followed = {v.url_name for v in crawl if not v.probe}
    allowed = {v.url_name for v in crawl if v.role in ROLES and expected(v.role, v.url)[0] == "allow"}
    unlinked = sorted(allowed - followed - set(NOT_LINKED) - {"login"})
    assert not unlinked, f"pages no link leads to: {unlinked}"


def test_every_role_opened_records_of_every_kind_it_may_see(crawl):
    """The seed gave every list rows: each role opened change pages, not just empty lists."""
    # Reports (models without a table) have no records to open.
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry if m._meta.managed}
    for role in ROLES:
        changes = {v.url_name for v in crawl if v.role == role and not v.probe and v.status == 200}
        allowed = {m for m, acts in MATRIX[role].items() if acts & {"view", "change"} and m in registered}
        assert {f"{m.replace('.', '_')}_change" for m in allowed} <= changes, role
