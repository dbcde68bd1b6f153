"""Hostile input on the pages of our own (issue 11, "So the class of bug stays gone"): the counter's search and
booking, the booking's payment, tickets, seats and refunds, Finance's decisions, a flight's departure and
cancellation, the reports' query strings, bulk actions, history versions posted back, the customer site's
forms and the schedule uploads, as every role (and as customers and visitors on the customer site).

Each field gets every hostile value in turn while the others keep a value that works, then every field gets it
at once; addresses and hidden fields get ids of other records and ids that name nothing. Every answer is a page
(a refusal, a message, an error on the field), never a server error; a role that may not use a page is refused
and nothing is written; a refused request writes no row and no history row (tests/backoffice/hostile.py).
The counts of requests and inputs are printed at the end of the run."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from backoffice.roles import ADMIN, COUNTER_STAFF, FINANCE
from customers.accounts import confirmation_token
from fleet import schedule
from fleet.models import Flight
from refunds import services as refunds
from sales import services
from sales.models import Booking, Passenger
from tests.backoffice import hostile
from tests.backoffice.hostile import BAD_IDS, VALUES, Probe
from tests.factories import AircraftTypeFactory, FareBucketFactory, FareClassFactory, FlightFactory, TaxFactory

pytestmark = pytest.mark.django_db

ROLES = [ADMIN, COUNTER_STAFF, FINANCE]
NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
CUSTOMER_EMAIL = "zoe@example.com"
PASSWORD = "a long customer password 2026"


def flight_in(days, **kwargs):
    departure = timezone.now() + dt.timedelta(days=days)
    return FlightFactory(
        scheduled_departure=departure,
        scheduled_arrival=departure + dt.timedelta(hours=2),
        flight_date=timezone.localdate(departure),
        capacity=kwargs.pop("capacity", 200),
        **kwargs,
    )


def sell(bucket, surnames, agent, *, email="anne@example.com", issue=True):
    booking = services.book(
        segments=[services.SegmentRequest(bucket.flight_id, bucket.fare_class.code)],
        passengers=[services.PassengerRequest(surname=s, given_names="Anne", title="MS") for s in surnames],
        agent=agent,
        contact_name="Anne Martin",
        contact_email=email,
        contact_phone="+33 1 23 45 67 89",
    )
    if issue:
        services.take_payment(booking=booking, amount=booking.total_amount, method="cash", agent=agent)
        services.issue_tickets(booking=booking, agent=agent)
    booking.refresh_from_db()
    return booking


class World:
    """One of each record the pages act on, and a second of each to tamper with."""

    def __init__(self, role_users):
        self.users = role_users
        counter = role_users[COUNTER_STAFF]
        TaxFactory()
        AircraftTypeFactory(code="320", seats_business=0, seats_economy=200)
        economy = FareClassFactory(code="Y")
        self.flight = flight_in(10, number=101)
        self.other_flight = flight_in(12, number=102)
        self.bucket = FareBucketFactory(flight=self.flight, fare_class=economy, price=Decimal("100.00"))
        self.other_bucket = FareBucketFactory(flight=self.other_flight, fare_class=economy, price=Decimal("90.00"))
        self.held = sell(self.bucket, ["Martin", "Durand"], counter, issue=False)
        self.ticketed = sell(self.bucket, ["Petit", "Roux"], counter)
        self.elsewhere = sell(self.other_bucket, ["Blanc"], counter)
        self.customers = sell(self.bucket, ["Pecheur", "Morel"], counter, email=CUSTOMER_EMAIL)
        self.customers_hold = sell(self.bucket, ["Pecheur"], counter, email=CUSTOMER_EMAIL, issue=False)
        ticket = self.ticketed.tickets.order_by("pk").first()
        self.requested = refunds.request_refund(ticket=ticket, requested_by=counter)
        approved_ticket = self.elsewhere.tickets.get()
        approved = refunds.request_refund(ticket=approved_ticket, requested_by=counter)
        self.approved = refunds.approve_refund(refund=approved, approver=role_users[FINANCE])
        # A flight to cancel, with a booking on it, and one already gone.
        self.to_cancel = flight_in(20, number=103)
        sell(FareBucketFactory(flight=self.to_cancel, fare_class=economy), ["Garnier"], counter)
        self.departed = flight_in(-1, number=104, status=Flight.Status.DEPARTED)


@pytest.fixture
def world(role_users):
    return World(role_users)


def staff(world, role):
    client = Client()
    client.force_login(world.users[role])
    return Probe(client, role)


def fields_of(page):
    names = NAME.findall(page.content.decode())
    return sorted({n for n in names if n not in ("csrfmiddlewaretoken", "s") and "__prefix__" not in n})


def each_field_then_all(probe, method, url, baseline, fields, *, what, values=VALUES, **kwargs):
    """Each hostile value in each field in turn (the others valid), then in every field at once."""
    for name in fields:
        for value in values:
            probe.send(method, url, {**baseline, name: value}, what=f"{name}={value[:20]!r}", **kwargs)
    for value in values:
        probe.send(
            method,
            url,
            {**baseline, **dict.fromkeys(fields, value)},
            what=f"all={value[:20]!r}",
            inputs=len(fields),
            **kwargs,
        )


def report(probes, area):
    requests = sum(p.requests for p in probes)
    inputs = sum(p.inputs for p in probes)
    seconds = sum(p.seconds for p in probes)
    hostile.SUMMARY.append(f"{area}: {requests} requests, {inputs} hostile inputs ({seconds:.0f} s)")
    faults = [f for p in probes for f in p.faults]
    assert not faults, f"{len(faults)} faults:\n" + "\n".join(faults[:60])


# --- The counter: search, booking, payment, tickets, seats -------------------------------------------------


def booking_baseline(world):
    segment = f"{world.flight.pk}:Y"
    data = {
        "segment": segment,
        "adults": "2",
        "children": "0",
        "infants": "1",
        "pax-TOTAL_FORMS": "3",
        "pax-INITIAL_FORMS": "0",
        "pax-MIN_NUM_FORMS": "1",
        "pax-MAX_NUM_FORMS": "9",
        "contact-contact_name": "Anne Martin",
        "contact-contact_email": "anne@example.com",
        "contact-contact_phone": "+33 1 23 45 67 89",
        "contact-then": "hold",
        "contact-method": "",
        "contact-reference": "",
    }
    kinds = [Passenger.Type.ADULT, Passenger.Type.ADULT, Passenger.Type.INFANT]
    for n, kind in enumerate(kinds):
        data |= {
            f"pax-{n}-passenger_type": kind,
            f"pax-{n}-title": "MS",
            f"pax-{n}-surname": f"Martin{'x' * n}",
            f"pax-{n}-given_names": "Anne",
            f"pax-{n}-infant_of": "1" if kind == Passenger.Type.INFANT else "",
        }
    return data


def test_the_counters_pages_answer_hostile_input_with_a_message(world):
    new = reverse("admin:sales_booking_new")
    search = reverse("admin:sales_booking_search")
    baseline = booking_baseline(world)
    probes = []
    full = False  # every field one by one for the first role that may book; every field at once for the others
    for role in ROLES:
        probe = staff(world, role)
        probes.append(probe)
        page = probe.client.get(new, {"segment": baseline["segment"], "adults": 2, "infants": 1})
        may = page.status_code == 200
        if not may:
            assert page.status_code == 403
            for value in VALUES[:3]:
                probe.send("post", new, {**baseline, "contact-contact_name": value}, what="booking", may=False)
            probe.send("post", new, baseline, what="a valid booking", may=False)
            probe.send("get", search, {"origin": "CDG", "destination": "LHR"}, what="search", may=False)
            continue
        fields = sorted(set(fields_of(page)) | {"segment", "adults", "children", "infants"})
        missing = set(fields) - set(baseline)
        assert not missing, missing  # the baseline fills every field of the form
        if not full:
            each_field_then_all(probe, "post", new, baseline, fields, what="booking")
        else:
            for value in VALUES:
                probe.send(
                    "post",
                    new,
                    {**baseline, **dict.fromkeys(fields, value)},
                    what=f"all={value[:20]!r}",
                    inputs=len(fields),
                )
        # Tampered hidden fields: a flight that is not for sale, another passenger's lap, the form counts.
        for tampered in (
            {"segment": f"{world.departed.pk}:Y"},
            {"segment": f"{world.to_cancel.pk}:Z"},
            {"segment": "99999999999999999:Y"},
            {"segment": [f"{world.flight.pk}:Y", f"{world.flight.pk}:Y"]},
            {"segment": [f"{world.flight.pk}:Y"] * 50},
            {"pax-2-infant_of": "3"},
            {"pax-2-infant_of": "2", "pax-1-passenger_type": Passenger.Type.INFANT},
            {"pax-0-passenger_type": Passenger.Type.INFANT},
            {"pax-TOTAL_FORMS": "1000"},
            {"pax-TOTAL_FORMS": "2"},
            {"pax-INITIAL_FORMS": "3"},
            {"adults": "9", "infants": "9", "children": "9"},
            {"contact-then": "pay_now", "contact-method": "card", "contact-reference": ""},
            {"contact-then": "pay_now", "contact-method": "cash"},
        ):
            probe.send("post", new, {**baseline, **tampered}, what=f"tampered {sorted(tampered)}")
        # The new booking's page read from its query string (the flights and the party chosen in the search).
        chosen = {k: baseline[k] for k in ("segment", "adults", "children", "infants")}
        chosen |= {"segment_out": baseline["segment"], "segment_back": f"{world.other_flight.pk}:Y"}
        if not full:
            each_field_then_all(probe, "get", new, chosen, sorted(chosen), what="quote", read_only=True)
        # The search's query string.
        good = {
            "origin": "CDG",
            "destination": "LHR",
            "date": str(world.flight.flight_date),
            "window": "1",
            "adults": "1",
            "children": "0",
            "infants": "0",
            "return_date": "",
        }
        search_fields = fields_of(probe.client.get(search))
        assert set(search_fields) <= set(good), search_fields
        if not full:
            each_field_then_all(probe, "get", search, good, sorted(good), what="search", read_only=True)
        for bad in BAD_IDS + VALUES[:4]:
            probe.send("get", reverse("admin:sales_booking_locations"), {"term": bad}, what="locations", read_only=True)
        full = True
    report(probes, "counter search and booking")


def test_a_bookings_pages_answer_hostile_input_with_a_message(world):
    held, ticketed, elsewhere = world.held, world.ticketed, world.elsewhere
    held_ticket = held.tickets.order_by("pk").first()
    open_ticket = ticketed.tickets.order_by("-pk").first()
    foreign_ticket = elsewhere.tickets.get()
    probes = []
    for role in ROLES:
        probe = staff(world, role)
        probes.append(probe)
        pay = reverse("admin:sales_booking_pay", args=[held.pk])
        may_pay = probe.client.get(pay).status_code == 200
        baseline = {"amount": "1.00", "method": "card", "reference": "AUTH 1"}
        if may_pay:
            each_field_then_all(probe, "post", pay, baseline, sorted(baseline), what="payment")
        else:
            probe.send("post", pay, baseline, what="a valid payment", may=False)
        # Every confirmed action: its address with ids of other records and ids that name nothing.
        actions = [
            ("sales_booking_issue", [held.pk]),
            ("sales_booking_cancel_ticket", [held.pk, held_ticket.pk]),
            ("sales_booking_refund_ticket", [ticketed.pk, open_ticket.pk]),
            ("sales_booking_void_ticket", [ticketed.pk, open_ticket.pk]),
            ("sales_booking_refund", [ticketed.pk]),
            ("sales_booking_cancel", [held.pk]),
        ]
        for name, args in actions:
            url = reverse(f"admin:{name}", args=args)
            may = probe.client.get(url).status_code in (200, 302)
            if len(args) == 2:
                # A ticket of another booking under this booking's address.
                probe.send(
                    "post",
                    reverse(f"admin:{name}", args=[args[0], foreign_ticket.pk]),
                    {"confirm": "1"},
                    what="another booking's ticket",
                    may=False,
                )
                probe.send(
                    "post",
                    reverse(f"admin:{name}", args=[elsewhere.pk, args[1]]),
                    {"confirm": "1"},
                    what="this ticket under another booking",
                    may=False,
                )
            for bad in BAD_IDS:
                bad_url = url.replace(f"/{args[-1]}/", f"/{bad}/", 1)
                if bad_url != url:
                    probe.send("post", bad_url, {}, what=f"id {bad!r}", may=False)
            if not may:
                probe.send("post", url, {}, what="refused action", may=False)
        # Departure: the steps and ticket ids of another flight.
        departure = reverse("admin:fleet_flight_departure", args=[world.flight.pk])
        may = probe.client.get(departure).status_code == 200
        for data in (
            {"step": "no_show", "ticket": [str(foreign_ticket.pk)]},
            {"step": "no_show", "ticket": BAD_IDS},
            *({"step": value, "ticket": value} for value in VALUES),
            {"step": "depart"},  # before take-off: refused in words
        ):
            probe.send("post", departure, data, what=f"departure {str(data)[:40]}", may=may)
    # Finally the valid actions, pressed twice: done, then "already done"; never a server error.
    counter = staff(world, COUNTER_STAFF)
    probes.append(counter)
    for name, args in (
        ("sales_booking_pay", [held.pk]),
        ("sales_booking_void_ticket", [ticketed.pk, ticketed.tickets.order_by("-pk").first().pk]),
        ("sales_booking_cancel_ticket", [held.pk, held_ticket.pk]),
        ("sales_booking_cancel", [held.pk]),
        ("sales_booking_issue", [held.pk]),
    ):
        url = reverse(f"admin:{name}", args=args)
        data = {"amount": "1.00", "method": "cash", "reference": ""}
        counter.send("post", url, data, what="valid")
        counter.send("post", url, data, what="pressed twice")
    report(probes, "booking actions")


# --- Finance's decisions; a flight's cancellation ------------------------------------------------------------


def test_refund_decisions_and_a_flights_cancellation_answer_hostile_input_with_a_message(world):
    probes = []
    for role in ROLES:
        probe = staff(world, role)
        probes.append(probe)
        for name, refund, baseline in (
            ("pay", world.approved, {"method": "card", "reference": "REF 1"}),
            ("reject", world.requested, {"reason": "Not refundable."}),
            ("approve", world.requested, {}),
        ):
            url = reverse(f"admin:refunds_refund_{name}", args=[refund.pk])
            may = probe.client.get(url).status_code == 200
            for bad in BAD_IDS:
                probe.send("post", url.replace(f"/{refund.pk}/", f"/{bad}/"), baseline, what=f"id {bad!r}", may=False)
            if not may:
                probe.send("post", url, baseline, what="refused decision", may=False)
            elif baseline:
                # The values that are refused first, so that the ones accepted come last.
                values = sorted(VALUES, key=lambda v: v.strip("-=").isalpha())
                each_field_then_all(probe, "post", url, baseline, sorted(baseline), what=name, values=values)
            else:
                probe.send("post", url, {"confirm": VALUES[1]}, what=name)
        # Bulk decisions with tampered selections.
        changelist = reverse("admin:refunds_refund_changelist")
        for action in ("approve_selected", "reject_selected"):
            for value in (*VALUES, str(world.approved.pk)):
                data = {"action": action, "_selected_action": value, "index": "0", "reason": value, "confirm": "1"}
                probe.send("post", changelist, data, what=f"{action} {value[:20]!r}")
        # Cancelling a flight: ids that name nothing or a flight that has left; then the real one, twice.
        cancel = reverse("admin:fleet_flight_cancel_flight", args=[world.to_cancel.pk])
        may = probe.client.get(cancel).status_code == 200
        for bad in [*BAD_IDS, str(world.departed.pk)]:
            probe.send(
                "post",
                cancel.replace(f"/{world.to_cancel.pk}/", f"/{bad}/"),
                {},
                what=f"flight {bad!r}",
                may=bad == str(world.departed.pk) and may,
            )
        if not may:
            probe.send("post", cancel, {}, what="refused cancellation", may=False)
        else:
            probe.send("post", cancel, {"confirm": VALUES[1]}, what="cancel flight")
            probe.send("post", cancel, {}, what="cancel flight twice")
    report(probes, "refund decisions and flight cancellation")


# --- Reports, bulk actions and history versions ----------------------------------------------------------------

REPORTS = ["salesreport", "refundreport", "cashupreport", "loadfactorreport"]
EXPORTS = ["csv", "xlsx", "pdf", "listing", "listing_csv", "listing_xlsx", "listing_pdf"]


def test_reports_answer_hostile_query_strings_with_a_message(world):
    probes = []
    exported = set()
    for role in ROLES:
        probe = staff(world, role)
        probes.append(probe)
        for name in REPORTS:
            page_url = reverse(f"admin:reporting_{name}_changelist")
            page = probe.client.get(page_url)
            if page.status_code != 200:
                probe.send("get", page_url, {"date_from": "2026-01-01"}, what="refused report", may=False)
                continue
            form = page.context["form"]
            baseline = {k: str(v) for k, v in form.initial.items() if v is not None}
            baseline |= {k: str(v) for k, v in form.data.items()}
            fields = sorted(set(fields_of(page)) | set(form.fields) | {"page", "separator"})
            if name in exported:  # the exports read the same form: every value once, as the first role that may
                for value in VALUES:
                    probe.send(
                        "get",
                        page_url,
                        {**baseline, **dict.fromkeys(fields, value)},
                        what=f"{value[:20]!r}",
                        inputs=len(fields),
                        read_only=True,
                    )
                continue
            exported.add(name)
            each_field_then_all(probe, "get", page_url, baseline, fields, what=name, read_only=True)
            # A valid report with a page number or a separator nobody offers.
            for part, parameter in (("listing", "page"), ("csv", "separator")):
                url = reverse(f"admin:reporting_{name}_{part}")
                for value in VALUES:
                    probe.send(
                        "get",
                        url,
                        {**baseline, parameter: value},
                        what=f"{part} {parameter}={value[:20]!r}",
                        read_only=True,
                    )
            for part in EXPORTS:
                url = reverse(f"admin:reporting_{name}_{part}")
                for value in VALUES if part in ("csv", "listing") else VALUES[::2]:
                    probe.send(
                        "get",
                        url,
                        {**baseline, **dict.fromkeys(fields, value)},
                        what=f"{part} {value[:20]!r}",
                        inputs=len(fields),
                        read_only=True,
                    )
    report(probes, "report query strings")


def test_bulk_actions_and_posted_history_versions_change_nothing_they_should_not(world):
    probes = []
    versions = [(Booking, world.held.pk), (Flight, world.flight.pk)]
    for role in ROLES:
        probe = staff(world, role)
        probes.append(probe)
        request = RequestFactory().get("/admin/")
        request.user = world.users[role]
        for model, model_admin in admin.site._registry.items():
            opts = model._meta
            if not model_admin.has_view_or_change_permission(request):
                continue
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            for action in model_admin.get_actions(request):
                for value in (*VALUES, *BAD_IDS[:2]):
                    # The first step of every action, with a selection that names nothing: nothing is confirmed.
                    data = {"action": action, "_selected_action": value, "index": "0"}
                    probe.send("post", changelist, data, what=f"{opts.model_name}.{action} {value[:20]!r}")
        for model, pk in versions:
            opts = model._meta
            record = model.history.filter(**{opts.pk.attname: pk}).order_by("history_id").first()
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[pk, record.history_id])
            for value in VALUES[:4]:
                probe.send(
                    "post",
                    url,
                    {"status": value, "_save": "Save"},
                    what=f"post a past version {value[:10]!r}",
                    may=False,
                )
    report(probes, "bulk actions and history versions")


# --- The customer site -------------------------------------------------------------------------------------------


def customer_client(world):
    """A customer with a confirmed account whose address is the contact of two bookings."""
    client = Client()
    client.post(reverse("customers:sign_up"), {"email": CUSTOMER_EMAIL})
    user = User.objects.get(username=CUSTOMER_EMAIL)
    link = reverse("customers:confirm", kwargs={"token": confirmation_token(user)})
    assert client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 302
    return client


def test_the_customer_sites_forms_answer_hostile_input_with_a_message(world):
    visitor = Probe(Client(), "visitor")
    customer = Probe(customer_client(world), "customer")
    probes = [visitor, customer]
    for role in ROLES:
        probes.append(staff(world, role))
    lookup = reverse("customers:lookup")
    good = {"record_locator": world.customers.record_locator, "surname": "Pecheur"}
    each_field_then_all(visitor, "post", lookup, good, sorted(good), what="lookup")
    # Ids of other bookings, as a visitor looking up and as a customer in their account.
    visitor.send(
        "post",
        lookup,
        {"record_locator": world.elsewhere.record_locator, "surname": "Pecheur"},
        what="another booking's locator",
    )
    for value in [*BAD_IDS, "x" * 300]:
        visitor.send("get", f"/my-booking/b/{value}/".replace("\x00", "%00"), what=f"token {value[:10]!r}", may=False)
    # The address another visitor's look-up led to (its id is their session's): nothing to see from here.
    found = Client().post(lookup, good)
    assert found.status_code == 302, found.status_code
    for url in (found["Location"], found["Location"] + "receipt.pdf"):
        visitor.send("get", url, what="another visitor's looked-up booking", may=False)
    sign_up = reverse("customers:sign_up")
    each_field_then_all(visitor, "post", sign_up, {"email": "new@example.com"}, ["email"], what="sign up")
    login = reverse("customers:login")
    each_field_then_all(
        Probe(Client(), "visitor"),
        "post",
        login,
        {"username": CUSTOMER_EMAIL, "password": "wrong"},
        ["username", "password"],
        what="log in",
    )
    reset = reverse("customers:password_reset")
    each_field_then_all(visitor, "post", reset, {"email": CUSTOMER_EMAIL}, ["email"], what="password reset")
    # The confirmation page: a tampered token, then the passwords of a real one.
    waiting = User.objects.create_user("new2@example.com", email="new2@example.com", is_active=False)
    confirm = reverse("customers:confirm", kwargs={"token": confirmation_token(waiting)})
    for value in BAD_IDS:
        visitor.send(
            "post",
            confirm.replace("/confirm/", f"/confirm/{value}", 1).replace("\x00", "%00"),
            {"new_password1": PASSWORD, "new_password2": PASSWORD},
            what=f"token {value!r}",
            may=False,
        )
    passwords = {"new_password1": PASSWORD, "new_password2": PASSWORD}
    values = sorted(VALUES, key=lambda v: len(v) >= 8)  # a value that makes a good password goes last
    each_field_then_all(
        Probe(Client(), "visitor"),
        "post",
        confirm,
        passwords,
        sorted(passwords),
        what="choose a password",
        values=values,
    )
    for value in BAD_IDS[:3]:
        url = f"/my-booking/account/password-reset/{value}/{value}/".replace("\x00", "%00")
        visitor.send("post", url, passwords, what=f"reset link {value!r}", read_only=True)  # "this link is invalid"
    # The account's actions: every one on a booking of someone else's, ids that name nothing, a passenger
    # who is not on the booking; then as a visitor and as staff (who log in elsewhere).
    own, hold, other = world.customers, world.customers_hold, world.elsewhere
    for name, kwargs in (
        ("refund_booking", {}),
        ("refund_passenger", {"position": 1}),
        ("cancel_hold", {}),
        ("account_booking", {}),
    ):
        for booking_id in (other.pk, "0", "99999999999999999999"):
            url = reverse(f"customers:{name}", kwargs={"booking_id": 1, **kwargs}).replace("/1/", f"/{booking_id}/", 1)
            customer.send("post", url, {}, what=f"{name} of booking {booking_id}", may=False)
        for probe in probes[2:] + [visitor]:
            url = reverse(f"customers:{name}", kwargs={"booking_id": own.pk, **kwargs})
            probe.send("post", url, {}, what=f"{name} not logged in as the customer", may=False)
    for position in ("0", "3", "99999999999999999999"):
        url = reverse("customers:refund_passenger", kwargs={"booking_id": own.pk, "position": 1})
        customer.send(
            "post", url.replace("passenger-1", f"passenger-{position}"), {}, what=f"passenger {position}", may=False
        )
    # And the real ones, each twice: done, then refused in words.
    for name, booking, kwargs in (
        ("refund_passenger", own, {"position": 2}),
        ("refund_booking", own, {}),
        ("cancel_hold", hold, {}),
    ):
        url = reverse(f"customers:{name}", kwargs={"booking_id": booking.pk, **kwargs})
        customer.send("post", url, {"confirm": VALUES[1]}, what=name)
        customer.send("post", url, {}, what=f"{name} twice")
    report(probes, "customer site")


# --- Schedule uploads ---------------------------------------------------------------------------------------------

IMPORT = reverse("admin:fleet_scheduleline_import")
PROCESS = reverse("admin:fleet_scheduleline_process_import")
LINE = ["XB 1", "1", "CDG", "LHR", "10:00", "10:20", "", "1234567", "2027-01-04", "2027-01-10", "320", ""]


def csv_file(*rows, encoding="utf-8"):
    lines = [",".join(schedule.TABLE_COLUMNS), *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode(encoding, "surrogatepass")


def xlsx_file(*rows):
    book = Workbook()
    sheet = book.active
    sheet.append(schedule.TABLE_COLUMNS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ssim_files(value):
    """The sample's first leg with the value written over each of its fields in turn."""
    lines = schedule_sample().split(b"\n")
    leg = next(n for n, line in enumerate(lines) if line[:1] == b"3")
    head, record, tail = lines[:leg], lines[leg], [line for line in lines[leg + 1 :] if line[:1] in (b"5", b"0")]
    data = value.encode("utf-8", "surrogatepass")
    for offset in (1, 2, 5, 11, 14, 21, 28, 36, 39, 54, 61, 72, 172, 192):
        changed = record[:offset] + data + record[offset + len(data) :]
        yield b"\n".join([*head, changed, *tail[:40]])


def schedule_sample():
    from tests.fleet.test_schedule_import import SAMPLE

    return SAMPLE.read_bytes()


def uploads():
    """(what, file name, bytes): every hostile value in every column of a CSV, in every cell of a sheet,
    over every field of an SSIM leg; files of the wrong encoding or kind, a zip bomb."""
    for value in VALUES:
        for column in range(len(LINE)):
            row = list(LINE)
            row[column] = value.replace(",", ";")
            yield f"csv {schedule.TABLE_COLUMNS[column]}={value[:12]!r}", "s.csv", csv_file(row)
        if "\x00" not in value:  # a spreadsheet cannot hold a NUL: openpyxl refuses to write it
            yield f"xlsx every cell {value[:12]!r}", "s.xlsx", xlsx_file([value] * len(LINE))
        for n, data in enumerate(ssim_files(value)):
            if n % 3 == VALUES.index(value) % 3:  # a third of the fields per value: every field meets several
                yield f"ssim field {n} {value[:12]!r}", "s.ssim", data
    numbers = [float("nan"), float("inf"), -1, 10**20, 1e308, dt.datetime(1, 1, 1), dt.date(9999, 12, 31)]
    for number in numbers:
        row = list(LINE)
        for column in (1, 6, 7, 8, 9, 10, 11):
            row[column] = number
        yield f"xlsx numbers {number!r}", "s.xlsx", xlsx_file(row)
    yield "xlsx formulas", "s.xlsx", xlsx_file(["=1+1", "=A1", '=HYPERLINK("x")', *LINE[3:]])
    yield "latin-1", "s.csv", csv_file([*LINE[:11], "Pécheur"], encoding="latin-1")
    yield "utf-16", "s.csv", csv_file(LINE, encoding="utf-16")
    yield "nul bytes", "s.csv", csv_file(LINE).replace(b",", b"\x00,")
    yield "no header", "s.csv", ",".join(LINE).encode()
    yield "one byte", "s.csv", b"\xff"
    yield "a csv named xlsx", "s.xlsx", csv_file(LINE)
    yield "an xlsx named csv", "s.csv", xlsx_file(LINE)
    yield "a zip of nothing", "s.xlsx", zip_bomb()
    yield "a long name", "x" * 300 + ".csv", csv_file(LINE)
    yield "a path for a name", "../../etc/passwd.csv", csv_file(LINE)


def zip_bomb():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<" * 50_000_000)
    return buffer.getvalue()


def test_schedule_uploads_and_their_confirmation_answer_hostile_files_with_a_message(world):
    probes = []
    for role in ROLES:
        probe = staff(world, role)
        probes.append(probe)
        if probe.client.get(IMPORT).status_code != 200:
            probe.send(
                "post",
                IMPORT,
                {"resource": "0", "import_file": SimpleUploadedFile("s.csv", csv_file(LINE))},
                what="refused upload",
                may=False,
            )
            probe.send(
                "post",
                PROCESS,
                {"import_file_name": "x", "original_file_name": "s.csv", "format": "1", "resource": "0"},
                what="refused confirmation",
                may=False,
            )
            continue
        for what, name, data in uploads():
            probe.send(
                "post",
                IMPORT,
                {"resource": "0", "import_file": SimpleUploadedFile(name, data)},
                what=what,
                read_only=True,
            )
        for value in VALUES:  # the upload's own form: its resource and a format nobody picks
            data = {"resource": value, "format": value, "import_file": SimpleUploadedFile("s.csv", csv_file(LINE))}
            probe.send("post", IMPORT, data, what=f"upload resource={value[:12]!r}", inputs=2, read_only=True)

        def preview(probe=probe):
            page = probe.client.post(
                IMPORT, {"resource": "0", "import_file": SimpleUploadedFile("s.csv", csv_file(LINE))}
            )
            return {k: v for k, v in page.context["confirm_form"].initial.items() if v is not None}

        # A fresh preview for each tampered confirmation, so that each meets an upload still waiting.
        for field in ("import_file_name", "original_file_name", "format", "resource", "create_aircraft_types"):
            for value in [*VALUES, "../../../etc/passwd", "/etc/passwd"]:
                probe.send("post", PROCESS, {**preview(), field: value}, what=f"confirm {field}={value[:12]!r}")
        # Another Admin confirming this one's upload: not theirs to import.
        second = User.objects.create_user("adele", is_staff=True)
        second.groups.add(*world.users[ADMIN].groups.all())
        other = Client()
        other.force_login(second)
        waiting = preview()
        another = Probe(other, "another Admin")
        probes.append(another)
        another.send("post", PROCESS, waiting, what="another Admin's upload", may=False)
        probe.send("post", PROCESS, waiting, what="the real confirmation")
        probe.send("post", PROCESS, waiting, what="confirmed twice")
    report(probes, "schedule uploads")


# --- Logging in, passwords, and a flight's own pages ------------------------------------------------------------


def test_log_ins_passwords_and_a_flights_pages_answer_hostile_input_with_a_message(world):
    probes = []
    login = reverse("admin:login")
    visitor = Probe(Client(), "visitor")
    probes.append(visitor)
    each_field_then_all(
        visitor, "post", login, {"username": "ada", "password": "wrong"}, ["username", "password"], what="admin log-in"
    )
    for role in ROLES:
        probe = staff(world, role)
        probes.append(probe)
        # Their own password: the old one wrong, so nothing is ever changed.
        change = reverse("admin:password_change")
        passwords = {"old_password": "wrong", "new_password1": PASSWORD, "new_password2": PASSWORD}
        each_field_then_all(probe, "post", change, passwords, sorted(passwords), what="own password", values=VALUES[:5])
        # Another user's password: only who may change users.
        target = reverse("admin:auth_user_password_change", args=[world.users[FINANCE].pk])
        may = probe.client.get(target).status_code == 200
        set_password = {"password1": "", "password2": PASSWORD, "usable_password": "true"}
        if may:
            each_field_then_all(
                probe, "post", target, set_password, sorted(set_password), what="set a password", values=VALUES[:4]
            )
        else:
            probe.send("post", target, {"password1": PASSWORD, "password2": PASSWORD}, what="refused", may=False)
        for bad in BAD_IDS[:4]:
            probe.send(
                "post",
                target.replace(f"/{world.users[FINANCE].pk}/", f"/{bad}/"),
                set_password,
                what=f"user {bad!r}",
                may=False,
            )
        # A flight's pages with ids that name nothing.
        for action in ("book", "departure", "manifest-pdf", "manifest-csv", "cancel-flight"):
            for bad in BAD_IDS:
                probe.send(
                    "get",
                    f"/admin/fleet/flight/{bad}/{action}/".replace("\x00", "%00"),
                    what=f"flight {bad!r} {action}",
                    may=False,
                )
        for bad in BAD_IDS:
            probe.send(
                "get", f"/admin/sales/booking/{bad}/receipt.pdf".replace("\x00", "%00"), what="receipt", may=False
            )
    report(probes, "log-ins, passwords and flight pages")
