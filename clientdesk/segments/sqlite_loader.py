"""Monthly revenue per company from a SQLite database, fast and in bounded memory: no Django here
on purpose.

The records are read in the order of the covering index `clients_revenue_by_company`
(company, date, amount_base, cost), one range of companies at a time. Coming out sorted by
company and date, a range is summed in one pass (numpy `reduceat` over the runs of equal
company-month) with nothing to sort, spill or merge: every record of a company is in its range,
so a range's sums are final and a process holds one range's records at a time (~1M), the main
process only the result (companies x months: 5.4M rows, 280 MB at 1M companies / 20M records).

History of this reader (1M companies, 20M records, 2 cores): SQLite's own GROUP BY (company,
month) built a temporary B-tree of every row (~10 s per 2M); reading in rowid order and
summing outside, then spilling rowid ranges to bucket files by company and sorting each bucket,
took 23 s wall / ~26 s CPU in two workers (0.7 s CPU per 2M records to spill alone). Reading the
covering index costs the same per record as the table (~1 s CPU per 2M with the Arrow driver)
and leaves only the summing.

With `workers` > 1 ranges are read by separate processes (spawned: safe from threads and Celery
workers), each with its own read-only connection. When the optional ADBC SQLite driver
(adbc-driver-sqlite) is installed those processes get the rows as Arrow columns, not Python
tuples (2.5x less CPU). The driver types each column from its first rows, so NULL cost is sent
as 0.0 with a flag bit in the key: a column that starts with NULLs would be typed integer and
then fail on the first real number. The driver links its own copy of SQLite, so it is never
used in the calling process (see `load_monthly`).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from multiprocessing.process import AuthenticationString  # type: ignore[attr-defined]
from types import ModuleType
from typing import Any

import numpy as np
import polars as pl


def _adbc() -> ModuleType | None:
    try:
        return importlib.import_module("adbc_driver_sqlite.dbapi")
    except ImportError:
        return None


# One integer per record carries everything but the amounts:
# key = company_id << 17 | (month - BASE) << 6 | day << 1 | has_cost. Month offsets fit 11 bits;
# has_cost is the flag that NULL cost was sent as 0.0. ORDER BY is what the covering index
# gives for free; it keeps the result right should the planner ever pick another index.
BASE_MONTH = 1990 * 12
SQL = """
    SELECT (company_id << 17)
           | ((CAST(substr(date, 1, 4) AS INTEGER) * 12 + CAST(substr(date, 6, 2) AS INTEGER)
               - 1 - {base}) << 6)
           | (CAST(substr(date, 9, 2) AS INTEGER) << 1)
           | (cost IS NOT NULL) AS key,
           CAST(amount_base AS REAL) AS amount, COALESCE(CAST(cost AS REAL), 0.0) AS cost
    FROM clients_revenuerecord
    WHERE company_id >= ? AND company_id < ? AND date >= ? AND date <= ?
    ORDER BY company_id, date
"""
# Records per range of companies (estimated from the id span): small enough that a worker's
# records stay near 50 MB, large enough that per-range overhead (a query, a result to send
# back) stays below a few per cent.
RANGE_RECORDS = 1_000_000
RAW = {"key": pl.Int64, "amount": pl.Float64, "cost": pl.Float64}
PARTIAL = {
    "company_id": pl.Int32,
    "month": pl.Int16,  # months since BASE_MONTH
    "revenue": pl.Float64,
    "margin": pl.Float64,
    "contribution": pl.Float64,
    "cost_records": pl.Int32,
    "purchases": pl.Int32,
    "records": pl.Int32,
    "last_day": pl.Int8,  # day of the month of the last purchase
}


def aggregate(raw: pl.DataFrame) -> pl.DataFrame:
    """Records (key, amount, cost) sorted by key to one row per company and month (PARTIAL):
    numpy sums over the runs of equal company-month (a hash group-by over a million groups
    costs three times as much)."""
    if raw.height == 0:
        return pl.DataFrame(schema=PARTIAL)
    key = raw["key"].to_numpy()
    amount = raw["amount"].to_numpy()
    cost = raw["cost"].to_numpy()
    cell = key >> 6
    change = cell[1:] != cell[:-1]
    starts = np.flatnonzero(np.concatenate(([True], change)))
    has_cost = (key & 1).astype(bool)
    positive = amount > 0
    margin = np.where(has_cost, amount - cost, 0.0)
    first = cell[starts]
    return pl.DataFrame(
        {
            "company_id": (first >> 11).astype(np.int32),
            "month": (first & 2047).astype(np.int16),
            "revenue": np.add.reduceat(amount, starts),
            "margin": np.add.reduceat(margin, starts),
            "contribution": np.add.reduceat(np.where(has_cost, margin, amount), starts),
            "cost_records": np.add.reduceat(has_cost.astype(np.int32), starts),
            "purchases": np.add.reduceat(positive.astype(np.int32), starts),
            "records": np.diff(np.append(starts, len(key))).astype(np.int32),
            "last_day": np.maximum.reduceat(
                np.where(positive, (key >> 1) & 31, 0).astype(np.int8), starts
            ),
        }
    ).with_columns(pl.col("last_day").replace(0, None))


def read_range(
    path: str, lo: int, hi: int, start: str, end: str, arrow: bool = False
) -> pl.DataFrame:
    """PARTIAL rows of the companies lo <= id < hi, records dated start..end (ISO strings)."""
    params = (lo, hi, start, end)
    adbc = _adbc() if arrow else None
    raw = _read_arrow(adbc, path, params) if adbc is not None else _read_tuples(path, params)
    return aggregate(raw)


def _read_arrow(adbc: ModuleType, path: str, params: tuple[int, int, str, str]) -> pl.DataFrame:
    con = adbc.connect(path)
    try:
        cursor = con.cursor()
        try:
            cursor.execute("PRAGMA query_only=ON")
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute(SQL.format(base=BASE_MONTH), params)
            frame = pl.from_arrow(cursor.fetch_arrow_table())
        finally:
            cursor.close()
    finally:
        con.close()
    assert isinstance(frame, pl.DataFrame)
    # An empty result has no rows to take column types from.
    return frame.cast(RAW)  # type: ignore[arg-type]


def _reader(path: str) -> sqlite3.Connection:
    # Not `mode=ro`: a read-only connection cannot rebuild the WAL index when it finds it stale
    # (SQLite answers "disk I/O error", seen on the demo database while the app's own connection
    # was open). A normal connection told to refuse writes reads the same and can.
    con = sqlite3.connect(path)
    con.execute("PRAGMA query_only=ON")
    return con


def _read_tuples(path: str, params: tuple[int, int, str, str]) -> pl.DataFrame:
    con = _reader(path)
    try:
        rows = con.execute(SQL.format(base=BASE_MONTH), params).fetchall()
    finally:
        con.close()
    return pl.DataFrame(rows, schema=RAW, orient="row")


class _InProcess(Executor):
    """Runs each call at once in this process (one worker: no process to spawn)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def company_ranges(lo: int, hi: int, records: int, per_range: int) -> list[tuple[int, int]]:
    """Half-open ranges of company ids covering lo..hi, each expected to hold about
    `per_range` of the `records` records."""
    count = max(1, -(-records // max(per_range, 1)))
    step = max(1, -(-(hi - lo + 1) // count))
    return [(a, min(a + step, hi + 1)) for a in range(lo, hi + 1, step)]


class MonthlyRead:
    """A read under way (see `start_monthly`): worker processes read while the caller does
    other work; `result()` collects the ranges. Leaving the `with` block stops the workers."""

    def __init__(self, pool: Executor, jobs: list[Future[pl.DataFrame]]) -> None:
        self._pool = pool
        self._jobs = jobs

    def __enter__(self) -> MonthlyRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def result(self, on_progress: Callable[[float], None] | None = None) -> pl.DataFrame:
        """The monthly rows; `on_progress(share)` as ranges come in (share 0..1)."""
        parts: list[pl.DataFrame] = []
        for done, job in enumerate(self._jobs, start=1):
            parts.append(job.result())
            if on_progress is not None:
                on_progress(done / len(self._jobs))
        if not parts:
            return finish(pl.DataFrame(schema=PARTIAL))
        return finish(pl.concat(parts, rechunk=False))


def start_monthly(
    path: str,
    *,
    start: str,
    end: str,
    workers: int = 1,
    per_range: int = RANGE_RECORDS,
    parallel_from: int = 4_000_000,
) -> MonthlyRead:
    """Starts reading rows (company_id, month, revenue, margin, contribution, cost_records,
    purchases, records, last_purchase) for records dated start..end (ISO strings).

    Up to `workers` processes read when the book has `parallel_from` records or more (below
    that, starting them costs more than they save); otherwise the read is done here, at once."""
    con = _reader(path)
    try:
        # One MIN or MAX per statement: SQLite answers those from an index end, but scans the
        # table for MIN and MAX together (3 s at 20M records). The id span estimates the records.
        (lo,), (hi,), (first,), (last,) = (
            con.execute(f"SELECT {fn}({col}) FROM clients_revenuerecord").fetchone()  # noqa: S608
            for fn, col in (
                ("MIN", "company_id"),
                ("MAX", "company_id"),
                ("MIN", "id"),
                ("MAX", "id"),
            )
        )
    finally:
        con.close()
    if lo is None:
        return MonthlyRead(_InProcess(), [])
    ranges = company_ranges(lo, hi, last - first + 1, per_range)
    pool: Executor
    # The ADBC driver links its own copy of SQLite. Two copies of SQLite in one process must
    # never open the same file: each drops the other's POSIX locks on close, and the database
    # gets corrupted (seen: "database disk image is malformed" on the demo database). So ADBC
    # reads only in the spawned worker processes; in this process the sqlite3 module reads.
    arrow = workers > 1 and len(ranges) > 1 and last - first + 1 >= parallel_from
    with _children_allowed():
        if arrow:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        else:
            pool = _InProcess()
        # The pool starts its processes as jobs are submitted: all of them here.
        jobs = [pool.submit(read_range, path, a, b, start, end, arrow) for a, b in ranges]
    return MonthlyRead(pool, jobs)


@contextlib.contextmanager
def _children_allowed() -> Iterator[None]:
    """Lets a daemonic process start the reading workers.

    Celery's prefork workers are daemonic processes, and multiprocessing refuses to start
    children from one ("daemonic processes are not allowed to have children": seen with a real
    Celery worker, so the recompute failed on every big book there). The rule is there so that
    children do not outlive a daemon that is killed; ours are a pool that the reader's `with`
    block shuts down and joins, and whose processes exit when their parent's pipe closes."""
    process = multiprocessing.current_process()
    config = process._config  # type: ignore[attr-defined]  # no public switch
    saved = dict(config)
    config["daemon"] = False
    # Celery's billiard puts its own AuthenticationString here, which the standard library's
    # spawning refuses to send to the child: hand it the same key as the standard type.
    if "authkey" in config:
        config["authkey"] = AuthenticationString(bytes(config["authkey"]))
    try:
        yield
    finally:
        config.clear()
        config.update(saved)


def load_monthly(
    path: str,
    *,
    start: str,
    end: str,
    workers: int = 1,
    per_range: int = RANGE_RECORDS,
    parallel_from: int = 4_000_000,
    on_progress: Callable[[float], None] | None = None,
) -> pl.DataFrame:
    """`start_monthly` and its result in one call."""
    with start_monthly(
        path,
        start=start,
        end=end,
        workers=workers,
        per_range=per_range,
        parallel_from=parallel_from,
    ) as reading:
        return reading.result(on_progress)


def finish(frame: pl.DataFrame) -> pl.DataFrame:
    month = pl.col("month").cast(pl.Int32) + BASE_MONTH
    last = pl.date(month // 12, month % 12 + 1, pl.col("last_day"))
    return frame.with_columns(
        month=month,
        last_purchase=pl.when(pl.col("last_day").is_not_null()).then(last).cast(pl.Date),
    ).drop("last_day")
