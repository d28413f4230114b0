"""Monthly revenue per company from a SQLite database, fast and in bounded memory: no Django here
on purpose.

Measured on 2,000,000 records: SQLite's own GROUP BY (company, month) took ~10 s (a temporary
B-tree of every row), while scanning the table in rowid order and aggregating outside took ~3 s.
So the records are read in rowid ranges of 2M, each record as one integer key (company, month,
day, has-cost) and two amounts.

Memory. With a million companies a range of 2M records still has ~1.3M distinct (company, month)
pairs: summing per range hardly shrinks anything, and holding every range's partial sums until
the final sum took the 1M/20M recompute to 2.2 GB. So a range is not summed at all: its records
are split into `BUCKETS` buckets by company and spilled to Arrow IPC files in a temporary
folder (24 bytes a record); then each bucket (every record of its companies) is sorted by key
and summed run by run with numpy's reduceat, which took a third of the time of a hash group-by
over a million groups. A process holds one range or one bucket at a time, and the main process
only the result (companies × months: 5.4M rows, 280 MB at 1M/20M). With `workers` > 1 ranges
and buckets are worked by separate processes (spawned: safe from threads and Celery workers),
each with its own read-only connection. PostgreSQL is read by pg_loader.

Reading is most of the time (~0.8 s CPU per 2M records, SQLite computing the key included), so
when the optional ADBC SQLite driver (adbc-driver-sqlite) is installed the rows come out as
Arrow columns, not Python tuples: a 2M-row range took 1.1 s instead of 2.8 s. Without it the
standard sqlite3 module is used, with the same SQL and the same results. The driver types each
column from its first rows, so NULL cost is sent as 0.0 with a flag bit in the key: a column
that starts with NULLs would be typed integer and then fail on the first real number.

`append` writes the snapshot through the same driver: Arrow columns bound to one prepared
INSERT, no Python tuple per row.
"""

from __future__ import annotations

import importlib
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import polars as pl


def _adbc() -> ModuleType | None:
    try:
        return importlib.import_module("adbc_driver_sqlite.dbapi")
    except ImportError:
        return None


# One integer per record carries everything but the amounts, so that a sort by it groups the
# records by company and month: key = company_id << 17 | (month - BASE) << 6 | day << 1 | has_cost.
# Month offsets fit 11 bits; has_cost is the flag that NULL cost was sent as 0.0.
BASE_MONTH = 1990 * 12
SQL = """
    SELECT (company_id << 17)
           | ((CAST(substr(date, 1, 4) AS INTEGER) * 12 + CAST(substr(date, 6, 2) AS INTEGER)
               - 1 - {base}) << 6)
           | (CAST(substr(date, 9, 2) AS INTEGER) << 1)
           | (cost IS NOT NULL) AS key,
           CAST(amount_base AS REAL) AS amount, COALESCE(CAST(cost AS REAL), 0.0) AS cost
    FROM clients_revenuerecord
    WHERE id >= ? AND id < ? AND date >= ? AND date <= ?
"""
BUCKETS = 16
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
    """Records (key, amount, cost) to one row per company and month (PARTIAL).

    A hash group-by over a million distinct (company, month) pairs cost ~0.8 s per 2M records;
    sorting the keys and summing the runs with numpy's reduceat costs a third of that."""
    if raw.height == 0:
        return pl.DataFrame(schema=PARTIAL)
    raw = raw.sort("key")
    key = raw["key"].to_numpy()
    amount = raw["amount"].to_numpy()
    cost = raw["cost"].to_numpy()
    cell = key >> 6
    starts = np.flatnonzero(np.concatenate(([True], cell[1:] != cell[:-1])))
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


def spill_range(
    path: str, lo: int, hi: int, start: str, end: str, folder: str, arrow: bool = False
) -> int:
    """Reads one rowid range and writes its records to one IPC file per bucket of companies.

    Nothing is summed here: with a million companies a range of 2M records still has ~1.3M
    distinct (company, month) pairs, so summing per range would only do the work twice."""
    params = (lo, hi, start, end)
    adbc = _adbc() if arrow else None
    chunks = [_read_arrow(adbc, path, params)] if adbc is not None else _read_tuples(path, params)
    rows = 0
    for n, raw in enumerate(chunks):
        spill(raw, folder, f"r{lo}-{n}")
        rows += raw.height
    return rows


def spill(raw: pl.DataFrame, folder: str, tag: str) -> None:
    """Writes records (key, amount, cost) to one IPC file per bucket of companies."""
    bucket = ((pl.col("key") // 131072) % BUCKETS).alias("bucket")
    for (b,), piece in raw.with_columns(bucket).partition_by("bucket", as_dict=True).items():
        piece.drop("bucket").write_ipc(Path(folder) / f"b{b:02d}-{tag}.arrow")


def merge_bucket(folder: str, bucket: int) -> str | None:
    """Sums one bucket's records into one file of PARTIAL rows; returns its path (None if
    the bucket is empty). Every record of a company is in its bucket."""
    files = sorted(Path(folder).glob(f"b{bucket:02d}-*.arrow"))
    if not files:
        return None
    merged = aggregate(pl.concat([pl.read_ipc(file) for file in files], rechunk=True))
    for file in files:
        file.unlink()
    target = Path(folder) / f"m{bucket:02d}.arrow"
    merged.write_ipc(target)
    return str(target)


def _read_arrow(adbc: ModuleType, path: str, params: tuple[int, int, str, str]) -> pl.DataFrame:
    con = adbc.connect(path)
    try:
        cursor = con.cursor()
        try:
            cursor.execute("PRAGMA query_only=ON")
            cursor.execute("PRAGMA cache_size=-131072")
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


def _read_tuples(
    path: str, params: tuple[int, int, str, str], fetch: int = 500_000
) -> Iterator[pl.DataFrame]:
    con = _reader(path)
    try:
        con.execute("PRAGMA cache_size=-131072")
        cursor = con.execute(SQL.format(base=BASE_MONTH), params)
        while rows := cursor.fetchmany(fetch):
            yield pl.DataFrame(rows, schema=RAW, orient="row")
    finally:
        con.close()


class _InProcess(Executor):
    """Runs each call at once in this process (one worker: no process to spawn)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def load_monthly(
    path: str,
    *,
    start: str,
    end: str,
    workers: int = 1,
    chunk: int = 2_000_000,
    spill_dir: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> pl.DataFrame:
    """Rows (company_id, month, revenue, margin, contribution, cost_records, purchases, records,
    last_purchase) for records dated start..end (ISO strings).

    `on_progress(share)` is called as ranges are read (share 0..1 of the reading and summing)."""
    con = _reader(path)
    try:
        lo, hi = con.execute("SELECT MIN(id), MAX(id) FROM clients_revenuerecord").fetchone()
    finally:
        con.close()
    if lo is None:
        return finish(pl.DataFrame(schema=PARTIAL))
    ranges = [(a, min(a + chunk, hi + 1)) for a in range(lo, hi + 1, chunk)]
    steps = len(ranges) + BUCKETS
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done / steps)

    pool: Executor
    # The ADBC driver links its own copy of SQLite. Two copies of SQLite in one process must
    # never open the same file: each drops the other's POSIX locks on close, and the database
    # gets corrupted (seen: "database disk image is malformed" on the demo database). So ADBC
    # reads only in the spawned worker processes; in this process the sqlite3 module reads.
    arrow = workers > 1 and len(ranges) > 1
    if arrow:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    else:
        pool = _InProcess()
    with tempfile.TemporaryDirectory(prefix="segments-", dir=spill_dir) as folder, pool:
        for future in [
            pool.submit(spill_range, path, a, b, start, end, folder, arrow) for a, b in ranges
        ]:
            future.result()
            tick()
        merged: list[str] = []
        for job in [pool.submit(merge_bucket, folder, b) for b in range(BUCKETS)]:
            target: str | None = job.result()
            if target is not None:
                merged.append(target)
            tick()
        frame = (
            pl.concat([pl.read_ipc(m) for m in merged], rechunk=False)
            if merged
            else pl.DataFrame(schema=PARTIAL)
        )
    return finish(frame)


def finish(frame: pl.DataFrame) -> pl.DataFrame:
    month = pl.col("month").cast(pl.Int32) + BASE_MONTH
    last = pl.date(month // 12, month % 12 + 1, pl.col("last_day"))
    return frame.with_columns(
        month=month,
        last_purchase=pl.when(pl.col("last_day").is_not_null()).then(last).cast(pl.Date),
    ).drop("last_day")


# --- writing -------------------------------------------------------------------------------------
def can_append() -> bool:
    # Writing through ADBC would open the app's database with a second copy of SQLite in this
    # process (see load_monthly): that corrupts the file. The snapshot is written by the ORM.
    return False


def append(
    path: str,
    table: str,
    frame: pl.DataFrame,
    *,
    batch: int = 100_000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Appends `frame` (columns named as the table's) to `table` through the ADBC driver, one
    transaction per `batch` rows; `on_batch(rows_written_so_far)` after each. Returns the rows.

    The driver binds the Arrow columns to one prepared INSERT in C: no 21-value Python tuple per
    row as executemany needs."""
    adbc = _adbc()
    assert adbc is not None
    con = adbc.connect(path)
    done = 0
    try:
        with con.cursor() as cursor:
            # Another writer (a web request) may hold the lock for a moment: wait, as Django does.
            cursor.execute("PRAGMA busy_timeout=20000")
            # Six indexes take a million rows each: keep their pages in memory (256 MB at most).
            cursor.execute("PRAGMA cache_size=-262144")
            for offset in range(0, frame.height, batch):
                part = frame.slice(offset, batch).to_arrow(compat_level=pl.CompatLevel.oldest())
                cursor.adbc_ingest(table, part, mode="append")
                con.commit()
                done += part.num_rows
                if on_batch is not None:
                    on_batch(done)
    finally:
        con.close()
    return done
