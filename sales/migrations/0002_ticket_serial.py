from django.db import migrations


def create_sequence(apps, schema_editor):
    # Ticket serials come from a sequence: gap-tolerant, never reused, no lock on a counter row.
    # SQLite has no sequences; there the service numbers after the highest issued ticket.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE SEQUENCE IF NOT EXISTS sales_ticket_serial START 1 MINVALUE 1 MAXVALUE 9999999999 NO CYCLE"
        )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS sales_ticket_serial")


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
