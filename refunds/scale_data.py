"""A year of sales for the report benchmark, written with COPY: bookings, passengers, tickets, payments, refunds.

Used by `manage.py generate_scale_data` (refunds/management/commands) and bench/reports.py, after
`manage.py generate_flights` has made the flights and their fare buckets.
Everything is drawn from one seed, so two runs write the same rows. Rows are written in the order they
happened (ids grow with time, as they do in production), in chunks of CHUNK bookings, one transaction
per chunk (the deferred foreign keys are checked at each commit).

What is realistic and what is not:
- tickets are issued at instants spread evenly over the last 365 days, each booking by one of the
  counter agents, on flights 1 to 60 days after the sale, never above a flight's or a bucket's seats;
  a share of bookings are returns (every passenger on an outbound and a later flight);
- one payment per booking, of its whole total, by cash, card or bank transfer;
- refunds on tickets drawn at random, requested after the sale, in every kind and status, decided and
  paid by finance users (never the requester); their tickets are surrendered, void or refunded and hold
  no seat;
- flights that have left are departed; one in 200 is cancelled and sold nothing; seats sold are the
  live tickets, flight by flight and bucket by bucket;
- the daily summaries (sales/summaries.py) and the sales listing's rows (sales/listing.py) are made
  at the end from all the rows, as `manage.py rebuild_sales_summaries` does;
- no tax lines (no report reads them); history rows only when asked (`write_history`, as
  `generate_scale_data` does): one creation row ("+") per record, carrying the record as it is now,
  dated when the record was made and by whom. This is load-test data, not business events.
"""

import datetime as dt
import random
import time
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from backoffice.roles import COUNTER_STAFF, FINANCE
from sales import listing, summaries

CHUNK = 25_000  # bookings per COPY transaction
DAY = 86_400
LOCATOR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: no 0, O, 1 or I
LOCATOR_SPACE = 32**6
LOCATOR_STEP = 387_420_489  # odd, so i -> i * STEP mod 32^6 is one-to-one: every locator differs
SURNAMES = (
    "MARTIN BERNARD DUBOIS THOMAS ROBERT RICHARD PETIT DURAND LEROY MOREAU SIMON LAURENT LEFEBVRE MICHEL GARCIA "
    "DAVID BERTRAND ROUX VINCENT FOURNIER MOREL GIRARD ANDRE LEFEVRE MERCIER DUPONT LAMBERT BONNET FRANCOIS MARTINEZ "
    "SMITH JONES WILLIAMS BROWN TAYLOR DAVIES EVANS WILSON JOHNSON ROBERTS MULLER SCHMIDT SCHNEIDER FISCHER WEBER "
    "ROSSI RUSSO FERRARI ESPOSITO BIANCHI GARCIA FERNANDEZ LOPEZ GONZALEZ SANCHEZ PEREZ NOVAK KOWALSKI NIELSEN"
).split()
GIVEN_NAMES = (
    "ANNE MARIE JEAN PIERRE LOUISE PAUL CLAIRE LUC SOPHIE JULIEN EMMA HUGO CHLOE LEA NOAH OLIVIA LIAM MIA LUCAS "
    "SARAH TOM ELENA MARCO SOFIA DAVID LAURA PETER ANNA JAN EVA"
).split()
TITLES = ("MR", "MRS", "MS")
FLIGHT_CANCELLED_EVERY = 200  # flight id % 200 == 7: cancelled, nothing sold
REFUND_KINDS = (("voluntary", 70), ("void", 8), ("involuntary", 7), ("no_show", 15))
REFUND_OUTCOMES = (("paid", 65), ("approved", 8), ("rejected", 15), ("requested", 12))
PAYMENT_METHODS = (("card", 60), ("cash", 30), ("bank_transfer", 10))


def _weighted(rng, table):
    population = [value for value, _weight in table]
    weights = [weight for _value, weight in table]
    return lambda: rng.choices(population, weights)[0]


def _money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def _instant(epoch):
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


def record_locator(index):
    value = (index * LOCATOR_STEP) % LOCATOR_SPACE
    letters = []
    for _ in range(6):
        value, digit = divmod(value, 32)
        letters.append(LOCATOR_ALPHABET[digit])
    return "".join(letters)


def make_staff(agents, finance):
    """Counter agents agent01... and finance users finance1...; returns (agent ids, finance ids)."""
    password = make_password(None)
    counter_group, finance_group = Group.objects.get(name=COUNTER_STAFF), Group.objects.get(name=FINANCE)
    made = {}
    for prefix, count, group in (("agent", agents, counter_group), ("finance", finance, finance_group)):
        users = User.objects.bulk_create(
            User(
                username=f"{prefix}{n:02d}",
                password=password,
                is_staff=True,
                first_name=prefix.title(),
                last_name=f"{n:02d}",
            )
            for n in range(1, count + 1)
        )
        group.user_set.add(*users)
        made[prefix] = [user.pk for user in users]
    return made["agent"], made["finance"]


class Flights:
    """The flights the sales go to, by day, with their buckets' ids, prices and room left."""

    def __init__(self, now_epoch):
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT f.id, f.flight_date, extract(epoch FROM f.scheduled_departure)::bigint, f.capacity,
                       array_agg(b.id ORDER BY b.id), array_agg((b.price * 100)::int ORDER BY b.id),
                       array_agg(b.seats_allocated ORDER BY b.id)
                FROM fleet_flight f JOIN sales_farebucket b ON b.flight_id = f.id
                GROUP BY f.id ORDER BY f.id
                """
            )
            rows = cursor.fetchall()
        self.first_day = min(row[1] for row in rows)
        self.by_day = {}
        self.departure, self.room, self.buckets = {}, {}, {}
        for flight_id, day, departure, capacity, bucket_ids, prices, allocated in rows:
            if flight_id % FLIGHT_CANCELLED_EVERY == 7:
                continue
            self.by_day.setdefault(day, []).append(flight_id)
            self.departure[flight_id] = departure
            self.room[flight_id] = capacity
            # [bucket id, price in cents, seats left]
            self.buckets[flight_id] = [list(bucket) for bucket in zip(bucket_ids, prices, allocated, strict=True)]
        self.now_epoch = now_epoch

    def take(self, rng, day, seats, tries=12):
        """A flight dated `day` and one of its buckets with `seats` seats left, taken; or None."""
        flights = self.by_day.get(day)
        if not flights:
            return None
        for _ in range(tries):
            flight_id = rng.choice(flights)
            if self.room[flight_id] < seats:
                continue
            open_buckets = [bucket for bucket in self.buckets[flight_id] if bucket[2] >= seats]
            if not open_buckets:
                continue
            bucket = rng.choice(open_buckets)
            bucket[2] -= seats
            self.room[flight_id] -= seats
            return flight_id, bucket[0], bucket[1], self.departure[flight_id]
        return None


def generate(*, tickets, payments, refunds, now, seed=1, progress=print):
    """Write `payments` bookings (one payment each) holding `tickets` tickets in all, and `refunds` refunds.

    Returns a dict of the counts written.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    now_epoch = int(now.timestamp())
    first_epoch = now_epoch - 365 * DAY
    agent_ids, finance_ids = make_staff(60, 6)
    flights = Flights(now_epoch)
    progress(f"  {len(flights.departure):,} flights open for sale, read in {time.perf_counter() - started:.1f} s")

    payment_method = _weighted(rng, PAYMENT_METHODS)
    refund_kind = _weighted(rng, REFUND_KINDS)
    refund_outcome = _weighted(rng, REFUND_OUTCOMES)
    refunded = set(rng.sample(range(1, tickets + 1), refunds))

    plain_indexes = _drop_plain_indexes()
    writer = _Writer()
    bookings = payments
    counts = dict.fromkeys(("bookings", "passengers", "tickets", "payments", "refunds"), 0)
    passenger_id = ticket_id = refund_id = 0
    remaining_tickets = tickets
    booking_id = 0
    while booking_id < bookings:
        chunk_end = min(bookings, booking_id + CHUNK)
        lines = {name: [] for name in counts}
        while booking_id < chunk_end:
            booking_id += 1
            left = bookings - booking_id + 1
            if booking_id == bookings:
                wanted = remaining_tickets
            else:
                wanted = round(rng.gauss(remaining_tickets / left, 1.0))
            wanted = max(1, remaining_tickets - 9 * (left - 1), min(9, wanted, remaining_tickets - (left - 1)))
            # Bookings are made in time order, spread evenly over the year.
            created = first_epoch + int((booking_id - 1 + rng.random()) * (now_epoch - 3600 - first_epoch) / bookings)
            issue_day = dt.datetime.fromtimestamp(created, dt.UTC).date()
            agent = rng.choice(agent_ids)
            legs = 2 if wanted % 2 == 0 and rng.random() < 0.6 else 1
            party = wanted // legs
            trips = []
            out = None
            for _ in range(6):
                out = flights.take(rng, issue_day + dt.timedelta(days=rng.randint(1, 60)), party)
                if out:
                    break
            if out is None:
                raise RuntimeError(f"No flight with {party} seats left around {issue_day}: generate more flights.")
            trips.append(out)
            if legs == 2:
                back = flights.take(
                    rng, dt.datetime.fromtimestamp(out[3], dt.UTC).date() + dt.timedelta(days=rng.randint(2, 14)), party
                )
                if back:
                    trips.append(back)
            issued_at = _instant(created)
            total = 0
            for position in range(1, party + 1):
                passenger_id += 1
                child = rng.random() < 0.08
                surname, given_names = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
                lines["passengers"].append(
                    f"{passenger_id}\t{booking_id}\t{position}\t{surname}\t{given_names}\t"
                    f"{'' if child else rng.choice(TITLES)}\t{'CHD' if child else 'ADT'}\t\\N\n"
                )
                for flight_id, bucket_id, price, departure in trips:
                    ticket_id += 1
                    fare = price * 3 // 4 if child else price
                    tax = 1698 + fare // 20
                    ticket_total = fare + tax
                    total += ticket_total
                    status = "open"
                    if departure < now_epoch:
                        status = "no_show" if rng.random() < 0.05 else "flown"
                    holds_seat = "t"
                    if ticket_id in refunded:
                        refund_id += 1
                        status = _refund_line(
                            lines["refunds"],
                            rng,
                            refund_id,
                            ticket_id,
                            surname,
                            given_names,
                            agent,
                            finance_ids,
                            created,
                            fare,
                            tax,
                            now_epoch,
                            refund_kind(),
                            refund_outcome(),
                            payment_method(),
                        )
                        holds_seat = "f"
                    lines["tickets"].append(
                        f"{ticket_id}\t952{ticket_id:010d}\t{booking_id}\t{passenger_id}\t{flight_id}\t{bucket_id}\t"
                        f"{status}\t{holds_seat}\t{_money(fare)}\t{_money(tax)}\t{_money(ticket_total)}\t"
                        f"{issued_at}\t{agent}\n"
                    )
            remaining_tickets -= party * len(trips)
            method = payment_method()
            name = f"{rng.choice(GIVEN_NAMES).title()} {rng.choice(SURNAMES).title()}"
            lines["bookings"].append(
                f"{booking_id}\t{record_locator(booking_id)}\tticketed\t{name}\tcontact{booking_id}@example.com\t"
                f"+33 1 00 00 00 00\t{issued_at}\t{_instant(created + DAY)}\t{_money(total)}\t{_money(total)}\t"
                f"{agent}\n"
            )
            reference = "" if method == "cash" else f"AUTH{booking_id:08d}"
            lines["payments"].append(
                f"{booking_id}\t{booking_id}\t{_money(total)}\t{method}\t{reference}\t{agent}\t{issued_at}\n"
            )
        writer.write(lines)
        for name, rows in lines.items():
            counts[name] += len(rows)
        progress(
            f"  {counts['tickets']:,} tickets, {counts['bookings']:,} bookings, {counts['refunds']:,} refunds "
            f"({time.perf_counter() - started:.0f} s)",
        )
    writer.close()
    progress(f"  sales written: {time.perf_counter() - started:.0f} s")
    _finish(plain_indexes, progress)
    counts["seconds"] = time.perf_counter() - started
    return counts


def _parallel():
    """Whether work may go to other connections: only when this one commits as it goes. Inside a
    transaction (a test's), the others would not see its rows: everything then runs here, in order."""
    return not connection.in_atomic_block


def _on_own_connection(work):
    """Run `work` in this thread's own connection, foreign key triggers off (every key the generator
    writes points at a row it wrote before: tests/refunds/test_scale_data.py looks for orphans)."""

    def run():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
                cursor.execute("SET synchronous_commit = off")
            return work()
        finally:
            connection.close()

    return run


def _run_all(works, workers=2):
    """Run the callables, on `workers` connections at once when `_parallel()`; returns their results."""
    if not _parallel():
        return [work() for work in works]
    with ThreadPoolExecutor(workers) as pool:
        return [future.result() for future in [pool.submit(_on_own_connection(work)) for work in works]]


class _Writer:
    """COPYs each chunk on a connection of its own while the next chunk is drawn: the database parses and
    stores one chunk on one core while Python makes the next on the other."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(1) if _parallel() else None
        self.pending = []

    def write(self, lines):
        if self.pool is None:
            _copy(lines)
            return
        self.pending.append(self.pool.submit(_on_own_connection(lambda: _copy(lines))))
        if len(self.pending) > 1:  # at most one chunk waits: memory stays at two chunks
            self.pending.pop(0).result()

    def close(self):
        if self.pool is None:
            return
        try:
            for future in self.pending:
                future.result()
        finally:
            self.pool.shutdown()


def _refund_line(
    out,
    rng,
    refund_id,
    ticket_id,
    surname,
    given_names,
    agent,
    finance_ids,
    created,
    fare,
    tax,
    now_epoch,
    kind,
    outcome,
    method,
):
    """Append a refund of this ticket; returns the ticket's status afterwards."""
    requested = min(created + rng.randint(3600, 30 * DAY), now_epoch - 600)
    requested = max(requested, created + 60)
    decided = requested + rng.randint(3600, 3 * DAY)
    paid = decided + rng.randint(3600, 7 * DAY)
    if outcome in ("approved", "rejected", "paid") and decided > now_epoch:
        outcome = "requested"
    if outcome == "paid" and paid > now_epoch:
        outcome = "approved"
    fee = 0 if kind in ("void", "involuntary") else min(fare, max(3000, fare // 10))
    amount = fare - fee + tax
    decider = rng.choice(finance_ids)
    payer = rng.choice(finance_ids)
    null = "\\N"
    out.append(
        "\t".join(
            (
                str(refund_id),
                str(ticket_id),
                surname,
                given_names,
                kind,
                outcome,
                _money(fare + tax),
                _money(fare),
                _money(fee),
                _money(tax),
                _money(amount),
                str(agent),
                _instant(requested),
                str(decider) if outcome != "requested" else null,
                _instant(decided) if outcome != "requested" else null,
                "Outside the fare rules" if outcome == "rejected" else "",
                str(payer) if outcome == "paid" else null,
                _instant(paid) if outcome == "paid" else null,
                method if outcome == "paid" else "",
                f"RF{refund_id:07d}" if outcome == "paid" else "",
            )
        )
        + "\n"
    )
    if outcome == "paid":
        return "refunded"
    return "void" if kind == "void" else "surrendered"


COLUMNS = {
    "bookings": (
        "sales_booking",
        "id, record_locator, status, contact_name, contact_email, contact_phone, created_at, hold_deadline, "
        "total_amount, amount_paid, agent_id",
    ),
    "passengers": (
        "sales_passenger",
        "id, booking_id, position, surname, given_names, title, passenger_type, infant_of_id",
    ),
    "tickets": (
        "sales_ticket",
        "id, number, booking_id, passenger_id, flight_id, fare_bucket_id, status, holds_seat, fare_amount, "
        "tax_amount, total_amount, issued_at, issued_by_id",
    ),
    "payments": ("sales_payment", "id, booking_id, amount, method, reference, agent_id, received_at"),
    "refunds": (
        "refunds_refund",
        "id, ticket_id, passenger_surname, passenger_given_names, kind, status, ticket_total, fare_paid, fee_kept, "
        "taxes_returned, amount, requested_by_id, requested_at, decided_by_id, decided_at, rejection_reason, "
        "paid_by_id, paid_at, method, reference",
    ),
}


def _copy(lines):
    with transaction.atomic(), connection.cursor() as cursor:
        for name, (table, columns) in COLUMNS.items():
            if not lines[name]:
                continue
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write("".join(lines[name]))


def _drop_plain_indexes(tables=None):
    """Drop the indexes of the tables written that enforce nothing (kept: keys, unique); returns how to remake them.

    Building an index once at the end is several times faster than keeping it up to date row by row.
    """
    tables = tables or [table for table, _columns in COLUMNS.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes]


def _build(definitions):
    """CREATE the indexes, in this connection, with room to sort."""
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for definition in definitions:
            cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")


def _rebuild_indexes(definitions, progress):
    """Build the indexes, two at a time (`_run_all`)."""

    def build(definition):
        def work():
            start = time.perf_counter()
            _build([definition])
            progress(f"    {definition.split(' USING ')[0].split(' INDEX ')[-1]}: {time.perf_counter() - start:.0f} s")

        return work

    _run_all([build(definition) for definition in definitions])


def _timed(label, work, progress):
    def run():
        start = time.perf_counter()
        work()
        progress(f"  {label}: {time.perf_counter() - start:.0f} s")

    return run


def _finish(plain_indexes, progress):
    """Indexes back, flight statuses and seats sold from the live tickets, sequences past the ids written,
    the daily summaries and the listing's rows; on two connections at once where it may."""
    start = time.perf_counter()
    _rebuild_indexes(plain_indexes, progress)
    progress(f"  {len(plain_indexes)} indexes rebuilt: {time.perf_counter() - start:.0f} s")
    # The flights' and buckets' own indexes go before the works start: dropping one waits for every reader
    # of the table (the listing and the summaries join both).
    seat_indexes = _drop_plain_indexes(["fleet_flight", "sales_farebucket"])
    # Each work its own transaction, on its own connection; none reads what another writes.
    _run_all(
        [
            _timed("flight statuses and seats sold", lambda: _seats_sold(seat_indexes), progress),
            # The daily summaries and the listing's rows each sale keeps (sales/summaries.py,
            # sales/listing.py), made here from all the rows at once.
            _timed("sales listing", _listing, progress),
            _timed("daily summaries", summaries.rebuild, progress),
        ]
    )
    with connection.cursor() as cursor:
        for table in ("sales_booking", "sales_passenger", "sales_ticket", "sales_payment", "refunds_refund"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("SELECT setval('sales_ticket_serial', (SELECT max(id) FROM sales_ticket))")


def _seats_sold(indexes):
    """Each flight's status and seats sold, each bucket's seats sold, in one pass over each table, then their
    plain `indexes` (dropped before: an UPDATE writes a new version of every row) built again."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE fleet_flight f SET
                status = CASE WHEN f.id % {FLIGHT_CANCELLED_EVERY} = 7 THEN 'cancelled'
                              WHEN f.status = 'scheduled' AND f.scheduled_departure < now() THEN 'departed'
                              ELSE f.status END,
                seats_sold = COALESCE(s.sold, 0)
            FROM fleet_flight g
            LEFT JOIN (SELECT flight_id, count(*) AS sold FROM sales_ticket WHERE holds_seat GROUP BY flight_id) s
                ON s.flight_id = g.id
            WHERE f.id = g.id
            """
        )
        cursor.execute(
            """
            UPDATE sales_farebucket b SET seats_sold = s.sold
            FROM (SELECT fare_bucket_id, count(*) AS sold FROM sales_ticket WHERE holds_seat GROUP BY fare_bucket_id) s
            WHERE b.id = s.fare_bucket_id
            """
        )
    _build(indexes)


def _listing():
    """The listing's rows with its plain indexes dropped, built again after."""
    indexes = _drop_plain_indexes(["sales_issuedticket"])
    listing.rebuild()
    _build(indexes)


# Each record's creation row: (app label, model name, table it is read from, when it was made, by whom).
HISTORY_SOURCES = (
    ("fleet", "Flight", "fleet_flight t", "now()", "NULL"),
    ("sales", "FareBucket", "sales_farebucket t", "now()", "NULL"),
    ("sales", "Booking", "sales_booking t", "t.created_at", "t.agent_id"),
    (
        "sales",
        "Passenger",
        "sales_passenger t JOIN sales_booking b ON b.id = t.booking_id",
        "b.created_at",
        "b.agent_id",
    ),
    ("sales", "Ticket", "sales_ticket t", "t.issued_at", "t.issued_by_id"),
    ("sales", "Payment", "sales_payment t", "t.received_at", "t.agent_id"),
    ("refunds", "Refund", "refunds_refund t", "t.requested_at", "t.requested_by_id"),
)


def write_history(progress=print):
    """One creation history row per flight, fare bucket, booking, passenger, ticket, payment and refund.

    Written table by table with INSERT ... SELECT (the rows are already in the database), the history
    tables' plain indexes dropped first and built at the end. Returns {history table: rows}.
    """
    from django.apps import apps

    started = time.perf_counter()
    plan = []
    for app_label, model_name, source, date, user in HISTORY_SOURCES:
        model = apps.get_model(app_label, model_name)
        history = model.history.model
        own = {field.column for field in model._meta.concrete_fields}
        columns = [
            field.column
            for field in history._meta.concrete_fields
            if field.column in own and not field.column.startswith("history_")
        ]
        plan.append((history._meta.db_table, columns, source, date, user))
    plain_indexes = _drop_plain_indexes([table for table, *_ in plan])
    counts = {}

    def insert(table, columns, source, date, user):
        def work():
            start = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}, history_date, history_type, history_user_id, "
                    f"history_change_reason) SELECT {', '.join(f't.{column}' for column in columns)}, {date}, "
                    f"'+', {user}, NULL FROM {source}"
                )
                counts[table] = cursor.rowcount
            progress(f"  {table}: {counts[table]:,} history rows ({time.perf_counter() - start:.0f} s)")

        return work

    # Two tables at a time, the largest (tickets) first.
    _run_all([insert(*step) for step in sorted(plan, key=lambda step: step[0] != "sales_historicalticket")])
    start = time.perf_counter()
    _rebuild_indexes(plain_indexes, progress)
    progress(f"  {len(plain_indexes)} history indexes rebuilt: {time.perf_counter() - start:.0f} s")
    counts["seconds"] = time.perf_counter() - started
    return counts
