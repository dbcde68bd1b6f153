"""A booking's rows and their history in one PostgreSQL statement.

`sales.services.book` checks and prices everything in Python first; this writes the
booking, its passengers, tickets and tax lines, and the history row of each, with
data-modifying CTEs: one round trip instead of a dozen ORM statements, which is
where a booking's time went (README, Performance). Column lists come from the
models, so a new field is written like the ORM would write it.
"""

from django.core.exceptions import ImproperlyConfigured
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
    """A VALUES list as a CTE, each column typed as the model field it fills; an empty one still has its columns."""
    typed = [(column, field.db_type(connection)) for column, field in columns]
    names = ", ".join(c for c, _ in typed)
    if not rows:
        nulls = ", ".join(f"NULL::{t}" for _, t in typed)
        return f"{name}({names}) AS (SELECT {nulls} WHERE false)"
    row_sql = "(" + ", ".join(f"%s::{t}" for _, t in typed) + ")"
    for row in rows:
        params.extend(row)
    return f"{name}({names}) AS (VALUES {', '.join([row_sql] * len(rows))})"


def _insert(model, given, params):
    """`INSERT INTO table (every column of the model) SELECT ...`: each column's value is the SQL `given` names
    for its field, else the field's default as the ORM would write it. A field with neither is a programming
    error raised here, so a field added to the model cannot be left out of this path unnoticed."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(_q(field.column))
        if field.attname in given:
            values.append(given[field.attname])
        elif field.has_default() or field.null:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            raise ImproperlyConfigured(f"the booking statement writes no value for {model.__name__}.{field.name}")
    return f"INSERT INTO {_q(model._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(values)}"


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
    field = {model: {f.attname: f for f in model._meta.concrete_fields} for model in (Passenger, Ticket, TicketTax)}
    person, ticket, tax = field[Passenger], field[Ticket], field[TicketTax]

    ctes = [
        _values(
            "v_pax",
            [
                ("position", person["position"]),
                ("surname", person["surname"]),
                ("given_names", person["given_names"]),
                ("title", person["title"]),
                ("passenger_type", person["passenger_type"]),
                ("lap", person["position"]),
            ],
            people,
            params,
        ),
        _values(
            "v_tix",
            [
                ("position", person["position"]),
                ("flight_id", ticket["flight_id"]),
                ("fare_bucket_id", ticket["fare_bucket_id"]),
                ("holds_seat", ticket["holds_seat"]),
                ("fare_amount", ticket["fare_amount"]),
                ("tax_amount", ticket["tax_amount"]),
                ("total_amount", ticket["total_amount"]),
            ],
            tickets,
            params,
        ),
        _values(
            "v_tax",
            [
                ("position", person["position"]),
                ("flight_id", ticket["flight_id"]),
                ("code", tax["code"]),
                ("name", tax["name"]),
                ("amount", tax["amount"]),
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
    from_people = {name: f"v.{name}" for name in ("position", "surname", "given_names", "title", "passenger_type")}
    adults = _insert(Passenger, {**from_people, "booking_id": "b.id"}, params)
    ctes.append(f"pa AS ({adults} FROM b, v_pax v WHERE v.lap IS NULL RETURNING *)")
    on_laps = _insert(Passenger, {**from_people, "booking_id": "b.id", "infant_of_id": "pa.id"}, params)
    ctes.append(f"pi AS ({on_laps} FROM b, v_pax v JOIN pa ON pa.position = v.lap WHERE v.lap IS NOT NULL RETURNING *)")
    ctes.append(f"hpa AS ({_history(Passenger, 'pa', user, params)})")
    ctes.append(f"hpi AS ({_history(Passenger, 'pi', user, params)})")
    ctes.append("allp AS (SELECT id, position FROM pa UNION ALL SELECT id, position FROM pi)")
    from_tickets = {name: f"v.{name}" for name in ("flight_id", "fare_bucket_id", "holds_seat")}
    from_tickets |= {name: f"v.{name}" for name in ("fare_amount", "tax_amount", "total_amount")}
    issued = _insert(Ticket, {**from_tickets, "booking_id": "b.id", "passenger_id": "allp.id"}, params)
    ctes.append(f"t AS ({issued} FROM b, v_tix v JOIN allp ON allp.position = v.position RETURNING *)")
    ctes.append(f"ht AS ({_history(Ticket, 't', user, params)})")
    taxed = _insert(TicketTax, {"ticket_id": "t.id", "code": "v.code", "name": "v.name", "amount": "v.amount"}, params)
    ctes.append(
        f"tx AS ({taxed} FROM v_tax v JOIN allp ON allp.position = v.position "
        "JOIN t ON t.passenger_id = allp.id AND t.flight_id = v.flight_id RETURNING *)"
    )
    ctes.append(f"htx AS ({_history(TicketTax, 'tx', user, params)})")
    sql = "WITH " + ",\n".join(ctes) + "\nSELECT id FROM b"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
