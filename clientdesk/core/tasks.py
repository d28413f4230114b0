"""Background work that runs on Celery when Redis is configured, and in-process otherwise.

Declare a task with `@task()` (or `@task(every=timedelta(...))` for a periodic job) in an app's
`tasks.py`; queue it with `my_task.enqueue(pk=...)`. Enqueueing waits for the current
transaction to commit, so a worker never looks for rows that are not there yet. Tasks take
primary keys, load what they need, and must be safe to run twice: Celery re-delivers a task
whose worker died (acks_late), and a periodic job may be started by two runners.

Backends (settings.TASKS_BACKEND):
- "celery": sent to Celery through Redis; periodic jobs come from Celery beat.
- "thread": run in a background thread pool of the same process; periodic jobs come from
  `clientdesk runjobs`, which the run command starts next to the server.
- "sync": run at once, in the caller's thread, after commit (tests).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from clientdesk.config.celery import app as celery_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    name: str
    fn: Callable[..., Any]
    every: timedelta | None = None

    def __call__(self, **kwargs: Any) -> Any:
        return self.fn(**kwargs)

    def enqueue(self, **kwargs: Any) -> None:
        """Run after the current transaction commits (at once when there is none).

        Nothing runs when the transaction rolls back: the rows the task would look for are gone.
        """
        try:
            # Every backend gets what Celery would get, so that a model instance or a date
            # passed by mistake fails here, in tests too, and not on the first Celery worker.
            payload = json.loads(json.dumps(kwargs))
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Task {self.name}: arguments must be plain JSON values (pass primary keys): {exc}"
            ) from None
        # A broker outage after commit must not turn a saved change into an error page (the
        # user would retry and save twice); it is logged instead. Tests ("sync") see errors.
        robust = settings.TASKS_BACKEND != "sync"
        transaction.on_commit(lambda: dispatch(self.name, payload), robust=robust)


_registry: dict[str, Task] = {}


def task(*, every: timedelta | None = None, name: str | None = None) -> Callable[..., Task]:
    def decorator(fn: Callable[..., Any]) -> Task:
        task_name = name or f"{fn.__module__}.{fn.__name__}"
        existing = _registry.get(task_name)
        if existing is not None and _origin(existing.fn) != _origin(fn):
            # Two functions under one name: a worker would run whichever was imported last.
            raise ImproperlyConfigured(
                f"Task name {task_name} is declared twice: by {_origin(existing.fn)} "
                f"and by {_origin(fn)}."
            )
        if every is not None and every <= timedelta(0):
            raise ImproperlyConfigured(f"Periodic task {task_name}: `every` must be positive.")
        declared = Task(name=task_name, fn=fn, every=every)
        _registry[task_name] = declared
        celery_app.task(name=task_name)(fn)
        return declared

    return decorator


def _origin(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def registered() -> dict[str, Task]:
    return dict(_registry)


def unregister(name: str) -> None:
    """Forgets a task (tests declare their own and must not leak them into other tests)."""
    _registry.pop(name, None)
    celery_app.tasks.pop(name, None)


# --- dispatching -----------------------------------------------------------------------------
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
# Guarded by _executor_lock: futures finish (and leave the set) in the pool's threads.
_pending: set[Future[Any]] = set()


def _thread_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=getattr(settings, "TASKS_THREADS", 2), thread_name_prefix="task"
            )
        return _executor


def _run_in_thread(name: str, kwargs: dict[str, Any]) -> Any:
    close_old_connections()
    try:
        return _registry[name].fn(**kwargs)
    except Exception:
        logger.exception("Background task %s failed", name)
        raise
    finally:
        close_old_connections()


def dispatch(name: str, kwargs: dict[str, Any]) -> None:
    backend = settings.TASKS_BACKEND
    if backend == "celery":
        celery_app.send_task(name, kwargs=kwargs)
    elif backend == "thread":
        future = _thread_executor().submit(_run_in_thread, name, kwargs)
        with _executor_lock:
            _pending.add(future)
        future.add_done_callback(_forget)
    else:
        _registry[name].fn(**kwargs)


def _forget(future: Future[Any]) -> None:
    with _executor_lock:
        _pending.discard(future)


def wait_for_background_tasks(timeout: float = 30) -> None:
    """Blocks until the thread backend has finished what was queued (tests, shutdown).

    Includes tasks queued by the tasks themselves while we wait."""
    deadline = time.monotonic() + timeout
    while True:
        with _executor_lock:
            pending = list(_pending)
        remaining = deadline - time.monotonic()
        if not pending or remaining <= 0:
            return
        wait(pending, timeout=remaining)


# --- periodic jobs ---------------------------------------------------------------------------
def periodic_tasks() -> list[Task]:
    return [t for t in _registry.values() if t.every is not None]


def run_periodic_job(name: str) -> bool:
    """Runs the named periodic job if it is due; returns whether this caller ran it.

    A failure is logged and kept in PeriodicJob.last_error; the job is not retried before its
    next interval, so a broken job cannot run in a tight loop.
    """
    from .models import PeriodicJob

    declared = _registry[name]
    if declared.every is None:
        raise ValueError(f"Task {name} is not periodic.")
    now = timezone.now()
    job, _ = PeriodicJob.objects.get_or_create(name=name)
    # Tolerate beat's own jitter: a job is due slightly before its full interval has passed.
    due_before = now - declared.every + timedelta(seconds=1)
    claimed = (
        PeriodicJob.objects.filter(pk=job.pk)
        .filter(Q(last_started_at__isnull=True) | Q(last_started_at__lte=due_before))
        .update(last_started_at=now)
    )
    if claimed != 1:
        # Another runner started it within this interval.
        return False
    error = ""
    try:
        declared.fn()
    except Exception:
        error = traceback.format_exc()
        logger.exception("Periodic job %s failed", name)
    # F(): the in-memory `job.runs` may be stale when several runners take turns.
    PeriodicJob.objects.filter(pk=job.pk).update(
        last_finished_at=timezone.now(), last_error=error, runs=F("runs") + 1
    )
    return True


def run_due_jobs() -> list[str]:
    """Runs every due periodic job once, in this process; returns the names it ran."""
    return [t.name for t in periodic_tasks() if run_periodic_job(t.name)]


@celery_app.task(name="clientdesk.core.run_periodic_job")
def _celery_run_periodic_job(name: str) -> bool:
    return run_periodic_job(name)


def beat_schedule() -> dict[str, dict[str, Any]]:
    return {
        t.name: {
            "task": "clientdesk.core.run_periodic_job",
            "schedule": t.every.total_seconds() if t.every else 60,
            "args": (t.name,),
        }
        for t in periodic_tasks()
    }


# --- housekeeping ----------------------------------------------------------------------------
@task(every=timedelta(hours=6), name="clientdesk.core.housekeeping")
def housekeeping() -> None:
    """Drops expired sessions and old failed-login records; idempotent by nature."""
    from axes.models import AccessAttempt
    from django.contrib.sessions.models import Session

    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    AccessAttempt.objects.filter(attempt_time__lt=timezone.now() - timedelta(days=30)).delete()
