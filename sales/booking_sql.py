"""A booking's rows and their history in one PostgreSQL statement.

`sales.services.book` checks and prices everything in Python first; this writes the
booking, its passengers, tickets and tax lines, and the history row of each, with
data-modifying CTEs: one round trip instead of a dozen ORM statements, which is
where a booking's time went (README, Performance). Column lists come from the
models, so a new field is written like the ORM would write it.
"""

from django.db import connection

from backoffice.history import history_insert_parts
from sales.models import Booking, Passenger, Ticket, TicketTax


def _q(name):
    return connection.ops.quote_name(name)


def _history(model, source, user, params):
    table, targets, sources, extra = history_insert_parts(model, user=user, history_type="+")
    params.extend(extra)
    return f"INSERT INTO {table} ({targets}) SELECT {sources} FROM {source}"


def _values(name, columns, rows, params):
    """A typed VALUES list as a CTE; an empty one still has its columns."""
    names = ", ".join(c for c, _ in columns)
    if not rows:
        nulls = ", ".join(f"NULL::{t}" for _, t in columns)
        return f"{name}({names}) AS (SELECT {nulls} WHERE false)"
    row_sql = "(" + ", ".join(f"%s::{t}" for _, t in columns) + ")"
    for row in rows:
        params.extend(row)
    return f"{name}({names}) AS (VALUES {', '.join([row_sql] * len(rows))})"


def insert_booking(booking, *, people, tickets, tax_lines, user):
    """Insert `booking` (unsaved) with its people, tickets and tax lines; returns its id, or None
    when its record locator was taken (the caller draws another).

    people: (position, surname, given names, title, type, lap position or None)
    tickets: (position, flight id, bucket id, holds seat, fare, taxes, total)
    tax_lines: (position, flight id, code, name, amount)
    """
    params = []
    fields = [f for f in Booking._meta.concrete_fields if not f.primary_key]
    booking_columns = ", ".join(_q(f.column) for f in fields)
    booking_values = ", ".join(["%s"] * len(fields))
    params_booking = [f.get_db_prep_save(getattr(booking, f.attname), connection) for f in fields]

    ctes = [
        _values(
            "v_pax",
            [
                ("position", "smallint"),
                ("surname", "varchar"),
                ("given_names", "varchar"),
                ("title", "varchar"),
                ("passenger_type", "varchar"),
                ("lap", "smallint"),
            ],
            people,
            params,
        ),
        _values(
            "v_tix",
            [
                ("position", "smallint"),
                ("flight_id", "bigint"),
                ("fare_bucket_id", "bigint"),
                ("holds_seat", "boolean"),
                ("fare_amount", "numeric"),
                ("tax_amount", "numeric"),
                ("total_amount", "numeric"),
            ],
            tickets,
            params,
        ),
        _values(
            "v_tax",
            [
                ("position", "smallint"),
                ("flight_id", "bigint"),
                ("code", "varchar"),
                ("name", "varchar"),
                ("amount", "numeric"),
            ],
            tax_lines,
            params,
        ),
    ]
    params.extend(params_booking)
    ctes.append(
        f"b AS (INSERT INTO {_q(Booking._meta.db_table)} ({booking_columns}) VALUES ({booking_values}) "
        "ON CONFLICT (record_locator) DO NOTHING RETURNING *)"
    )
    ctes.append(f"hb AS ({_history(Booking, 'b', user, params)})")
    passenger = _q(Passenger._meta.db_table)
    columns = "booking_id, position, surname, given_names, title, passenger_type, infant_of_id"
    ctes.append(
        f"pa AS (INSERT INTO {passenger} ({columns}) SELECT b.id, v.position, v.surname, v.given_names, v.title, "
        "v.passenger_type, NULL FROM b, v_pax v WHERE v.lap IS NULL RETURNING *)"
    )
    ctes.append(
        f"pi AS (INSERT INTO {passenger} ({columns}) SELECT b.id, v.position, v.surname, v.given_names, v.title, "
        "v.passenger_type, pa.id FROM b, v_pax v JOIN pa ON pa.position = v.lap WHERE v.lap IS NOT NULL RETURNING *)"
    )
    ctes.append(f"hpa AS ({_history(Passenger, 'pa', user, params)})")
    ctes.append(f"hpi AS ({_history(Passenger, 'pi', user, params)})")
    ctes.append("allp AS (SELECT id, position FROM pa UNION ALL SELECT id, position FROM pi)")
    ctes.append(
        f"t AS (INSERT INTO {_q(Ticket._meta.db_table)} (number, booking_id, passenger_id, flight_id, fare_bucket_id, "
        "status, holds_seat, fare_amount, tax_amount, total_amount, issued_at, issued_by_id) "
        f"SELECT NULL, b.id, allp.id, v.flight_id, v.fare_bucket_id, '{Ticket.Status.HELD.value}', v.holds_seat, "
        "v.fare_amount, v.tax_amount, v.total_amount, NULL, NULL "
        "FROM b, v_tix v JOIN allp ON allp.position = v.position RETURNING *)"
    )
    ctes.append(f"ht AS ({_history(Ticket, 't', user, params)})")
    ctes.append(
        f"tx AS (INSERT INTO {_q(TicketTax._meta.db_table)} (ticket_id, code, name, amount) "
        "SELECT t.id, v.code, v.name, v.amount FROM v_tax v JOIN allp ON allp.position = v.position "
        "JOIN t ON t.passenger_id = allp.id AND t.flight_id = v.flight_id RETURNING *)"
    )
    ctes.append(f"htx AS ({_history(TicketTax, 'tx', user, params)})")
    sql = "WITH " + ",\n".join(ctes) + "\nSELECT id FROM b"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
