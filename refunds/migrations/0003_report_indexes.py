"""The refunds report reads refunds by request time, the cash-up by payment time (bench/reports.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0002_surrendered_tickets"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="refund",
            index=models.Index(fields=["requested_at"], name="refund_requested_idx"),
        ),
        migrations.AddIndex(
            model_name="refund",
            index=models.Index(fields=["paid_at"], name="refund_paid_idx"),
        ),
    ]
