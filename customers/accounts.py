"""Customer accounts: a Django user who is not staff, named by their e-mail address, with no permissions.

An account is inactive until its address is confirmed through a signed link, so "My bookings" (every
booking whose contact e-mail is the account's address) only ever shows an address its owner reads.
Staff accounts are never customers: the site's log-in refuses them, and a customer can never reach
the admin (`is_staff` false, no groups, no permissions).
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from sales.models import Booking
from sales.selectors import with_first_flight

CONFIRM_SALT = "customers.confirm-address"
# A confirmation link works this long after it was sent.
CONFIRM_MAX_AGE = 3 * 24 * 3600


def is_customer(user):
    return user.is_authenticated and not user.is_staff and not user.is_superuser


def confirmation_token(user):
    return signing.dumps({"user": user.pk, "email": user.email}, salt=CONFIRM_SALT, compress=True)


def user_to_confirm(token):
    """The inactive customer a link confirms, or None (tampered, too old, already confirmed, address changed)."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=False, is_staff=False, is_superuser=False).first()
    if user is None or user.email != data.get("email"):
        return None
    return user


def _mail(template, address, context):
    context = {"airline_name": settings.AIRLINE_NAME, **context}
    subject = " ".join(render_to_string(f"customers/email/{template}_subject.txt", context).split())
    body = render_to_string(f"customers/email/{template}.txt", context)
    send_mail(subject, body, None, [address])


@transaction.atomic
def sign_up(*, request, email):
    """Make an inactive account and mail its confirmation link; an address already known gets a note instead.

    The password is chosen on the confirmation page, by whoever reads the address's mail: someone who
    signs up with another person's address can never log in to it. The page says the same either way,
    so that signing up does not tell who has an account.
    """
    email = email.strip().lower()
    existing = User.objects.filter(username=email).first() or User.objects.filter(email__iexact=email).first()
    if existing is not None and (existing.is_staff or existing.is_superuser):
        return None
    if existing is not None and existing.is_active:
        reset = request.build_absolute_uri(reverse("customers:password_reset"))
        _mail("already", email, {"reset_url": reset})
        return None
    user = existing
    if user is None:
        user = User(username=email, email=email, is_active=False, is_staff=False)
        user.set_unusable_password()
        user.save()
    link = request.build_absolute_uri(reverse("customers:confirm", kwargs={"token": confirmation_token(user)}))
    _mail("confirm", email, {"confirm_url": link, "days": CONFIRM_MAX_AGE // 86400})
    return user


@transaction.atomic
def confirm(*, user, password):
    """The address is confirmed and the account opened, with the password its owner chose."""
    user.set_password(password)
    user.is_active = True
    user.save()
    return user


def bookings_of(user, *, now=None):
    """The customer's bookings (contact e-mail = the confirmed address): upcoming first, soonest first, then past,
    latest first. One query."""
    now = now or timezone.now()
    bookings = list(
        with_first_flight(Booking.objects.filter(contact_email__iexact=user.email)).only(
            "pk", "record_locator", "status", "created_at", "total_amount", "amount_paid"
        )
    )
    upcoming = sorted(
        (b for b in bookings if b.first_departure and b.first_departure >= now), key=lambda b: b.first_departure
    )
    past = sorted(
        (b for b in bookings if not (b.first_departure and b.first_departure >= now)),
        key=lambda b: b.first_departure or b.created_at,
        reverse=True,
    )
    return upcoming, past
