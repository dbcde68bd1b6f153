"""What the reports need at scale (bench/reports.py, README "Performance").

- Tickets: (issued_at, number) replaces (issued_at): the sales listing's pages by keys, its COUNT and
  its CSV; (issued_by, issued_at) replaces the plain index of issued_by: the sales report for one agent
  and the counter's own sales today.
- Payments: (agent, received_at) replaces the plain index of agent: one agent's drawer;
  (booking, received_at, id) with the method replaces the plain index of booking: a booking's first
  payment, the form of payment of each ticket in the sales listing and its CSV.
- The daily summaries that the sales report and the cash-up read (sales/summaries.py), made from
  the tickets and payments already there.
"""

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


def build_summaries(apps, schema_editor):
    from sales.summaries import rebuild

    rebuild(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("fleet", "0002_historicalscheduleline_scheduleline"),
        ("sales", "0003_ticket_status_surrendered"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DailyAgentSales",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="business day")),
                ("tickets", models.PositiveIntegerField(default=0, verbose_name="tickets")),
                (
                    "fare",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=12, verbose_name="fare"),
                ),
                (
                    "taxes",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=12, verbose_name="taxes"),
                ),
                (
                    "total",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=12, verbose_name="total"),
                ),
            ],
            options={
                "verbose_name": "daily sales by agent",
                "verbose_name_plural": "daily sales by agent",
            },
        ),
        migrations.CreateModel(
            name="DailyPayments",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="business day")),
                (
                    "method",
                    models.CharField(
                        choices=[("cash", "Cash"), ("card", "Card"), ("bank_transfer", "Bank transfer")],
                        max_length=13,
                        verbose_name="method",
                    ),
                ),
                ("payments", models.PositiveIntegerField(default=0, verbose_name="payments")),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=2, default=Decimal("0.00"), max_digits=12, verbose_name="amount"
                    ),
                ),
            ],
            options={
                "verbose_name": "daily payments",
                "verbose_name_plural": "daily payments",
            },
        ),
        migrations.CreateModel(
            name="DailyRouteSales",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="business day")),
                ("tickets", models.PositiveIntegerField(default=0, verbose_name="tickets")),
                (
                    "fare",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=12, verbose_name="fare"),
                ),
                (
                    "taxes",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=12, verbose_name="taxes"),
                ),
                (
                    "total",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=12, verbose_name="total"),
                ),
            ],
            options={
                "verbose_name": "daily sales by route",
                "verbose_name_plural": "daily sales by route",
            },
        ),
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_issued_idx",
        ),
        migrations.AlterField(
            model_name="payment",
            name="agent",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="issued_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["agent", "received_at"], name="payment_agent_received_idx"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["issued_at", "number"], include=("id",), name="ticket_issued_number_idx"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["issued_by", "issued_at"], name="ticket_agent_issued_idx"),
        ),
        migrations.AddField(
            model_name="dailyagentsales",
            name="agent",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="dailyagentsales",
            name="fare_class",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="sales.fareclass"
            ),
        ),
        migrations.AddField(
            model_name="dailypayments",
            name="agent",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="dailyroutesales",
            name="destination",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="fleet.airport"
            ),
        ),
        migrations.AddField(
            model_name="dailyroutesales",
            name="fare_class",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="sales.fareclass"
            ),
        ),
        migrations.AddField(
            model_name="dailyroutesales",
            name="origin",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="fleet.airport"
            ),
        ),
        migrations.AddConstraint(
            model_name="dailyagentsales",
            constraint=models.UniqueConstraint(
                fields=("day", "agent", "fare_class"), name="dailyagentsales_one_per_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="dailypayments",
            constraint=models.UniqueConstraint(fields=("day", "agent", "method"), name="dailypayments_one_per_key"),
        ),
        migrations.AddConstraint(
            model_name="dailyroutesales",
            constraint=models.UniqueConstraint(
                fields=("day", "origin", "destination", "fare_class"), name="dailyroutesales_one_per_key"
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="booking",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="sales.booking",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["booking", "received_at", "id"], include=("method",), name="payment_booking_first_idx"
            ),
        ),
        migrations.RunPython(build_summaries, migrations.RunPython.noop),
    ]
