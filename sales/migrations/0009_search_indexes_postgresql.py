"""PostgreSQL only: the indexes the admin's searches need at millions of rows; nothing on SQLite.

- a passenger's surname typed as its beginning (`surname LIKE 'PECH%'`): a btree with the pattern
  operator class, which serves LIKE whatever the database's collation;
- the contact's name and e-mail, found by any part (`UPPER(contact_name) LIKE UPPER('%roy%')`, as
  Django writes `icontains`): trigram GIN indexes (pg_trgm) on the same expressions.

Not in the models' Meta: SQLite has neither operator classes nor GIN.
"""

from django.db import migrations

INDEXES = {
    "passenger_surname_prefix_idx": "sales_passenger (surname varchar_pattern_ops)",
    "booking_contact_name_trgm_idx": "sales_booking USING gin ((UPPER(contact_name::text)) gin_trgm_ops)",
    "booking_contact_email_trgm_idx": "sales_booking USING gin ((UPPER(contact_email::text)) gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("sales", "0008_list_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
