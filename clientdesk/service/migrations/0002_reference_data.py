from django.db import migrations


def forwards(apps, schema_editor):
    from clientdesk.service import seed

    seed.seed_calendar(apps.get_model("service", "WorkingCalendar"), apps.get_model("service", "CalendarException"))
    seed.seed_reasons(apps.get_model("service", "AvoidableReason"))
    seed.seed_default_policy(apps.get_model("service", "SlaPolicy"))


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
