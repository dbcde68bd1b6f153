"""Customer accounts: sign up, confirm by a signed link, log in, reset the password, log out, "My bookings".

Issue 13."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core import mail
from django.db.models import F
from django.test import Client
from django.urls import reverse

from fleet.models import Flight
from tests.customers.conftest import CONTACT

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-2026"


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def link_in(message):
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def open_account(client, email="zoe@example.com"):
    """Sign up and confirm as the address's owner would; returns the logged-in client's user."""
    client.post(reverse("customers:sign_up"), {"email": email})
    confirm = link_in(mail.outbox[-1])
    response = client.post(confirm, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302, text(response)
    return User.objects.get(username=email.lower())


def test_sign_up_mails_a_link_and_the_account_opens_only_through_it(client):
    response = client.post(reverse("customers:sign_up"), {"email": " Zoe@Example.com "})
    assert response.status_code == 200
    assert "Check your e-mail" in text(response)
    user = User.objects.get(username="zoe@example.com")
    assert not user.is_active and not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert (len(mail.outbox), mail.outbox[0].to) == (1, ["zoe@example.com"])

    confirm = link_in(mail.outbox[0])
    page = client.get(confirm)
    assert page.status_code == 200 and "zoe@example.com" in text(page)
    user.refresh_from_db()
    assert not user.is_active  # a GET changes nothing
    response = client.post(confirm, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("customers:my_bookings")
    user.refresh_from_db()
    assert user.is_active and user.check_password(PASSWORD)
    assert not user.groups.exists() and not user.user_permissions.exists()
    # The link is spent: it cannot set the password again.
    assert Client().get(confirm).status_code == 404


def test_a_tampered_or_unknown_link_is_refused(client):
    client.post(reverse("customers:sign_up"), {"email": "zoe@example.com"})
    confirm = link_in(mail.outbox[0])
    assert client.get(confirm[:-3] + "xyz/").status_code == 404
    assert client.get(reverse("customers:confirm", kwargs={"token": "x" * 5000})).status_code == 404


def test_a_weak_password_is_refused_on_its_field(client):
    client.post(reverse("customers:sign_up"), {"email": "zoe@example.com"})
    response = client.post(link_in(mail.outbox[0]), {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    assert not User.objects.get(username="zoe@example.com").is_active


@pytest.mark.parametrize(
    ("email", "message"),
    [("not-an-address", "Enter a valid email address"), ("a" * 10_000 + "@x.com", "at most 150 characters")],
)
def test_bad_addresses_get_a_message_on_the_field(client, db, email, message):
    response = client.post(reverse("customers:sign_up"), {"email": email})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["email"])
    assert not mail.outbox


def test_signing_up_again_with_an_open_account_does_not_tell_and_mails_a_note(client):
    open_account(Client())
    response = client.post(reverse("customers:sign_up"), {"email": "zoe@example.com"})
    assert "Check your e-mail" in text(response)
    assert "already has one" in mail.outbox[-1].body
    assert User.objects.get(username="zoe@example.com").check_password(PASSWORD)


def test_a_staff_address_gets_no_customer_account(client, counter_user):
    counter_user.email = "carl@example.com"
    counter_user.save()
    response = client.post(reverse("customers:sign_up"), {"email": "carl@example.com"})
    assert "Check your e-mail" in text(response)
    assert not mail.outbox
    assert User.objects.filter(email__iexact="carl@example.com").count() == 1


def test_log_in_and_log_out(db):
    open_account(Client())
    client = Client()
    response = client.post(reverse("customers:login"), {"username": "ZOE@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("customers:my_bookings")
    assert client.get(reverse("customers:my_bookings")).status_code == 200
    assert client.get(reverse("customers:logout")).status_code == 405  # POST only
    assert client.post(reverse("customers:logout")).status_code == 302
    assert client.get(reverse("customers:my_bookings")).status_code == 302


def test_a_wrong_password_is_refused_and_counted_then_locked(db, settings):
    open_account(Client())
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("customers:login"), {"username": "zoe@example.com", "password": "wrong"})
        assert response.status_code in (200, 429)
        assert "wrong" in text(response) or "Too many" in text(response)
    locked = client.post(reverse("customers:login"), {"username": "zoe@example.com", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in text(locked)
    assert AccessAttempt.objects.filter(username="zoe@example.com").exists()


def test_staff_cannot_log_in_as_customers(client, counter_user):
    response = client.post(reverse("customers:login"), {"username": "carl", "password": "pw-for-tests-only"})
    assert response.status_code == 200
    assert "Staff accounts cannot log in here" in text(response)
    assert client.get(reverse("customers:my_bookings")).status_code == 302


def test_a_staff_session_does_not_reach_the_customers_pages(client, counter_user):
    client.force_login(counter_user)
    response = client.get(reverse("customers:my_bookings"))
    assert response.status_code == 302 and response.url.startswith(reverse("customers:login"))


def test_a_customer_never_reaches_the_admin(db):
    client = Client()
    open_account(client)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/login/" in response.url
    assert client.get(reverse("admin:sales_booking_changelist")).status_code == 302


def test_password_reset_for_a_customer_and_not_for_staff(client, counter_user):
    open_account(Client())
    counter_user.email = "carl@example.com"
    counter_user.save()
    mail.outbox.clear()
    for address in ("carl@example.com", "nobody@example.com"):
        response = client.post(reverse("customers:password_reset"), {"email": address})
        assert response.status_code == 302
    assert not mail.outbox  # the same answer, and no mail, for staff and for unknown addresses
    client.post(reverse("customers:password_reset"), {"email": "zoe@example.com"})
    assert len(mail.outbox) == 1
    reset = client.get(link_in(mail.outbox[0]), follow=True)
    new = "another-long-passphrase-7"
    response = client.post(reset.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert User.objects.get(username="zoe@example.com").check_password(new)


def move_to_the_past(booking):
    Flight.objects.filter(tickets__booking=booking).update(
        scheduled_departure=F("scheduled_departure") - dt.timedelta(days=40),
        scheduled_arrival=F("scheduled_arrival") - dt.timedelta(days=40),
    )


def test_my_bookings_lists_the_addresss_bookings_upcoming_first(make_booking):
    later = make_booking("Pecheur", departs_in=dt.timedelta(days=20))
    sooner = make_booking("Pecheur", departs_in=dt.timedelta(days=5))
    past = make_booking("Pecheur", departs_in=dt.timedelta(days=10))
    move_to_the_past(past)
    shouting = make_booking("Pecheur", contact={**CONTACT, "contact_email": "ZOE@EXAMPLE.COM"})
    someone_else = make_booking("Martin", contact={**CONTACT, "contact_email": "martin@example.com"})
    client = Client()
    open_account(client)
    page = text(client.get(reverse("customers:my_bookings")))
    upcoming, past_part = page.split("Upcoming", 1)[1].split("Past", 1)
    order = [b.record_locator for b in (sooner, shouting, later)]
    assert [locator for locator in re.findall(r"Booking ([A-Z0-9]{6})", upcoming)] == order
    assert past.record_locator in past_part
    assert someone_else.record_locator not in page


def test_my_bookings_costs_the_same_queries_for_one_booking_or_many(make_booking, django_assert_num_queries):
    client = Client()
    open_account(client)
    make_booking()
    with django_assert_num_queries(3) as one:
        client.get(reverse("customers:my_bookings"))
    make_booking(), make_booking()
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("customers:my_bookings"))


def test_a_customer_reaches_only_their_own_bookings(make_booking):
    mine = make_booking("Pecheur")
    theirs = make_booking("Martin", contact={**CONTACT, "contact_email": "martin@example.com"})
    me, them = Client(), Client()
    open_account(me)
    open_account(them, "martin@example.com")
    assert me.get(reverse("customers:account_booking", args=[mine.pk])).status_code == 200
    response = me.get(reverse("customers:account_receipt", args=[mine.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    for name in ("customers:account_booking", "customers:account_receipt"):
        assert me.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert them.get(reverse(name, args=[mine.pk])).status_code == 404
        assert me.get(reverse(name, args=[999_999])).status_code == 404
        assert Client().get(reverse(name, args=[mine.pk])).status_code == 302  # to the log-in
