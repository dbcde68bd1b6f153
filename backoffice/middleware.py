import time


def _without_nul(query):
    clean = query.copy()
    for key in list(clean):
        clean.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in clean.pop(key)])
    clean._mutable = False
    return clean


MAX_SEARCH_CHARS = 200


def strip_nul_from_query(get_response):
    """Drop NUL characters from the query string and from posted form fields before any view reads them.

    Nobody types one, but a pasted or crafted URL or form may carry %00, and PostgreSQL refuses
    any text holding it: a search, a filter, an autocomplete term or a login name with NUL was
    an HTTP 500 there (SQLite took it). Without it the request means what the person meant.
    """

    def middleware(request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            request.GET = _without_nul(request.GET)
        if len(request.GET.get("q", "")) > MAX_SEARCH_CHARS:
            # A search term is a name, a number or a code; 100,000 characters are none of them, and SQLite
            # refuses a LIKE pattern that long (a 500). The term is cut, as a search box's maxlength would.
            query = request.GET.copy()
            query["q"] = query["q"][:MAX_SEARCH_CHARS]
            request.GET = query
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            if any("\x00" in value for values in request.POST.lists() for value in values[1]) or any(
                "\x00" in key for key in request.POST
            ):
                request.POST = _without_nul(request.POST)
        return get_response(request)

    return middleware


def password_change_first(get_response):
    """Someone whose password another person set sees only the page to choose their own (and log out)."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from backoffice.accounts import must_change_password

    def middleware(request):
        if request.user.is_authenticated and must_change_password(request):
            allowed = {reverse("admin:password_change"), reverse("admin:password_change_done"), reverse("admin:logout")}
            if request.path not in allowed and not request.path.startswith(("/static/", reverse("admin:jsi18n"))):
                messages.warning(request, _("Your password was set by someone else: choose your own to go on."))
                return redirect("admin:password_change")
        return get_response(request)

    return middleware


# The session key holding when its user was last seen (seconds since the epoch).
LAST_SEEN = "last_seen"
# The time last seen is written at most this often: a write on every page would cost a query each.
SEEN_EVERY_SECONDS = 300


def seen_at_log_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


def end_idle_sessions(get_response):
    """Log out whoever has sent no request for SESSION_IDLE_HOURS (a counter terminal left logged in).

    The time last seen moves on at most every five minutes, and the session's expiry with it (it is
    SESSION_COOKIE_AGE after the session's last write), so an active person stays logged in.
    """
    from django.conf import settings
    from django.contrib import messages
    from django.contrib.auth import logout
    from django.utils.translation import gettext as _

    def middleware(request):
        if request.user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(LAST_SEEN)
            if seen is not None and now - seen > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(hours)s hours without activity. Log in again.")
                    % {"hours": f"{settings.SESSION_IDLE_HOURS:g}"},
                )
            elif seen is None or now - seen >= SEEN_EVERY_SECONDS:
                request.session[LAST_SEEN] = now
        return get_response(request)

    return middleware
