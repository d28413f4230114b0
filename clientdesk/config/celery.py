"""The Celery application. Tasks are declared with clientdesk.core.tasks.task, not here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.settings")

app = Celery("clientdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="tasks")


@app.on_after_finalize.connect
def _schedule_periodic_jobs(sender: Celery, **kwargs: object) -> None:
    from clientdesk.core.tasks import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
