"""The Celery application. Tasks are declared with clientdesk.core.tasks.task, not here."""

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.settings")

app = Celery("clientdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="tasks")


def install_beat_schedule(celery: Celery) -> dict[str, dict[str, Any]]:
    """Puts every periodic job declared in the apps' tasks.py into beat's schedule."""
    from django.utils.module_loading import autodiscover_modules

    from clientdesk.core.tasks import beat_schedule

    # Periodic jobs are declared at import time: import every app's tasks.py first, or beat
    # would start with whatever happened to be imported so far.
    autodiscover_modules("tasks")
    celery.conf.beat_schedule = beat_schedule()
    return celery.conf.beat_schedule


@beat_init.connect
def _schedule_periodic_jobs(sender: Any, **kwargs: object) -> None:
    # beat_init comes after Django is set up and before the scheduler reads its schedule.
    install_beat_schedule(sender.app)
