"""The fast SQLite reader gives the same monthly figures as a plain aggregation of the records."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import numpy as np
import polars as pl
import pytest

from clientdesk.segments import sqlite_loader


# "auto" is the ADBC driver when installed; "sqlite3" forces the standard module's reader.
@pytest.mark.parametrize(("workers", "reader"), [(1, "auto"), (2, "auto"), (1, "sqlite3")])
def test_monthly_from_sqlite_file_matches_plain_aggregation(
    tmp_path, monkeypatch, workers, reader
) -> None:
    if reader == "sqlite3":
        monkeypatch.setattr(sqlite_loader, "_adbc", lambda: None)
    rng = np.random.default_rng(3)
    n = 5000
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 760, n)]
    amounts = np.round(rng.normal(1000, 800, n), 2)
    # The first 1500 records have no cost: a reader that types columns from the first rows
    # must still take the costs that follow.
    costs = [
        None if i < 1500 or rng.random() < 0.4 else round(float(a) * 0.6, 2)
        for i, a in enumerate(amounts)
    ]
    companies = rng.integers(1, 300, n)
    path = tmp_path / "db.sqlite3"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE clients_revenuerecord (id INTEGER PRIMARY KEY, company_id INT, "
        "date TEXT, amount_base DECIMAL, cost DECIMAL NULL)"
    )
    # The covering index the reader walks (clients.0004): records come out by company and date.
    con.execute(
        "CREATE INDEX by_company ON clients_revenuerecord (company_id, date, amount_base, cost)"
    )
    con.executemany(
        "INSERT INTO clients_revenuerecord VALUES (?, ?, ?, ?, ?)",
        [
            (i + 1, int(companies[i]), days[i].isoformat(), float(amounts[i]), costs[i])
            for i in range(n)
        ],
    )
    con.commit()
    con.close()
    got = sqlite_loader.load_monthly(
        str(path),
        start="2024-03-01",
        end="2025-12-31",
        workers=workers,
        per_range=700,
        parallel_from=0,
    ).sort("company_id", "month")

    raw = pl.DataFrame(
        {"company_id": companies, "date": days, "amount": amounts, "cost": costs},
        schema_overrides={"cost": pl.Float64},
    )
    raw = raw.filter(
        (pl.col("date") >= dt.date(2024, 3, 1)) & (pl.col("date") <= dt.date(2025, 12, 31))
    )
    expected = (
        raw.with_columns(
            month=(pl.col("date").dt.year() * 12 + pl.col("date").dt.month() - 1).cast(pl.Int32)
        )
        .group_by("company_id", "month")
        .agg(
            revenue=pl.col("amount").sum(),
            cost_records=pl.col("cost").is_not_null().sum().cast(pl.Int64),
            purchases=(pl.col("amount") > 0).sum().cast(pl.Int64),
            records=pl.len().cast(pl.Int64),
            last_purchase=pl.col("date").filter(pl.col("amount") > 0).max(),
            margin=(pl.col("amount") - pl.col("cost")).fill_null(0).sum(),
        )
        .sort("company_id", "month")
    )
    assert got.height == expected.height
    for col in ("company_id", "month", "cost_records", "purchases", "records", "last_purchase"):
        assert got[col].to_list() == expected[col].to_list(), col
    assert np.allclose(got["revenue"].to_numpy(), expected["revenue"].to_numpy())
    assert np.allclose(got["margin"].to_numpy(), expected["margin"].to_numpy())


def test_worker_reads_leave_a_file_database_intact(tmp_path) -> None:
    """The app keeps its own connection to the file open while worker processes read it (with
    the ADBC driver's own SQLite when installed): the file must stay sound and writable.

    Two SQLite libraries in one process corrupted the demo database once; the workers are
    separate processes, and this checks that nothing of that kind comes back."""
    path = tmp_path / "app.sqlite3"
    app = sqlite3.connect(path)
    app.execute("PRAGMA journal_mode=WAL")
    app.execute(
        "CREATE TABLE clients_revenuerecord (id INTEGER PRIMARY KEY, company_id INT, "
        "date TEXT, amount_base DECIMAL, cost DECIMAL NULL)"
    )
    app.execute(
        "CREATE INDEX by_company ON clients_revenuerecord (company_id, date, amount_base, cost)"
    )
    app.executemany(
        "INSERT INTO clients_revenuerecord VALUES (?, ?, ?, ?, ?)",
        [(i, i % 50 + 1, f"2025-{i % 12 + 1:02d}-15", 100.0 + i, None) for i in range(1, 3001)],
    )
    app.commit()
    got = sqlite_loader.load_monthly(
        str(path),
        start="2025-01-01",
        end="2025-12-31",
        workers=2,
        per_range=500,
        parallel_from=0,
    )
    assert int(got["records"].sum()) == 3000
    # The app's connection, open all along, still writes and reads a sound file.
    app.execute("INSERT INTO clients_revenuerecord VALUES (5000, 1, '2025-06-01', 1, 1)")
    app.commit()
    assert app.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert app.execute("SELECT COUNT(*) FROM clients_revenuerecord").fetchone() == (3001,)
    app.close()


def _read_in_daemon(path: str, out: Any) -> None:
    try:
        got = sqlite_loader.load_monthly(
            path, start="2025-01-01", end="2025-12-31", workers=2, per_range=500, parallel_from=0
        )
        out.put(int(got["records"].sum()))
    except Exception as exc:  # the test reads what went wrong
        out.put(repr(exc))


def test_workers_start_from_a_daemonic_process_as_celery_runs_tasks(tmp_path) -> None:
    """Celery's prefork workers are daemonic; multiprocessing refuses children there unless the
    reader allows them (the recompute failed on every big book under Celery before)."""
    import multiprocessing

    path = tmp_path / "book.sqlite3"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE clients_revenuerecord (id INTEGER PRIMARY KEY, company_id INT, "
        "date TEXT, amount_base DECIMAL, cost DECIMAL NULL)"
    )
    con.executemany(
        "INSERT INTO clients_revenuerecord VALUES (?, ?, ?, ?, ?)",
        [(i, i % 40 + 1, f"2025-{i % 12 + 1:02d}-10", 10.0, None) for i in range(1, 2001)],
    )
    con.commit()
    con.close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    daemon = ctx.Process(target=_read_in_daemon, args=(str(path), out), daemon=True)
    daemon.start()
    result = out.get(timeout=120)
    daemon.join(timeout=30)
    assert result == 2000


def test_workers_start_inside_a_real_celery_prefork_worker(tmp_path) -> None:
    """Under Celery's prefork pool the reader's processes must start too: there the current
    process is daemonic and carries billiard's authkey, which the standard library's spawning
    refused to send ("Pickling an AuthenticationString object is disallowed")."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from clientdesk.core.tests.test_tasks import _redis_or_skip

    _redis_or_skip()
    from clientdesk.segments.tests import celery_reader_app

    path = tmp_path / "book.sqlite3"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE clients_revenuerecord (id INTEGER PRIMARY KEY, company_id INT, "
        "date TEXT, amount_base DECIMAL, cost DECIMAL NULL)"
    )
    con.executemany(
        "INSERT INTO clients_revenuerecord VALUES (?, ?, ?, ?, ?)",
        [(i, i % 40 + 1, "2025-03-10", 10.0, None) for i in range(1, 1501)],
    )
    con.commit()
    con.close()
    celery_reader_app.app.control.purge()
    root = Path(__file__).resolve().parents[3]
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clientdesk.segments.tests.celery_reader_app",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    result: object = None
    try:
        result = celery_reader_app.records.delay(str(path)).get(timeout=120)
    except Exception as exc:  # the worker's own output says why
        result = repr(exc)
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=30)
    assert result == 1500, err.decode()[-3000:]
