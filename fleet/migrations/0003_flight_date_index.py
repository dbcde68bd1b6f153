"""The load factor report reads flights by flight date (bench/reports.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fleet", "0002_historicalscheduleline_scheduleline"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="flight",
            index=models.Index(fields=["flight_date"], name="flight_date_idx"),
        ),
    ]
