def strip_nul_from_query(get_response):
    """Drop NUL characters from the query string before any view reads it.

    Nobody types one, but a pasted or crafted URL may carry %00, and PostgreSQL refuses any
    text holding it: a search, a filter or an autocomplete term with NUL was an HTTP 500 there
    (SQLite took it). Without it the request means what the person meant.
    """

    def middleware(request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            query = request.GET.copy()
            for key in list(query):
                query.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in query.pop(key)])
            query._mutable = False
            request.GET = query
        return get_response(request)

    return middleware
