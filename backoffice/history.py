"""Bulk writes that keep simple-history's audit rows, without its per-call overhead.

Reading `Model.history` builds a new manager class on every access; on the hot
paths (a booking writes seven history rows) that is a measurable share of the
time, so the model-level manager is built once and kept.
"""

from decimal import Decimal
from functools import cache

from django.db import connection, transaction
from django.utils import timezone


@cache
def history_manager(model):
    return model.history


def bulk_create_with_history(objects, model, *, user, batch_size=None):
    """`bulk_create` then one history row per object, authored by `user`.

    Needs a database that returns primary keys from a bulk insert (PostgreSQL,
    SQLite 3.35+), which is all this project runs on.
    """
    objects = list(objects)
    if not objects:
        return objects
    created = model._default_manager.bulk_create(objects, batch_size=batch_size)
    record_history(model, [obj.pk for obj in created], user=user, history_type="+")
    return created


def bulk_history_update(objects, model, *, user, batch_size=None):
    """History rows ("~") for objects just changed with `bulk_update` or a raw UPDATE."""
    record_history(model, [obj.pk for obj in objects], user=user, history_type="~")


def history_insert_parts(model, *, user, history_type):
    """(history table, its columns, the SELECT expressions over a row of the model's table, their params).

    `INSERT INTO <table> (<columns>) SELECT <expressions> FROM <rows>` copies rows of the model,
    from its table or from a CTE that RETURNING * made, into history.
    """
    table, targets, sources = _history_columns(model)
    return table, targets, sources, [timezone.now(), history_type, getattr(user, "pk", None)]


@cache
def _history_columns(model):
    """The SQL text is the same for every call: built once per model. Params: date, type, user."""
    historical = history_manager(model).model
    quote = connection.ops.quote_name
    targets, sources = [], []
    special = {"history_date": "%s", "history_type": "%s", "history_user_id": "%s", "history_change_reason": "NULL"}
    order = ["history_date", "history_type", "history_user_id"]
    fields = [f for f in historical._meta.concrete_fields if f.attname != "history_id"]
    # The three parameters must come in the order history_insert_parts passes them.
    fields.sort(key=lambda f: order.index(f.attname) if f.attname in order else -1)
    for field in fields:
        targets.append(quote(field.column))
        sources.append(special.get(field.attname, quote(field.column)))
    return quote(historical._meta.db_table), ", ".join(targets), ", ".join(sources)


def record_history(model, ids, *, user, history_type):
    """Copy the rows' current values into their history table, in SQL: no model instance is built.

    Each history row gets the same columns simple-history writes (the model's fields, then
    history_date, history_type and history_user), so the admin's history pages read them as theirs.
    """
    ids = list(ids)
    if not ids:
        return
    history_table, targets, sources, params = history_insert_parts(model, user=user, history_type=history_type)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            if connection.vendor == "postgresql":
                where, where_params = "id = ANY(%s)", [chunk]
            else:
                where, where_params = f"id IN ({', '.join(['%s'] * len(chunk))})", chunk
            cursor.execute(
                f"INSERT INTO {history_table} ({targets}) SELECT {sources} FROM {table} WHERE {where}",
                [*params, *where_params],
            )


def copy_create_with_history(model, rows, *, user):
    """Insert many rows and their "+" history rows with PostgreSQL's COPY; returns the new ids in order.

    `rows` are dicts of field attnames (`origin_id`, not `origin`); a missing field takes
    its default. Ids are drawn from the table's sequence first so the history rows can
    name them. Elsewhere (SQLite) the rows go in with `executemany` (`_insert_rows_sqlite`).
    """
    rows = list(rows)
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = [[row[f.attname] if f.attname in row else f.get_default() for f in fields] for row in rows]
    if connection.vendor != "postgresql":
        return _insert_rows_sqlite(model, fields, values, user=user)
    historical = history_manager(model).model
    history_fields = [f for f in historical._meta.concrete_fields if f.attname != "history_id"]
    position = {f.attname: i for i, f in enumerate(fields)}
    now = timezone.now()
    extra = {"history_date": now, "history_type": "+", "history_user_id": getattr(user, "pk", None)}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [cursor.fetchone()[0], len(rows)])
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(quote(c) for c in ["id", *(f.column for f in fields)])
        with cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row_id, row in zip(ids, values, strict=True):
                copy.write_row([row_id, *row])
        columns = ", ".join(quote(f.column) for f in history_fields)
        with cursor.copy(f"COPY {quote(historical._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row_id, row in zip(ids, values, strict=True):
                copy.write_row(
                    [
                        row_id
                        if f.attname == "id"
                        else extra.get(f.attname)
                        if f.attname in extra or f.attname == "history_change_reason"
                        else row[position[f.attname]]
                        for f in history_fields
                    ]
                )
    return ids


def _insert_rows_sqlite(model, fields, values, *, user):
    """SQLite: the rows with ids after the highest ever given, in one `executemany`, then their history.

    No model instance is built (that is most of `bulk_create`'s time on tens of thousands of rows).
    The transaction holds SQLite's write lock from its start (BEGIN IMMEDIATE), so nobody else takes
    those ids meanwhile; values are converted as the ORM converts them.
    """
    quote = connection.ops.quote_name
    table = model._meta.db_table
    convert = [_sqlite_conversion(f) for f in fields]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])  # AUTOINCREMENT: never reuse
        row = cursor.fetchone()
        first = max(highest, row[0] if row else 0) + 1
        ids = list(range(first, first + len(values)))
        columns = ", ".join(quote(c) for c in ["id", *(f.column for f in fields)])
        marks = ", ".join(["%s"] * (len(fields) + 1))
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})",
            [
                [row_id, *(c(v) if c else v for c, v in zip(convert, row, strict=True))]
                for row_id, row in zip(ids, values, strict=True)
            ],
        )
        record_history(model, ids, user=user, history_type="+")
    return ids


# Values SQLite takes as they are (the driver adapts Decimal itself, as Django registers it).
_AS_IS = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "CharField", "TextField",
    "BooleanField", "ForeignKey", "OneToOneField",
}  # fmt: skip


def _sqlite_conversion(field):
    """None when the value goes as it is, else the field's own conversion for the database."""
    kind = field.get_internal_type()
    if kind in _AS_IS:
        return None
    if kind == "DecimalField":
        return lambda value: value if isinstance(value, Decimal) else field.get_db_prep_save(value, connection)
    return lambda value: field.get_db_prep_save(value, connection)
