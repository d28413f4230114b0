"""Background tasks: after commit only, on every backend; periodic jobs claimed once."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from clientdesk.config.celery import app as celery_app
from clientdesk.config.celery import install_beat_schedule
from clientdesk.core import tasks
from clientdesk.core.models import AuditEvent, PeriodicJob

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("CLIENTDESK_REQUIRE_SERVICES") == "1"


def _mark(note: str = "") -> None:
    """What the test tasks do: leave a row the test can find."""
    AuditEvent.objects.create(action="test.task_ran", target_repr=note)


def _marks() -> list[str]:
    return list(
        AuditEvent.objects.filter(action="test.task_ran")
        .order_by("id")
        .values_list("target_repr", flat=True)
    )


@pytest.fixture
def declare() -> Iterator[Callable[..., tasks.Task]]:
    """Declares tasks under unique names and removes them afterwards, so that the registry
    (and beat's schedule, and `runjobs`) stays as the apps declared it for other tests."""
    names: list[str] = []

    def make(fn: Callable[..., Any] = _mark, every: timedelta | None = None) -> tasks.Task:
        name = f"clientdesk.tests.{fn.__name__}.{uuid.uuid4().hex[:8]}"
        names.append(name)
        return tasks.task(every=every, name=name)(fn)

    yield make
    for name in names:
        tasks.unregister(name)


def test_test_tasks_do_not_leak_into_the_registry(declare) -> None:
    before = set(tasks.registered())
    declared = declare()
    assert declared.name in tasks.registered()
    assert declared.name in celery_app.tasks
    tasks.unregister(declared.name)
    assert set(tasks.registered()) == before
    assert declared.name not in celery_app.tasks


# --- sync backend ---------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_sync_task_runs_after_commit_not_before(declare, settings) -> None:
    settings.TASKS_BACKEND = "sync"
    mark = declare()
    with transaction.atomic():
        mark.enqueue(note="after commit")
        assert _marks() == []  # queued, not run, while the transaction is open
    assert _marks() == ["after commit"]


@pytest.mark.django_db(transaction=True)
def test_sync_task_does_not_run_when_the_transaction_rolls_back(declare, settings) -> None:
    settings.TASKS_BACKEND = "sync"
    mark = declare()
    with pytest.raises(RuntimeError), transaction.atomic():
        mark.enqueue(note="rolled back")
        raise RuntimeError("the change failed")
    assert _marks() == []


@pytest.mark.django_db(transaction=True)
def test_task_outside_a_transaction_runs_at_once(declare, settings) -> None:
    settings.TASKS_BACKEND = "sync"
    declare().enqueue(note="now")
    assert _marks() == ["now"]


@pytest.mark.django_db
def test_enqueue_rejects_arguments_celery_could_not_send(declare) -> None:
    mark = declare()
    with pytest.raises(TypeError, match="pass primary keys"):
        mark.enqueue(note=timezone.now())


def test_same_task_name_for_two_functions_is_refused(declare) -> None:
    first = declare()

    def other() -> None:
        pass

    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        tasks.task(name=first.name)(other)


# --- thread backend -------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_thread_task_runs_in_a_background_thread_after_commit(declare, settings) -> None:
    settings.TASKS_BACKEND = "thread"
    seen: list[str] = []

    def record_thread(note: str) -> None:
        seen.append(threading.current_thread().name)
        _mark(note)

    job = declare(record_thread)
    with transaction.atomic():
        job.enqueue(note="threaded")
    tasks.wait_for_background_tasks(timeout=10)
    assert _marks() == ["threaded"]
    assert seen and seen[0] != threading.current_thread().name
    assert seen[0].startswith("task")


@pytest.mark.django_db(transaction=True)
def test_wait_includes_tasks_queued_by_tasks(declare, settings) -> None:
    settings.TASKS_BACKEND = "thread"
    second = declare()

    def first_then_second() -> None:
        _mark("first")
        second.enqueue(note="second")

    declare(first_then_second).enqueue()
    tasks.wait_for_background_tasks(timeout=10)
    assert _marks() == ["first", "second"]


# --- celery backend -------------------------------------------------------------------------
def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        message = f"Redis at {TEST_REDIS_URL} is not reachable: {exc}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def celery_on_redis(settings) -> Iterator[None]:
    _redis_or_skip()
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "task_always_eager")}
    conf.update(broker_url=TEST_REDIS_URL, task_always_eager=False)
    _drop_connection_pools()
    # Messages left by an interrupted run would be picked up by our worker.
    celery_app.control.purge()
    settings.TASKS_BACKEND = "celery"
    try:
        yield
    finally:
        conf.update(saved)
        _drop_connection_pools()


def _drop_connection_pools() -> None:
    """Connections pooled for the previous broker URL must not be reused for the new one."""
    celery_app._after_fork()  # type: ignore[attr-defined]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_celery_worker_runs_the_task_after_commit(declare, celery_on_redis) -> None:
    from celery.contrib.testing.worker import start_worker

    done = threading.Event()

    def mark_and_signal(note: str) -> None:
        _mark(note)
        done.set()

    job = declare(mark_and_signal)
    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=10):
        with transaction.atomic():
            job.enqueue(note="via celery")
        assert done.wait(timeout=15), "the Celery worker did not run the task"
    assert _marks() == ["via celery"]


# --- periodic jobs --------------------------------------------------------------------------
@pytest.mark.django_db
def test_periodic_job_runs_once_per_interval(declare) -> None:
    job = declare(every=timedelta(minutes=5))
    assert tasks.run_periodic_job(job.name) is True
    # A second runner (another process, beat firing early) in the same interval does nothing.
    assert tasks.run_periodic_job(job.name) is False
    assert _marks() == [""]
    state = PeriodicJob.objects.get(name=job.name)
    assert state.runs == 1 and state.last_error == ""

    PeriodicJob.objects.filter(name=job.name).update(
        last_started_at=timezone.now() - timedelta(minutes=5)
    )
    assert tasks.run_periodic_job(job.name) is True
    assert PeriodicJob.objects.get(name=job.name).runs == 2


@pytest.mark.django_db
def test_failing_periodic_job_keeps_its_error_and_waits_for_the_next_interval(declare) -> None:
    def broken() -> None:
        raise ValueError("no such segment")

    job = declare(broken, every=timedelta(minutes=1))
    assert tasks.run_periodic_job(job.name) is True
    state = PeriodicJob.objects.get(name=job.name)
    assert "no such segment" in state.last_error
    assert state.last_finished_at is not None
    assert tasks.run_periodic_job(job.name) is False


@pytest.mark.django_db
def test_runjobs_once_runs_due_jobs_only(declare) -> None:
    due = declare(every=timedelta(minutes=10))
    not_due = declare(every=timedelta(hours=1))
    PeriodicJob.objects.create(name=not_due.name, last_started_at=timezone.now())
    out = StringIO()
    call_command("runjobs", "--once", stdout=out)
    assert due.name in out.getvalue()
    assert not_due.name not in out.getvalue()
    assert PeriodicJob.objects.get(name=due.name).runs == 1
    assert PeriodicJob.objects.get(name=not_due.name).runs == 0


def test_beat_schedule_lists_every_periodic_task(declare) -> None:
    job = declare(every=timedelta(minutes=15))
    one_off = declare()
    schedule = tasks.beat_schedule()
    assert schedule[job.name] == {
        "task": "clientdesk.core.run_periodic_job",
        "schedule": 900.0,
        "args": (job.name,),
    }
    assert "clientdesk.core.housekeeping" in schedule
    assert one_off.name not in schedule
    assert set(schedule) == {t.name for t in tasks.periodic_tasks()}
    assert "clientdesk.core.run_periodic_job" in celery_app.tasks


def test_beat_gets_the_schedule_of_every_app(declare) -> None:
    saved = celery_app.conf.beat_schedule
    try:
        schedule = install_beat_schedule(celery_app)
        assert celery_app.conf.beat_schedule == schedule
        assert "clientdesk.core.housekeeping" in schedule
    finally:
        celery_app.conf.beat_schedule = saved


@pytest.mark.django_db
def test_housekeeping_drops_expired_sessions() -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    expired = SessionStore()
    expired.set_expiry(-10)
    expired.create()
    live = SessionStore()
    live.create()
    tasks.housekeeping()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
