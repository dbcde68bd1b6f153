"""A GET-only crawl of the admin as one user: every page the home links to, a few levels deep.

The crawler follows links (<a href>), submits GET forms (search, filters, the flight search) with
typical and awkward values, asks every autocomplete a select points to, and tries awkward query
strings and ids on each kind of page. It never POSTs, so it logs out, deletes and confirms nothing.

Each request runs in a savepoint, so a view that breaks the transaction does not break the next one,
and a view that raises is recorded as a 500 with the exception, not raised into the test.
"""

import html as htmllib
import re
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.db import transaction
from django.urls import Resolver404, resolve

HUGE_ID = "99999999999999999999"
QUOTES = "'\"<>%_\\ Pécheur 東京 🛫"
# What a person (or a stray paste) may type into any field of a GET form.
AWKWARD = [QUOTES, "\x00", HUGE_ID, "2026-02-30"]
# Dates a date field must refuse or survive: the ends of the calendar.
BAD_DATES = ["0001-01-01", "9999-12-31"]
SEARCHES = [QUOTES, "\x00", "y" * 1200, "XB 1001", HUGE_ID]
ORDERINGS = ["abc", "99.-x"]
PAGES = ["99999"]
BAD_IDS = ["abc", HUGE_ID]
BAD_FILTER_VALUES = [HUGE_ID, "\x00"]
# Changelist parameters that are not filters.
LIST_PARAMS = {"q", "o", "p", "e", "all", "_popup", "_to_field", "_changelist_filters", "_facets"}
DATE_LIKE = re.compile(r"date|_at\b|_at__|__gte|__lte|^\d{4}-\d{2}-\d{2}$")
NEVER = re.compile(r"/logout/")
# How a time must never read on a page: raw ("2026-11-29 07:10:00+01:00") or on a 12-hour clock ("4:20 p.m.").
# A clock time starts a word: a record locator such as 3M74PM is not "4 PM".
RAW_DATETIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d")
TWELVE_HOUR = re.compile(r"\b\d{1,2}(?::\d\d)?\s?[ap]\.?m\b|\bmidnight\b|\bnoon\b", re.IGNORECASE)
# Per-role figures of the last crawl, for the terminal summary (tests/backoffice/conftest.py).
SUMMARY = []


@dataclass
class Visit:
    role: str
    url: str
    status: int
    url_name: str | None
    awkward: bool
    probe: bool = False
    location: str = ""
    error: str = ""
    seconds: float = 0.0
    unreadable_time: str = ""  # a raw or 12-hour time the page shows, with the words around it


@dataclass
class Page:
    links: list = field(default_factory=list)
    forms: list = field(default_factory=list)  # (action, {name: typical value})
    autocompletes: list = field(default_factory=list)  # (app_label, model_name, field_name)
    changelist: bool = False  # the admin's list of records (its search, ordering, pages and filters)


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") in ("changelist", "result_list"):
            self.page.changelist = True
        if tag == "a" and a.get("href"):
            self.page.links.append(a["href"])
        elif tag == "form":
            get = (a.get("method") or "get").lower() == "get"
            self._form = (a.get("action") or "", {}) if get else None
            if get:
                self.page.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form is not None and a.get("name"):
            kind = a.get("type", "text")
            if kind not in ("submit", "button", "reset", "file", "image"):
                if kind not in ("checkbox", "radio") or "checked" in a:
                    self._form[1].setdefault(a["name"], a.get("value") or "")
                else:
                    self._form[1].setdefault(a["name"], "")
        if tag == "select":
            self._select = a.get("name") if self._form is not None else None
            if a.get("data-app-label") and a.get("data-model-name") and a.get("data-field-name"):
                self.page.autocompletes.append((a["data-app-label"], a["data-model-name"], a["data-field-name"]))
        elif tag == "option" and self._select and a.get("value") and self._form is not None:
            fields = self._form[1]
            if not fields.get(self._select) or "selected" in a:
                fields[self._select] = a["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def parse(html):
    parser = PageParser()
    parser.feed(html)
    return parser.page


def visible_text(html):
    """What a person reads on the page: its text (options of a select included), no markup, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def unreadable_time(html):
    """The first raw or 12-hour time the page shows, with a little of its context; "" when there is none."""
    text = visible_text(html)
    for pattern in (RAW_DATETIME, TWELVE_HOUR):
        if found := pattern.search(text):
            return text[max(found.start() - 60, 0) : found.end() + 20]
    return ""


def url_name(url):
    try:
        return resolve(urlsplit(url).path).url_name
    except Resolver404:
        return None


def with_query(path, params):
    return f"{path}?{urlencode(params)}" if params else path


class Crawler:
    """Crawl as one user. `per_name` bounds how many distinct URLs of one view a crawl opens by following links."""

    def __init__(self, client, role, *, max_depth=5, per_name=3, per_shape=2, caps=None, awkward_done=None):
        self.client = client
        self.role = role
        self.max_depth = max_depth
        self.per_name = per_name
        self.caps = caps or {}  # view name -> its own bound (PDFs are slow and all alike)
        self.per_shape = per_shape
        self.visits = []
        self.seen = set()
        self.name_count = Counter()
        self.shape_count = Counter()
        # Awkward variants exercise the same code whoever asks: each view gets them once per crawl session.
        self.awkward_done = awkward_done if awkward_done is not None else set()
        self.queue = deque()

    # -- requests --------------------------------------------------------------------------------

    def get(self, url, *, awkward=False, probe=False):
        name = url_name(url)
        visit = Visit(self.role, url, 0, name, awkward, probe)
        body = b""
        started = time.perf_counter()
        try:
            with transaction.atomic():
                response = self.client.get(url)
                if response.streaming:
                    body = b"".join(response.streaming_content)
                else:
                    body = response.content
        except Exception as error:  # a view that raised: what the user would get is a 500
            frames = traceback.extract_tb(error.__traceback__)
            # Where it went wrong: the project's last frame, else the library's (never the crawler's own).
            own = [f for f in frames if "/site-packages/" not in f.filename and f.filename != __file__] or frames
            where = f"{own[-1].filename}:{own[-1].lineno}"
            visit.seconds = time.perf_counter() - started
            visit.status, visit.error = 500, f"{type(error).__name__}: {str(error)[:200]} at {where}"
            self.visits.append(visit)
            return visit, None
        visit.seconds = time.perf_counter() - started
        visit.status = response.status_code
        visit.location = response.get("Location", "")
        self.visits.append(visit)
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and content_type.startswith("text/html"):
            html = body.decode(response.charset or "utf-8", "replace")
            visit.unreadable_time = unreadable_time(html)
            return visit, parse(html)
        return visit, None

    # -- the crawl --------------------------------------------------------------------------------

    def crawl(self, start_urls):
        for url in start_urls:
            self._enqueue(url, 0, force=True)
        while self.queue:
            url, depth = self.queue.popleft()
            visit, page = self.get(url)
            if visit.status in (301, 302) and visit.location.startswith("/admin/"):
                self._enqueue(visit.location, depth + 1)
            if page is None:
                continue
            self._awkward(url, page)
            if depth >= self.max_depth:
                continue
            for href in page.links:
                self._enqueue(urljoin(url, href), depth + 1)
            for action, fields in page.forms:
                target = urlsplit(urljoin(url, action or url)).path
                self._enqueue(with_query(target, fields), depth + 1)
            for app_label, model_name, field_name in page.autocompletes:
                params = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
                self._enqueue(with_query("/admin/autocomplete/", {**params, "term": ""}), depth + 1)
        return self.visits

    def _enqueue(self, url, depth, *, force=False):
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            return
        if not parts.path.startswith("/admin/") or NEVER.search(parts.path):
            return
        params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "_changelist_filters"]
        url = with_query(parts.path, params)
        if url in self.seen:
            return
        name = url_name(url)
        # Query strings of one shape (the same keys) are alike; paths (records) count only against the view.
        shape = (name, parts.path, tuple(sorted({k for k, _ in params})))
        full = self.name_count[name] >= self.caps.get(name, self.per_name)
        if not force and (full or (params and self.shape_count[shape] >= self.per_shape)):
            return
        self.seen.add(url)
        if not force:  # the start pages do not use up what following links may open
            self.name_count[name] += 1
            self.shape_count[shape] += 1
        self.queue.append((url, depth))

    # -- awkward variants ---------------------------------------------------------------------------

    def _awkward(self, url, page):
        """Once per view: awkward ids in its path, awkward query strings on lists and GET forms."""
        parts = urlsplit(url)
        name = url_name(url)
        if name in self.awkward_done:
            return
        self.awkward_done.add(name)
        for variant in self._bad_ids(parts.path):
            self.get(variant, awkward=True)
        if page.changelist:
            for variant in self._list_variants(parts.path, page):
                self.get(variant, awkward=True)
        elif parts.query:
            for variant in self._query_variants(parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))):
                self.get(variant, awkward=True)
        for action, fields in page.forms:
            target = urlsplit(urljoin(url, action or url)).path
            if url_name(target) == name or not action:
                for variant in self._form_variants(target, fields):
                    self.get(variant, awkward=True)
        for app_label, model_name, field_name in page.autocompletes[:1]:
            if "autocomplete" in self.awkward_done:
                break
            self.awkward_done.add("autocomplete")
            params = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
            for term in AWKWARD:
                self.get(with_query("/admin/autocomplete/", {**params, "term": term}), awkward=True)
            self.get(with_query("/admin/autocomplete/", {**params, "field_name": "\x00"}), awkward=True)

    @staticmethod
    def _bad_ids(path):
        match = resolve(path)
        values = [str(v) for v in (*match.args, *match.kwargs.values())]
        segments = path.split("/")
        variants = []
        for value in values:
            if value not in segments:
                continue
            index = segments.index(value)
            for bad in BAD_IDS:
                variants.append("/".join([*segments[:index], bad, *segments[index + 1 :]]))
        return variants

    @staticmethod
    def _list_variants(path, page):
        variants = [with_query(path, {"q": q}) for q in SEARCHES]
        variants += [with_query(path, {"o": o}) for o in ORDERINGS]
        variants += [with_query(path, {"p": p}) for p in PAGES]
        variants.append(with_query(path, {"_to_field": "abc"}))
        filters = {}
        for href in page.links:
            query = urlsplit(href).query
            for key, value in parse_qsl(query, keep_blank_values=True):
                if key not in LIST_PARAMS:
                    filters.setdefault(key, value)
        for key in filters:
            variants += [with_query(path, {key: bad}) for bad in BAD_FILTER_VALUES]
        return variants

    @staticmethod
    def _query_variants(path, params):
        """Each parameter of a page's query replaced by what nobody means, and a page number past the end."""
        variants = [with_query(path, {**params, key: bad}) for key in params for bad in (HUGE_ID, "\x00")]
        variants += [with_query(path, {**params, "page": page}) for page in ("abc", "99999")]
        return variants

    @staticmethod
    def _form_variants(path, fields):
        names = [n for n in fields if n != "csrfmiddlewaretoken"]
        if not names or names == ["q"]:  # the list's search box: _list_variants tries it
            return []
        # Each awkward value in every field at once, then each end of the calendar in every date field.
        variants = [with_query(path, {**fields, **dict.fromkeys(names, bad)}) for bad in AWKWARD]
        dates = [name for name in names if DATE_LIKE.search(name) or DATE_LIKE.search(fields[name])]
        if dates:
            variants += [with_query(path, {**fields, **dict.fromkeys(dates, bad)}) for bad in BAD_DATES]
        return variants
