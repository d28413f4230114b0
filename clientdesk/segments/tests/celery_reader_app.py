"""A Celery app of one task, for test_sqlite_loader: the reader run inside a real prefork worker
(a daemonic process whose authkey is billiard's), as a recompute runs in production."""

from __future__ import annotations

import os

from celery import Celery

app = Celery(
    "celery_reader_app",
    broker=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    backend=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
)


@app.task(name="celery_reader_app.records")
def records(path: str) -> int:
    from clientdesk.segments import sqlite_loader

    got = sqlite_loader.load_monthly(
        path, start="2025-01-01", end="2025-12-31", workers=2, per_range=500, parallel_from=0
    )
    return int(got["records"].sum())
