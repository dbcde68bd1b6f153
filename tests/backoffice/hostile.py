"""What the hostile-input tests share: the values, and a probe that sends a request and judges its answer.

A probe sends one request inside a savepoint (so a view that breaks the transaction does not spoil the
next request) and records, rather than raises, a server error: one run names every fault it meets. Each
answer must be a page a person can read: a refusal (403, 404, 429, a message, an error on a field) or the
work done with a message saying so. A refused request writes nothing: no row, no history row.
"""

import html
import re
import time
import traceback
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.models import Group, User
from django.contrib.messages import constants
from django.db import connection, transaction

from fleet.models import AircraftType, Airport, Flight, ScheduleLine
from refunds.models import Refund
from sales.models import Booking, FareBucket, Passenger, Payment, Ticket

VALUES = [
    "",
    "x" * 100_000,
    "\x00",
    "\u202e😀 مرحبا",
    "-1",
    "99999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    '=HYPERLINK("http://example.com")',
]
# Ids a person could type into an address or a hidden field that name nothing of theirs.
BAD_IDS = ["0", "-1", "99999999999999999999", "abc", "\x00", "1e309"]
WATCHED = [Booking, Passenger, Ticket, Payment, Refund, Flight, FareBucket, ScheduleLine, AircraftType, Airport, User]
# Per-area figures of the run, for the terminal summary (tests/backoffice/conftest.py).
SUMMARY = []
LOGIN = re.compile(r"/log-?in/")
REFUSED = {400, 403, 404, 405, 429}
ERROR_LEVELS = {constants.ERROR}


def footprint():
    """The row counts of the records a request may write, with their history: one query."""
    models = [*WATCHED, Group, *(model.history.model for model in WATCHED if hasattr(model, "history"))]
    quote = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return cursor.fetchone()


def said(response):
    """The messages this request queued (not those of earlier requests still waiting to be shown)."""
    return list(getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", []))


def _forms_in(response):
    found = []
    for context in response.context or []:
        for layer in getattr(context, "dicts", [context]):
            for value in layer.values() if isinstance(layer, dict) else []:
                if isinstance(value, forms.BaseForm | forms.BaseFormSet) and value not in found:
                    found.append(value)
    return found


def form_errors(response):
    """Every error the forms on the page carry, as text."""
    texts = []
    for form in _forms_in(response):
        if isinstance(form, forms.BaseFormSet):
            if not form.is_bound:
                continue
            texts += [str(e) for e in form.non_form_errors()]
            for member in form.forms:
                texts += [str(e) for errors in member.errors.values() for e in errors]
        elif form.is_bound:
            texts += [str(e) for errors in form.errors.values() for e in errors]
    return texts


def context_value(response, name):
    for context in response.context or []:
        for layer in getattr(context, "dicts", [context]):
            if isinstance(layer, dict) and layer.get(name):
                return layer[name]
    return None


@dataclass
class Probe:
    """Sends requests as one client and keeps the tally: requests, inputs, and what went wrong."""

    client: object
    who: str
    requests: int = 0
    inputs: int = 0
    seconds: float = 0.0
    faults: list = field(default_factory=list)

    def send(self, method, url, data=None, *, what, inputs=1, may=True, read_only=False, **extra):
        """Send and judge. `may`: the client's role may use the page (otherwise: refused, nothing written).
        `read_only`: the page never writes (a search, a report)."""
        self.requests += 1
        self.inputs += inputs
        before = footprint()
        started = time.perf_counter()
        try:
            with transaction.atomic():
                response = getattr(self.client, method)(url, data or {}, **extra)
                if response.streaming:
                    b"".join(response.streaming_content)
        except Exception as error:  # a server error: what the user would get is a 500
            frames = traceback.extract_tb(error.__traceback__)
            own = [f for f in frames if "/site-packages/" not in f.filename and "/tests/" not in f.filename] or frames
            where = f"{own[-1].filename}:{own[-1].lineno}"
            self.faults.append(
                f"{self.who} {method.upper()} {url[:120]} {what}: {type(error).__name__}: {str(error)[:160]} at {where}"
            )
            return None
        self.seconds += time.perf_counter() - started
        after = footprint()
        status = response.status_code
        problem = self._judge(response, status, may, read_only, before != after)
        if problem:
            told = [str(m)[:80] for m in said(response)]
            self.faults.append(f"{self.who} {method.upper()} {url[:120]} {what}: {status} {problem} {told}")
        return response

    def _followed_to_a_refusal(self, response, hops=3):
        """A redirect that ends on a refusal: a message, or a page that refuses (Django's admin sends an address
        like /booking/abc/issue/ to /booking/abc/issue/change/, which says there is no such booking)."""
        for _hop in range(hops):
            if any(m.level >= constants.WARNING for m in said(response)):
                return True
            if response.status_code in REFUSED:
                return True
            if response.status_code not in (301, 302):
                return False
            with transaction.atomic():
                response = self.client.get(response["Location"])
        return False

    def _judge(self, response, status, may, read_only, wrote):
        if status >= 500 or status not in REFUSED | {200, 301, 302}:
            return "not a page"
        if not may:
            login = status == 302 and LOGIN.search(response.get("Location", ""))
            # Django's own answer to an address that names no record: back to the start, with a message.
            told = status in (301, 302) and self._followed_to_a_refusal(response)
            if status not in REFUSED and not login and not told:
                return "a role that may not use the page was not refused"
            return "a refused request wrote" if wrote else None
        if status in REFUSED:
            return "a refused request wrote" if wrote else None
        if status == 301:  # a slash added to the address: where it leads is judged as the page's own
            return None if self._followed_to_a_refusal(response) else "a redirect to nothing that says why"
        if read_only and wrote:
            return "a page that only reads wrote"
        queued = list(said(response))
        errors = form_errors(response) if status == 200 else []
        refusal = context_value(response, "refusal") or context_value(response, "refusals")
        refused = errors or refusal or any(m.level in ERROR_LEVELS for m in queued)
        if refused and wrote:
            return "a refused request wrote"
        if status == 200 and errors:
            page = response.content.decode(response.charset or "utf-8", "replace")
            if not any(html.escape(text, quote=False) in page or html.escape(text) in page for text in errors):
                return f"its error is not on the page: {errors[:2]}"
        if status == 302 and not queued and not LOGIN.search(response.get("Location", "")):
            return "a redirect without a message"
        if status == 200 and not (refused or queued or read_only):
            return "a page that says nothing of what it did"
        return None
