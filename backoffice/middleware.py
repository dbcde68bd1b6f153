def _without_nul(query):
    clean = query.copy()
    for key in list(clean):
        clean.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in clean.pop(key)])
    clean._mutable = False
    return clean


def strip_nul_from_query(get_response):
    """Drop NUL characters from the query string and from posted form fields before any view reads them.

    Nobody types one, but a pasted or crafted URL or form may carry %00, and PostgreSQL refuses
    any text holding it: a search, a filter, an autocomplete term or a login name with NUL was
    an HTTP 500 there (SQLite took it). Without it the request means what the person meant.
    """

    def middleware(request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            request.GET = _without_nul(request.GET)
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
