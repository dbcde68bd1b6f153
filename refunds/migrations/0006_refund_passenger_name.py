"""Each refund keeps its passenger's name (copied from the ticket, as the services now do when a refund is
requested), so the refunds list finds a surname in its own rows: at 500,000 refunds, joining each one to
its ticket and passenger to test the name took 400+ ms. PostgreSQL also gets the prefix index the search
reads (`passenger_surname LIKE 'PECH%'`, pattern operator class, as for passengers in sales/0009)."""

from django.db import migrations, models

NAME_OF_TICKET = """
    UPDATE {table} SET
        passenger_surname = COALESCE((SELECT p.surname FROM sales_ticket t JOIN sales_passenger p
                                      ON p.id = t.passenger_id WHERE t.id = {table}.ticket_id), ''),
        passenger_given_names = COALESCE((SELECT p.given_names FROM sales_ticket t JOIN sales_passenger p
                                          ON p.id = t.passenger_id WHERE t.id = {table}.ticket_id), '')
"""
INDEX = "refund_surname_prefix_idx"


def copy_names(apps, schema_editor):
    # History rows too: a refund's versions do not show its name changing from blank (a history row whose
    # ticket is gone keeps a blank name).
    for table in ("refunds_refund", "refunds_historicalrefund"):
        schema_editor.execute(NAME_OF_TICKET.format(table=table))
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON refunds_refund (passenger_surname varchar_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('refunds', '0005_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalrefund',
            name='passenger_given_names',
            field=models.CharField(default='', editable=False, max_length=40, verbose_name="passenger's given names"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='historicalrefund',
            name='passenger_surname',
            field=models.CharField(default='', editable=False, max_length=40, verbose_name="passenger's surname"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='refund',
            name='passenger_given_names',
            field=models.CharField(default='', editable=False, max_length=40, verbose_name="passenger's given names"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='refund',
            name='passenger_surname',
            field=models.CharField(default='', editable=False, max_length=40, verbose_name="passenger's surname"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_names, drop_index, elidable=False),
    ]
