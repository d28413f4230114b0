from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0003_partial_queue_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=[
                    "team",
                    "assignee",
                    "sla_paused_since",
                    "resolution_due",
                    "resolution_breached",
                    "resolution_warn_at",
                    "first_response_at",
                    "first_response_due",
                    "response_warn_at",
                    "id",
                ],
                name="sr_open_overview",
            ),
        ),
    ]
