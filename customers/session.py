"""Bookings a browser session has looked up, each under an opaque id that means something only in that session.

The record locator and surname never appear in a URL (a referrer header or a proxy log would keep them):
the lookup form is POSTed, and the booking's pages are reached by `/my-booking/<id>/`, an id drawn at
random and kept in the session next to the booking's primary key. Another session, or any other id,
finds nothing (404).
"""

import secrets

from django.http import Http404

SESSION_KEY = "customers.looked_up"
# A browser that looks up more bookings than this forgets the oldest.
KEPT = 10


def remember(request, booking_id):
    """The opaque id of this booking in this session (the same one if it was looked up before)."""
    looked_up = dict(request.session.get(SESSION_KEY, {}))
    for token, pk in looked_up.items():
        if pk == booking_id:
            return token
    token = secrets.token_urlsafe(16)
    looked_up[token] = booking_id
    while len(looked_up) > KEPT:
        looked_up.pop(next(iter(looked_up)))
    request.session[SESSION_KEY] = looked_up
    return token


def booking_id_for(request, token):
    """The booking this session looked up under `token`, or 404."""
    booking_id = request.session.get(SESSION_KEY, {}).get(token)
    if booking_id is None:
        raise Http404("No such booking in this session.")
    return booking_id
