"""Writes of the segments domain: the recompute, its alerts, settings, cell policies, rules.

The recompute reads revenue as one row per company and month, never one per record (PostgreSQL
groups in SQL and sends the rows with COPY, see pg_loader; a SQLite file is read by worker
processes range of companies by range, in the order of a covering index, see sqlite_loader), so
its memory is bounded by companies × months. It writes the snapshot in batches outside one big
transaction (COPY on PostgreSQL, executemany on SQLite), so that its
progress is visible while it runs; rows of a run that is not "done" are never read, and a failed
run deletes its rows. A run is claimed atomically: running it twice does the work once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import polars as pl
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.accounts.models import User
from clientdesk.clients.models import Todo
from clientdesk.core import audit

from . import calculations as calc
from . import pg_loader, sqlite_loader
from . import rules as rule_engine
from .models import (
    CellPolicy,
    Cluster,
    CompanySegment,
    RuleSegment,
    SegmentationSettings,
    SegmentRun,
)

logger = logging.getLogger(__name__)

BATCH = 100_000
STALE_RUN = dt.timedelta(hours=3)

# Optional churn-risk inputs that later domains provide (complaints from service requests,
# satisfaction from surveys): name -> function(period_end) -> DataFrame(company_id, <name>).
RISK_INPUTS: dict[str, Callable[[dt.date], pl.DataFrame]] = {}


def register_risk_input(name: str, loader: Callable[[dt.date], pl.DataFrame]) -> None:
    if name not in ("complaints", "satisfaction"):
        raise ValueError(f"Unknown churn-risk input {name!r}")
    RISK_INPUTS[name] = loader


def default_period_end(today: dt.date | None = None) -> dt.date:
    """The last day of the previous month: the last complete month."""
    today = today or timezone.localdate()
    return today.replace(day=1) - dt.timedelta(days=1)


def params_from_settings(s: SegmentationSettings, period_end: dt.date) -> calc.Params:
    bins = s.rfm_bins or {}
    weights = calc.Params(period_end=period_end).risk_weights | {
        k: float(v) for k, v in (s.risk_weights or {}).items()
    }
    return calc.Params(
        period_end=period_end,
        period_months=s.period_months,
        abc_a=s.abc_a,
        abc_b=s.abc_b,
        xyz_x=s.xyz_x,
        xyz_y=s.xyz_y,
        xyz_min_months=s.xyz_min_months,
        rfm_r_bins=bins.get("r") or None,
        rfm_f_bins=bins.get("f") or None,
        rfm_m_bins=bins.get("m") or None,
        new_months=s.new_months,
        dormant_months=s.dormant_months,
        lost_months=s.lost_months,
        trend_months=s.trend_months,
        trend_threshold=s.trend_threshold,
        risk_weights=weights,
        at_risk_threshold=s.at_risk_threshold,
        value_horizon_months=s.value_horizon_months,
        value_discount_rate=s.value_discount_rate,
    )


# --- loading -----------------------------------------------------------------------------------
def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _epoch_days(expr: str) -> str:
    """SQL turning a date expression into days since 1970-01-01 (cheaper to fetch than text)."""
    if _is_sqlite():
        return f"CAST(julianday(substr({expr}, 1, 10)) - 2440587.5 AS INTEGER)"
    return f"(CAST({expr} AS date) - DATE '1970-01-01')"


def _fetch(sql: str, params: list[Any], schema: dict[str, Any]) -> pl.DataFrame:
    if connection.vendor == "postgresql":
        # COPY to CSV parsed by polars: a million tuples through a cursor cost seconds.
        connection.ensure_connection()
        return pg_loader.read_frame(connection.connection, sql, params, schema)
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(250_000):
            chunks.append(pl.DataFrame(rows, schema=schema, orient="row"))
    if not chunks:
        return pl.DataFrame(schema=schema)
    return pl.concat(chunks, rechunk=True)


def _days_to_date(frame: pl.DataFrame, *cols: str) -> pl.DataFrame:
    return frame.with_columns(pl.col(c).cast(pl.Int32).cast(pl.Date) for c in cols)


def _sqlite_file() -> str | None:
    """The path of the SQLite file when it may be read and written by other connections: a
    file database and nothing uncommitted in ours (tests run inside a transaction)."""
    path = str(connection.settings_dict["NAME"])
    if _is_sqlite() and not connection.in_atomic_block and "memory" not in path:
        return path
    return None


class _Done:
    """A monthly read that was done at once (PostgreSQL, an in-memory SQLite): the interface of
    sqlite_loader.MonthlyRead."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __enter__(self) -> _Done:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def result(self, on_progress: Callable[[float], None] | None = None) -> pl.DataFrame:
        if on_progress is not None:
            on_progress(1.0)
        return self.frame


def start_load_monthly(*, period_end: dt.date, months: int) -> sqlite_loader.MonthlyRead | _Done:
    """Starts reading revenue by company and month over `months` months up to `period_end`;
    `.result()` gives the rows (MONTHLY_SCHEMA). A SQLite file is read by worker processes,
    in the order of the covering index by ranges of companies (see sqlite_loader), while the
    caller loads the rest; elsewhere the read is done here."""
    start = calc.month_start(calc.month_index(period_end) - months + 1)
    path = _sqlite_file()
    if path is not None:
        return sqlite_loader.start_monthly(
            path,
            start=start.isoformat(),
            end=period_end.isoformat(),
            workers=min(2, os.cpu_count() or 1),
        )
    return _Done(_query_monthly(start, period_end))


def load_monthly(
    *, period_end: dt.date, months: int, on_progress: Callable[[float], None] | None = None
) -> pl.DataFrame:
    """Revenue by company and month over `months` months up to `period_end` (MONTHLY_SCHEMA)."""
    with start_load_monthly(period_end=period_end, months=months) as reading:
        return _monthly_schema(reading.result(on_progress))


def _monthly_schema(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(dtype) for name, dtype in calc.MONTHLY_SCHEMA.items())


def _query_monthly(start: dt.date, period_end: dt.date) -> pl.DataFrame:
    """The monthly rows by one GROUP BY in the database (PostgreSQL, in-memory SQLite)."""
    if _is_sqlite():
        month = (
            "(CAST(substr(date, 1, 4) AS INTEGER) * 12 + CAST(substr(date, 6, 2) AS INTEGER) - 1)"
        )
    else:
        month = (
            "(CAST(EXTRACT(YEAR FROM date) AS INTEGER) * 12"
            " + CAST(EXTRACT(MONTH FROM date) AS INTEGER) - 1)"
        )
    real = "DOUBLE PRECISION"
    # Sums in floating point, as the SQLite path and the independent checks do: on PostgreSQL,
    # numeric sums made the GROUP BY of 20M records take 92 s instead of 47 s (2 cores, load 3).
    # Few aggregates, no per-row CASE or numeric subtraction: margin and contribution come from
    # the sums (32-34 s → 29 s for the bare statement at 1M/20M on a quiet machine).
    sql = f"""
        SELECT company_id, {month} AS month,
          SUM(CAST(amount_base AS {real})),
          SUM(CAST(amount_base AS {real})) FILTER (WHERE cost IS NOT NULL),
          SUM(CAST(cost AS {real})),
          COUNT(cost),
          COUNT(*) FILTER (WHERE amount_base > 0),
          COUNT(*),
          {_epoch_days("MAX(date) FILTER (WHERE amount_base > 0)")}
        FROM clients_revenuerecord
        WHERE date >= %s AND date <= %s
        GROUP BY company_id, {month}
    """  # noqa: S608 - only our own SQL fragments are formatted in
    schema = {
        "company_id": pl.Int64,
        "month": pl.Int32,
        "revenue": pl.Float64,
        "cost_revenue": pl.Float64,  # amounts of the records whose cost is known
        "cost": pl.Float64,
        "cost_records": pl.Int32,
        "purchases": pl.Int32,
        "records": pl.Int32,
        "last_purchase": pl.Int32,
    }
    if connection.vendor != "postgresql":
        frame = _fetch(sql, [start, period_end], schema)
    else:
        # The hash table of 5M groups spilled to disk with the default 4 MB of work memory.
        with connection.cursor() as cursor:
            cursor.execute("SET work_mem = '256MB'")
        try:
            frame = _fetch(sql, [start, period_end], schema)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET work_mem")
    frame = frame.with_columns(
        margin=(pl.col("cost_revenue") - pl.col("cost")).fill_null(0.0),
        contribution=pl.col("revenue") - pl.col("cost").fill_null(0.0),
    ).select(list(calc.MONTHLY_SCHEMA))
    return _days_to_date(frame, "last_purchase")


def load_history(*, before: dt.date) -> pl.DataFrame:
    """First record and last purchase of every company before the loaded window.

    Most books have nothing older than the window on the first runs; one probe of the date
    index says so, and the GROUP BY (which SQLite runs along the covering index by company,
    1.3 s at 20M records) is skipped."""
    schema = {"company_id": pl.Int64, "first_date": pl.Int32, "last_date": pl.Int32}
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM clients_revenuerecord WHERE date < %s LIMIT 1", [before])
        if cursor.fetchone() is None:
            return _days_to_date(pl.DataFrame(schema=schema), "first_date", "last_date")
    sql = f"""
        SELECT company_id, {_epoch_days("MIN(date)")},
               {_epoch_days("MAX(CASE WHEN amount_base > 0 THEN date END)")}
        FROM clients_revenuerecord WHERE date < %s GROUP BY company_id
    """  # noqa: S608
    return _days_to_date(_fetch(sql, [before], schema), "first_date", "last_date")


def load_companies() -> pl.DataFrame:
    sql = """
        SELECT c.id, c.account_manager_id, c.size_band, COALESCE(i.section, ''),
               COALESCE(r.code, ''),
               CASE WHEN c.parent_id IS NOT NULL OR c.group_role <> '' THEN 1 ELSE 0 END
        FROM clients_company c
        LEFT JOIN clients_industry i ON i.id = c.industry_id
        LEFT JOIN clients_region r ON r.id = c.region_id
        WHERE c.merged_into_id IS NULL
    """
    schema = {
        "company_id": pl.Int64,
        "account_manager_id": pl.Int64,
        "size_band": pl.String,
        "section": pl.String,
        "region": pl.String,
        "in_group": pl.Int8,
    }
    return _fetch(sql, [], schema)


def load_last_interaction(*, period_end: dt.date) -> pl.DataFrame:
    sql = f"""
        SELECT company_id, {_epoch_days("MAX(occurred_at)")}
        FROM clients_interaction WHERE occurred_at < %s GROUP BY company_id
    """  # noqa: S608
    schema = {"company_id": pl.Int64, "last_interaction": pl.Int32}
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return _days_to_date(_fetch(sql, [end], schema), "last_interaction")


def load_run_rows(run_id: int) -> pl.DataFrame:
    sql = """SELECT company_id, abc, xyz, rfm_segment, lifecycle, churn_risk
             FROM segments_companysegment WHERE run_id = %s"""
    schema = {
        "company_id": pl.Int64,
        "abc": pl.String,
        "xyz": pl.String,
        "rfm_segment": pl.String,
        "lifecycle": pl.String,
        "churn_risk": pl.Int16,
    }
    return _fetch(sql, [run_id], schema)


# --- runs --------------------------------------------------------------------------------------
@transaction.atomic
def start_recompute(*, period_end: dt.date | None = None, by: User | None) -> SegmentRun:
    """Queues a recompute in the background; the page polls the run for its progress."""
    from .tasks import run_segmentation_task

    run = _create_run(period_end=period_end, by=by)
    run_segmentation_task.enqueue(run_id=run.pk)
    return run


def _create_run(*, period_end: dt.date | None, by: User | None) -> SegmentRun:
    period_end = period_end or default_period_end()
    if period_end > timezone.localdate():
        raise ValidationError(
            {"period_end": _("The period cannot end in the future: choose a past month.")}
        )
    period_end = calc.month_end(calc.month_index(period_end))
    s = SegmentationSettings.load()
    run = SegmentRun.objects.create(
        period_end=period_end, period_months=s.period_months, created_by=by
    )
    audit.record(
        actor=by, action="segments.run_started", target=run, changes={"period_end": period_end}
    )
    return run


def recompute_segments(*, period_end: dt.date | None = None, by: User | None = None) -> SegmentRun:
    """Creates a run and carries it out in this thread (the task, the demo, the bench)."""
    with transaction.atomic():
        run = _create_run(period_end=period_end, by=by)
    return run_segmentation(run_id=run.pk)


def _claim(run_id: int) -> bool:
    with transaction.atomic():
        busy = SegmentRun.objects.filter(
            status=SegmentRun.Status.RUNNING, started_at__gte=timezone.now() - STALE_RUN
        ).exclude(pk=run_id)
        if busy.exists():
            return False
        claimed = SegmentRun.objects.filter(pk=run_id, status=SegmentRun.Status.QUEUED).update(
            status=SegmentRun.Status.RUNNING,
            started_at=timezone.now(),
            progress=1,
            stage=_("Loading revenue"),
        )
        return claimed == 1


def _progress(run: SegmentRun, progress: int, stage: str) -> None:
    SegmentRun.objects.filter(pk=run.pk).update(progress=progress, stage=stage)


def run_segmentation(*, run_id: int) -> SegmentRun:
    """Carries out a queued run. Safe to call twice: only the caller that claims it works."""
    if not _claim(run_id):
        # Another worker has it, it is finished, or another run is in progress.
        return SegmentRun.objects.get(pk=run_id)
    run = SegmentRun.objects.get(pk=run_id)
    try:
        _execute(run)
    except Exception as exc:
        logger.exception("Segmentation run %s failed", run.pk)
        CompanySegment.objects.filter(run_id=run.pk).delete()
        SegmentRun.objects.filter(pk=run.pk).update(
            status=SegmentRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
        )
        raise
    run.refresh_from_db()
    return run


def _execute(run: SegmentRun) -> None:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    s = SegmentationSettings.load()
    p = params_from_settings(s, run.period_end)
    months = max(s.history_months, s.period_months, 2 * s.trend_months)
    # Worker processes read the revenue while this process loads everything else.
    with start_load_monthly(period_end=run.period_end, months=months) as reading:
        timings["load_start"] = time.perf_counter() - t0
        t = time.perf_counter()
        history = load_history(
            before=calc.month_start(calc.month_index(run.period_end) - months + 1)
        )
        timings["load_history"] = time.perf_counter() - t
        t = time.perf_counter()
        companies = load_companies()
        interactions = load_last_interaction(period_end=run.period_end)
        extra = {name: loader(run.period_end) for name, loader in RISK_INPUTS.items()}
        timings["load_other"] = time.perf_counter() - t
        t = time.perf_counter()
        monthly = _monthly_schema(
            reading.result(lambda share: _progress(run, 1 + int(33 * share), _("Loading revenue")))
        )
        timings["load_monthly_wait"] = time.perf_counter() - t
    timings["load"] = time.perf_counter() - t0
    _progress(run, 35, _("Computing segments"))
    t = time.perf_counter()
    sums = calc.company_sums(monthly, companies, p, history=history)
    del monthly, history  # the biggest input: let it go before the segmentations
    frame, clusters = calc.segment(
        sums,
        companies,
        p,
        last_interaction=interactions,
        complaints=extra.get("complaints"),
        satisfaction=extra.get("satisfaction"),
    )
    del sums
    frame = frame.join(companies, on="company_id", how="left")
    timings["compute"] = time.perf_counter() - t
    _progress(run, 55, _("Writing snapshots"))
    t = time.perf_counter()
    written = write_snapshot(
        run,
        frame,
        on_batch=lambda share: _progress(run, 55 + int(35 * share), _("Writing snapshots")),
    )
    _write_clusters(run, clusters)
    timings["write"] = time.perf_counter() - t
    _progress(run, 92, _("Comparing with the previous period"))
    t = time.perf_counter()
    previous = (
        SegmentRun.objects.filter(status=SegmentRun.Status.DONE, period_end__lt=run.period_end)
        .order_by("-period_end", "-finished_at")
        .first()
    )
    prev_rows = load_run_rows(previous.pk) if previous else None
    summary = build_summary(frame, clusters, p, previous=previous, prev_rows=prev_rows)
    alerts = send_alerts(run=run, frame=frame, prev_rows=prev_rows, threshold=p.at_risk_threshold)
    timings["alerts_summary"] = time.perf_counter() - t
    t = time.perf_counter()
    with transaction.atomic():
        replaced = list(
            SegmentRun.objects.filter(
                status=SegmentRun.Status.DONE, period_end=run.period_end
            ).values_list("pk", flat=True)
        )
        SegmentRun.objects.filter(pk__in=replaced).update(status=SegmentRun.Status.SUPERSEDED)
        timings["total"] = time.perf_counter() - t0
        SegmentRun.objects.filter(pk=run.pk).update(
            status=SegmentRun.Status.DONE,
            progress=100,
            stage="",
            finished_at=timezone.now(),
            companies=written,
            alerts=alerts,
            summary=summary,
            timings={k: round(v, 2) for k, v in timings.items()},
        )
        audit.record(
            actor=run.created_by,
            action="segments.run_done",
            target=run,
            changes={"companies": written, "alerts": alerts},
        )
    # One snapshot per period: the replaced run's rows go (after the new ones are visible).
    CompanySegment.objects.filter(run_id__in=replaced).delete()


COLUMNS = (
    "run_id",
    "company_id",
    "revenue",
    "margin",
    "abc",
    "abc_margin",
    "xyz",
    "cv",
    "recency_days",
    "frequency",
    "r",
    "f",
    "m",
    "rfm_segment",
    "lifecycle",
    "trend_pct",
    "cluster",
    "churn_risk",
    "risk_reasons",
    "value_historic",
    "value_expected",
)


def _reasons_expr(frame: pl.DataFrame) -> pl.Expr:
    """JSON list of the reasons behind each risk score, built by polars (no Python loop).

    Reasons come in a fixed order; readers sort them by points (selectors.sorted_reasons)."""
    figures = {
        "revenue_drop": pl.col("trend_pct").round(1),
        "silence": pl.col("silence_days"),
        "complaints": pl.col("complaints") if "complaints" in frame.columns else None,
        "satisfaction": pl.col("satisfaction") if "satisfaction" in frame.columns else None,
    }
    items = []
    struct = frame.schema["risk_parts"]
    assert isinstance(struct, pl.Struct)
    for name in struct.fields:
        points = pl.col("risk_parts").struct.field(name.name)
        figure = figures.get(name.name)
        value = figure.cast(pl.String).fill_null("null") if figure is not None else pl.lit("null")
        items.append(
            pl.when(points > 0.05).then(
                pl.concat_str(
                    pl.lit(f'{{"code": "{name.name}", "points": '),
                    points.round(1).cast(pl.String),
                    pl.lit(', "value": '),
                    value,
                    pl.lit("}"),
                )
            )
        )
    joined = pl.concat_list(items).list.drop_nulls().list.join(", ")
    return (
        pl.when(pl.col("churn_risk") > 0)
        .then(pl.concat_str(pl.lit("["), joined, pl.lit("]")))
        .otherwise(pl.lit("[]"))
    )


def write_snapshot(
    run: SegmentRun, frame: pl.DataFrame, *, on_batch: Callable[[float], None] | None = None
) -> int:
    """Inserts one row per company, in batches so that the run's progress moves.

    PostgreSQL: COPY. SQLite: executemany, BATCH rows a transaction (the ADBC driver's bulk
    insert was faster, but it links a second copy of SQLite into the process, which corrupted
    the file: see sqlite_loader).
    """
    data = frame.select(
        pl.lit(run.pk, dtype=pl.Int64).alias("run_id"),
        "company_id",
        pl.col("revenue").round(2),
        pl.col("margin").round(2),
        "abc",
        "abc_margin",
        "xyz",
        pl.col("cv").round(2).fill_nan(None),
        pl.col("recency_days").cast(pl.Int64),
        "frequency",
        "r",
        "f",
        "m",
        "rfm_segment",
        "lifecycle",
        pl.col("trend_pct").round(1).fill_nan(None),
        "cluster",
        "churn_risk",
        _reasons_expr(frame).alias("risk_reasons"),
        pl.col("value_historic").round(2),
        pl.col("value_expected").round(2),
    )
    table = CompanySegment._meta.db_table
    total = data.height

    def progress(done: int) -> None:
        if on_batch is not None:
            on_batch(done / max(total, 1))

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        return pg_loader.write_frame(connection.connection, table, data, on_batch=progress)
    sql = (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    )
    done = 0

    # The next batch's tuples are made while SQLite inserts this one (sqlite3 lets go of the GIL
    # while it steps), and one transaction per batch: in autocommit SQLite would commit (and
    # sync) every single row; 100k-row batches sync 10 times for a million rows.
    def rows(start: int) -> list[tuple[Any, ...]]:
        return data.slice(start, BATCH).rows()

    with ThreadPoolExecutor(max_workers=1) as prepare:
        pending = prepare.submit(rows, 0)
        for offset in range(0, total, BATCH):
            chunk = pending.result()
            if offset + BATCH < total:
                pending = prepare.submit(rows, offset + BATCH)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, chunk)
            done += len(chunk)
            progress(done)
    return done


def _write_clusters(run: SegmentRun, result: calc.ClusterResult | None) -> None:
    if result is None:
        return
    rows = []
    for i in range(result.k):
        rows.append(
            Cluster(
                run=run,
                number=i + 1,
                size=result.sizes[i],
                centroid={
                    f: round(float(v), 2)
                    for f, v in zip(calc.FEATURES, result.centroids_z[i], strict=True)
                },
                means=_cluster_means(result.means[i]),
                description=cluster_description(result.words[i]),
            )
        )
    Cluster.objects.bulk_create(rows)


def _cluster_means(means: np.ndarray[Any, Any]) -> dict[str, float]:
    return {
        "revenue": round(float(np.expm1(means[0])), 0),
        "frequency": round(float(np.expm1(means[1])), 1),
        "recency": round(float(means[2]), 0),
        "cv": round(float(means[3]), 1),
        "trend": round(float(means[4]), 1),
    }


def cluster_description(words: list[tuple[str, bool]]) -> str:
    """Stored in English source words; the page translates each word when showing it."""
    if not words:
        return "typical clients"
    return ", ".join(calc.FEATURE_WORDS[f][0 if high else 1] for f, high in words)


# --- summary for the overview --------------------------------------------------------------------
def _counts(frame: pl.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    agg = frame.group_by(cols).agg(n=pl.len(), revenue=pl.col("revenue").sum()).sort(cols)
    return [
        {**{c: row[c] for c in cols}, "n": row["n"], "revenue": round(row["revenue"], 2)}
        for row in agg.iter_rows(named=True)
    ]


def _pareto(frame: pl.DataFrame) -> dict[str, Any]:
    values = frame.filter(pl.col("revenue") > 0).sort("revenue", descending=True)["revenue"]
    n = values.len()
    if n == 0:
        return {"points": [], "n": 0, "total": 0.0}
    cum = (values.cum_sum() / values.sum() * 100).to_numpy()
    steps = min(n, 100)
    idx = np.unique(np.linspace(0, n - 1, steps).round().astype(int))
    points = [[round((i + 1) / n * 100, 2), round(float(cum[i]), 2)] for i in idx]
    return {"points": [[0.0, 0.0], *points], "n": n, "total": round(float(values.sum()), 2)}


def build_summary(
    frame: pl.DataFrame,
    clusters: calc.ClusterResult | None,
    p: calc.Params,
    *,
    previous: SegmentRun | None,
    prev_rows: pl.DataFrame | None,
) -> dict[str, Any]:
    # Only the columns counted here: each filter below copies what it keeps, and copies of the
    # whole frame (45 columns) were the peak memory of the recompute.
    frame = frame.select(
        "company_id",
        "abc",
        "abc_margin",
        "xyz",
        "r",
        "f",
        "rfm_segment",
        "lifecycle",
        "size_band",
        "section",
        "region",
        "in_group",
        "churn_risk",
        "cluster",
        "revenue",
        "value_historic",
        "value_expected",
    )
    clients = frame.filter(pl.col("abc") != "")
    abc_counts = {r["abc"]: r["n"] for r in _counts(clients, ["abc"])}
    summary: dict[str, Any] = {
        "params": {
            "abc_a": p.abc_a,
            "abc_b": p.abc_b,
            "xyz_x": p.xyz_x,
            "xyz_y": p.xyz_y,
            "period_months": p.period_months,
            "at_risk_threshold": p.at_risk_threshold,
        },
        "companies": frame.height,
        "clients": clients.height,
        "revenue": round(float(clients["revenue"].sum() or 0), 2),
        "value_historic": round(float(frame["value_historic"].sum() or 0), 2),
        "value_expected": round(float(frame["value_expected"].sum() or 0), 2),
        "pareto": _pareto(clients) | {"a": abc_counts.get("A", 0), "b": abc_counts.get("B", 0)},
        "abc": _counts(clients, ["abc"]),
        "abc_margin": _counts(frame.filter(pl.col("abc_margin") != ""), ["abc_margin"]),
        "matrix": _counts(clients, ["abc", "xyz"]),
        "rfm_grid": _counts(frame.filter(pl.col("r").is_not_null()), ["r", "f"]),
        "rfm_segments": _counts(frame.filter(pl.col("rfm_segment") != ""), ["rfm_segment"]),
        "lifecycle": _counts(frame, ["lifecycle"]),
        "size_band": _counts(clients, ["size_band"]),
        "section": _counts(clients, ["section"]),
        "region": sorted(_counts(clients, ["region"]), key=lambda r: -r["revenue"])[:15],
        "in_group": _counts(clients, ["in_group"]),
        "risk_bands": _counts(
            frame.filter(pl.col("abc") != "").with_columns(
                band=(pl.col("churn_risk") // 10 * 10).clip(0, 90)
            ),
            ["band"],
        ),
        "at_risk": int(
            frame.filter(
                (pl.col("churn_risk") >= p.at_risk_threshold)
                & ~pl.col("lifecycle").is_in(["lost", "prospect"])
            ).height
        ),
        "clusters": [],
        "migration": None,
    }
    if clusters is not None:
        summary["silhouette"] = {str(k): round(v, 3) for k, v in clusters.silhouette.items()}
        summary["clusters"] = _counts(clients.filter(pl.col("cluster").is_not_null()), ["cluster"])
    if previous is not None and prev_rows is not None:
        joined = prev_rows.join(
            frame.select("company_id", "abc", "rfm_segment", "lifecycle", "revenue"),
            on="company_id",
            suffix="_to",
        )
        summary["migration"] = {
            "from_run": previous.pk,
            "from_period": previous.period_end.isoformat(),
            **{
                dim: [
                    {"from": r[dim], "to": r[f"{dim}_to"], "n": r["n"]}
                    for r in joined.group_by(dim, f"{dim}_to")
                    .agg(n=pl.len())
                    .sort(dim, f"{dim}_to")
                    .iter_rows(named=True)
                ]
                for dim in ("abc", "rfm_segment", "lifecycle")
            },
        }
    return summary


# --- alerts ------------------------------------------------------------------------------------
def send_alerts(
    *, run: SegmentRun, frame: pl.DataFrame, prev_rows: pl.DataFrame | None, threshold: int
) -> int:
    """A follow-up to-do for the account manager when a client leaves A or becomes at risk.

    Only transitions from the previous period count, and a company that already has an open
    to-do of the same kind from an earlier run does not get a second one.
    """
    if prev_rows is None or prev_rows.height == 0:
        return 0
    now = frame.select("company_id", "account_manager_id", "abc", "churn_risk", "lifecycle").filter(
        pl.col("account_manager_id").is_not_null()
    )
    joined = now.join(
        prev_rows.select("company_id", prev_abc="abc", prev_risk="churn_risk"), on="company_id"
    )
    left_a = joined.filter((pl.col("prev_abc") == "A") & (pl.col("abc") != "A"))
    at_risk = joined.filter(
        (pl.col("prev_risk") < threshold)
        & (pl.col("churn_risk") >= threshold)
        & ~pl.col("lifecycle").is_in(["lost", "prospect"])
    )
    if left_a.height == 0 and at_risk.height == 0:
        return 0
    open_alerts = set(
        Todo.objects.filter(done_at__isnull=True, source__startswith="segments.run:").values_list(
            "company_id", "source"
        )
    )
    open_keys = {(cid, src.rsplit(":", 1)[-1]) for cid, src in open_alerts}
    due = timezone.localdate() + dt.timedelta(days=7)
    todos: list[Todo] = []
    for row in left_a.iter_rows(named=True):
        if (row["company_id"], "left_a") in open_keys:
            continue
        now_cls = row["abc"] or "—"
        todos.append(
            Todo(
                company_id=row["company_id"],
                assignee_id=row["account_manager_id"],
                kind=Todo.Kind.FOLLOW_UP,
                due_on=due,
                source=f"segments.run:{run.pk}:left_a",
                title=_(
                    "The client left group A (now %(cls)s): find out why and keep the relationship"
                )
                % {"cls": now_cls},
            )
        )
    for row in at_risk.iter_rows(named=True):
        if (row["company_id"], "at_risk") in open_keys:
            continue
        todos.append(
            Todo(
                company_id=row["company_id"],
                assignee_id=row["account_manager_id"],
                kind=Todo.Kind.FOLLOW_UP,
                due_on=due,
                source=f"segments.run:{run.pk}:at_risk",
                title=_("The client is at risk of leaving (churn risk %(risk)s): contact them")
                % {"risk": row["churn_risk"]},
            )
        )
    with transaction.atomic():
        created = Todo.objects.bulk_create(todos, batch_size=1000)
        audit.record(
            actor=None, action="segments.alerts_sent", target=run, changes={"todos": len(created)}
        )
    return len(created)


# --- settings, policies, rule segments ------------------------------------------------------------
SETTINGS_FIELDS = (
    "period_months",
    "history_months",
    "abc_a",
    "abc_b",
    "xyz_x",
    "xyz_y",
    "xyz_min_months",
    "rfm_bins",
    "new_months",
    "dormant_months",
    "lost_months",
    "trend_months",
    "trend_threshold",
    "risk_weights",
    "at_risk_threshold",
    "value_horizon_months",
    "value_discount_rate",
)


def _check_settings(s: SegmentationSettings) -> None:
    errors: dict[str, str] = {}
    if not 0 < s.abc_a < 100:
        errors["abc_a"] = _("The A share must be between 0 and 100 %.")
    if s.abc_b <= 0 or s.abc_a + s.abc_b >= 100:
        errors["abc_b"] = _("The B share must be above 0 and A + B below 100 %.")
    if not 0 < s.xyz_x < s.xyz_y:
        errors["xyz_y"] = _("The Y limit must be above the X limit, and X above 0.")
    if s.period_months < 3 or s.period_months > 60:
        errors["period_months"] = _("Choose a period of 3 to 60 months.")
    if s.history_months < s.period_months:
        errors["history_months"] = _("Load at least as many months as the period has.")
    if not s.dormant_months < s.lost_months:
        errors["lost_months"] = _("“Lost” must take longer than “dormant”.")
    if not 0 < s.at_risk_threshold <= 100:
        errors["at_risk_threshold"] = _("Choose a score between 1 and 100.")
    bins = s.rfm_bins or {}
    if not isinstance(bins, dict) or any(
        k not in ("r", "f", "m")
        or not isinstance(v, list)
        or len(v) != 4
        or any(not isinstance(x, int | float) for x in v)
        or sorted(v) != v
        for k, v in bins.items()
    ):
        errors["rfm_bins"] = _(
            "Give for r, f and m four ascending numbers each, or leave empty for quintiles."
        )
    weights = s.risk_weights or {}
    if not isinstance(weights, dict) or any(
        k not in calc.Params(period_end=dt.date(2000, 1, 31)).risk_weights
        or not isinstance(v, int | float)
        or v < 0
        for k, v in weights.items()
    ):
        errors["risk_weights"] = _(
            "Weights are non-negative numbers for revenue_drop, silence, complaints, satisfaction."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def settings_update(*, data: dict[str, Any], by: User | None) -> SegmentationSettings:
    s = SegmentationSettings.load()
    fields = [f for f in SETTINGS_FIELDS if f in data]
    before = audit.snapshot(s, fields)
    for name in fields:
        setattr(s, name, data[name])
    _check_settings(s)
    s.save()
    audit.record(
        actor=by,
        action="segments.settings_changed",
        target=s,
        changes=audit.diff(before, audit.snapshot(s, fields)),
    )
    return s


@transaction.atomic
def cell_policy_set(
    *, abc: str, xyz: str, policy: str, tier: int, response_hours: int | None, by: User | None
) -> CellPolicy:
    if abc not in ("A", "B", "C") or xyz not in ("X", "Y", "Z"):
        raise ValidationError(_("Choose a cell of the ABC-XYZ matrix, such as AX or CZ."))
    if tier not in CellPolicy.Tier.values:
        raise ValidationError({"tier": _("Choose a service tier from the list.")})
    cell, _created = CellPolicy.objects.get_or_create(abc=abc, xyz=xyz)
    fields = ["policy", "tier", "response_hours"]
    before = audit.snapshot(cell, fields)
    cell.policy, cell.tier, cell.response_hours = policy.strip(), tier, response_hours
    cell.save()
    audit.record(
        actor=by,
        action="segments.cell_policy_set",
        target=cell,
        changes=audit.diff(before, audit.snapshot(cell, fields)),
    )
    return cell


@transaction.atomic
def rule_segment_save(
    *,
    name: str,
    rules: Any,
    shared: bool,
    by: User,
    description: str = "",
    segment: RuleSegment | None = None,
) -> RuleSegment:
    """Creates or updates a rule segment; only its owner may change it."""
    if segment is not None and segment.owner_id != by.pk:
        raise ValidationError(_("Only the author can change this segment; save a copy instead."))
    if not name.strip():
        raise ValidationError({"name": _("Give the segment a name.")})
    normalised = rule_engine.validate(rules)
    fields = ["name", "description", "shared", "rules"]
    if segment is None:
        segment = RuleSegment(owner=by)
        before: dict[str, Any] = {}
        action = "segments.rule_created"
    else:
        before = audit.snapshot(segment, fields)
        action = "segments.rule_changed"
    segment.name, segment.description = name.strip()[:200], description.strip()
    segment.shared, segment.rules = shared, normalised
    segment.save()
    audit.record(
        actor=by,
        action=action,
        target=segment,
        changes=audit.diff(before, audit.snapshot(segment, fields)),
    )
    return segment


@transaction.atomic
def rule_segment_delete(*, segment: RuleSegment, by: User) -> None:
    if segment.owner_id != by.pk:
        raise ValidationError(_("Only the author can delete this segment."))
    audit.record(
        actor=by, action="segments.rule_deleted", target=segment, changes={"name": segment.name}
    )
    segment.delete()
