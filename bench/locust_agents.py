"""The agents of bench/two_servers.py, for locust: counter staff booking and Finance approving refunds.

Run by bench/two_servers.py (`locust -f bench/locust_agents.py --headless ...`), which sets up the database and
the two servers and passes them here in the environment:

    BENCH_SERVERS   the servers' base addresses, comma-separated (loopback only): agent n uses server n mod count
    BENCH_USERS     a JSON file: {"counter": [[username, password, {cookie: value}], ...], "finance": [...]}
    BENCH_ROUTES    a JSON file: [[origin, destination, date], ...] to search
    BENCH_OUTCOMES  where to write, at the end, the refusals and other outcomes that are not failures

Each agent has a user of its own, logged in once before the run (the cookies in BENCH_USERS, the session made on
the other server: sessions live in the database), and keeps that session. A counter agent then loops: search
flights, open the booking form of one of the first fares with seats left, book (hold), take the payment, issue
the tickets, open the booking page and, for one booking in three, quote the refund and request it (so Finance
has work). A Finance agent opens the refunds waiting for approval, and approves one. Between two pages an
agent reads for a while (--think in two_servers.py).

A page's name is its kind (search, book, pay, ...): locust reports requests, failures and percentiles per name.
A failure is any answer but the expected one: a server error (5xx), a "try again", a log-in page instead of the
page, no answer. A refusal the page explains (a fare sold out since the search) is not a failure: it is counted
under BENCH_OUTCOMES.
"""

import itertools
import json
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from requests.cookies import create_cookie

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.booking_form import one_adult_held  # noqa: E402

SERVERS = [s for s in os.environ.get("BENCH_SERVERS", "").split(",") if s]
for _server in SERVERS:
    if urlsplit(_server).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"Loopback only: {_server}")
USERS = json.loads(open(os.environ["BENCH_USERS"]).read()) if os.environ.get("BENCH_USERS") else {}
ROUTES = json.loads(open(os.environ["BENCH_ROUTES"]).read()) if os.environ.get("BENCH_ROUTES") else []
THINK = [float(x) for x in os.environ.get("BENCH_THINK", "3,10").split(",")]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OFFER = re.compile(r'name="segment_out" value="(\d+:[A-Z])" >')
AMOUNT = re.compile(r'name="amount" value="([0-9.]+)"')
REFUND_LINK = re.compile(r"/admin/refunds/refund/(\d+)/change/")
# The booking page's banner for a refusal about no one field (a fare sold out since the search).
REFUSAL = re.compile(r'id="booking-refusal"[^>]*>(.*?)</div>', re.S)
ERRORS = re.compile(r'class="errorlist[^"]*"[^>]*>\s*<li>([^<]+)', re.S)

outcomes = Counter()
_counter_numbers = itertools.count()
_finance_numbers = itertools.count()
_agent_numbers = itertools.count()


@events.test_stop.add_listener
def _write_outcomes(environment, **_kwargs):
    path = os.environ.get("BENCH_OUTCOMES")
    if path:
        with open(path, "w") as file:
            json.dump(dict(outcomes), file)


class Agent(FastHttpUser):
    abstract = True
    wait_time = between(*THINK)
    # Redirects are read, not followed: the next page is a request of its own, with its own name.
    max_redirects = 0
    network_timeout = 60.0
    connection_timeout = 10.0

    def __init__(self, environment):
        number = next(_agent_numbers)
        # Agents alternate between the servers, as a load balancer would spread them.
        self.host = SERVERS[number % len(SERVERS)]
        super().__init__(environment)
        self.random = random.Random(number)
        self.logged_in = False
        self.location = ""

    # --- requests -------------------------------------------------------------------------------

    def page(self, name, path, expect=200):
        """GET a page; its text, or None when it was not the page (recorded as a failure)."""
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as response:
            return self._judge(response, name, expect)

    def post(self, name, path, form, expect=302):
        with self.client.post(
            path,
            data=urlencode(form, doseq=True),
            name=name,
            catch_response=True,
            allow_redirects=False,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response:
            return self._judge(response, name, expect)

    def _judge(self, response, name, expect):
        status = response.status_code
        location = response.headers.get("Location") or ""
        text = response.text or ""
        if status == 0 or status is None:
            response.failure(f"no answer: {response.error}")
            return None
        if status >= 500:
            response.failure(f"{status} {'try again' if 'try again' in text.lower() else 'server error'}")
            return None
        if status == 302 and "/login/" in location and name != "log in":
            self.logged_in = False
            response.failure("logged out")
            return None
        if status == expect:
            response.success()
            self.location = location
            return response
        if status == 200 and expect == 302:
            # The form again, with what the page says was wrong: a refusal, not a failure.
            said = REFUSAL.search(text) or ERRORS.search(text)
            reason = " ".join(re.sub(r"<[^>]+>", " ", said[1]).split())[:100] if said else "the form again"
            outcomes[f"{name}: refused: {reason}"] += 1
            response.success()
            return None
        response.failure(f"{status} unexpected (wanted {expect})")
        return None

    @staticmethod
    def token(response):
        found = TOKEN.search(response.text) if response is not None else None
        return found[1] if found else None

    def log_in(self):
        page = self.page("log in page", "/admin/login/")
        if page is None or not self.token(page):
            return False
        form = {"username": self.username, "password": self.password, "next": "/admin/"}
        done = self.post("log in", "/admin/login/", {**form, "csrfmiddlewaretoken": self.token(page)})
        self.logged_in = done is not None and "/login/" not in self.location
        return self.logged_in

    def on_start(self):
        # Each agent logged in once before the run (two_servers.py) and keeps that session; without one, or if
        # the session is lost, it logs in here.
        if self.cookies:
            for name, value in self.cookies.items():
                self.client.cookiejar.set_cookie(create_cookie(name, value, domain=urlsplit(self.host).hostname))
            self.logged_in = True
        else:
            self.log_in()


class CounterAgent(Agent):
    weight = 9

    def __init__(self, environment):
        super().__init__(environment)
        counter = USERS["counter"]
        self.username, self.password, *session = counter[next(_counter_numbers) % len(counter)]
        self.cookies = session[0] if session else {}

    @task
    def sell(self):
        if not self.logged_in and not self.log_in():
            return
        origin, destination, date = self.random.choice(ROUTES)
        query = {
            "origin": origin,
            "destination": destination,
            "date": date,
            "window": "1",
            "adults": "1",
            "children": "0",
            "infants": "0",
        }
        found = self.page("search", "/admin/sales/booking/search/?" + urlencode(query))
        offers = OFFER.findall(found.text) if found is not None else []
        if not offers:
            outcomes["search: nothing on sale"] += 1
            return
        self.wait()
        sale = one_adult_held([self.random.choice(offers[:3])], self.random)
        new = "/admin/sales/booking/new/"
        form_page = self.page("booking form", f"{new}?{sale.query}")
        if form_page is None or not self.token(form_page):
            return
        self.wait()
        booked = self.post("book", new, {**sale.data, "csrfmiddlewaretoken": self.token(form_page)})
        if booked is None:
            return
        found_id = re.search(r"/booking/(\d+)/change/", self.location)
        if not found_id:
            outcomes["book: no booking in the answer"] += 1
            return
        booking = found_id[1]
        self.wait()
        pay = f"/admin/sales/booking/{booking}/pay/"
        pay_page = self.page("payment form", pay)
        amount = AMOUNT.search(pay_page.text) if pay_page is not None else None
        if amount is None or not self.token(pay_page):
            return
        self.wait()
        form = {"amount": amount[1], "method": "card", "reference": f"AUTH{self.random.randrange(10**6):06d}"}
        form["csrfmiddlewaretoken"] = self.token(pay_page)
        if self.post("pay", pay, form) is None:
            return
        issue = f"/admin/sales/booking/{booking}/issue/"
        issue_page = self.page("issue form", issue)
        if issue_page is None or not self.token(issue_page):
            return
        self.wait()
        if self.post("issue", issue, {"csrfmiddlewaretoken": self.token(issue_page)}) is None:
            return
        self.page("booking page", f"/admin/sales/booking/{booking}/change/")
        if self.random.random() < 1 / 3:
            self.wait()
            refund = f"/admin/sales/booking/{booking}/refund/"
            quote = self.page("refund quote", refund)
            if quote is None or not self.token(quote):
                return
            self.wait()
            self.post("request refund", refund, {"csrfmiddlewaretoken": self.token(quote)})


class FinanceAgent(Agent):
    weight = 1

    def __init__(self, environment):
        super().__init__(environment)
        finance = USERS["finance"]
        self.username, self.password, *session = finance[next(_finance_numbers) % len(finance)]
        self.cookies = session[0] if session else {}

    @task
    def approve(self):
        if not self.logged_in and not self.log_in():
            return
        listing = self.page("refunds to approve", "/admin/refunds/refund/?status__exact=requested")
        waiting = REFUND_LINK.findall(listing.text) if listing is not None else []
        if not waiting:
            outcomes["refunds to approve: none waiting"] += 1
            return
        self.wait()
        refund = self.random.choice(waiting[:10])
        approve = f"/admin/refunds/refund/{refund}/approve/"
        page = self.page("approve form", approve)
        if page is None or not self.token(page):
            return
        self.wait()
        self.post("approve", approve, {"csrfmiddlewaretoken": self.token(page)})
