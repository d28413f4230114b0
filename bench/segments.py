"""Recomputing every segmentation at scale, against pandas and one DuckDB query.

    .venv/bin/python bench/segments.py [--companies 100000] [--records 2000000]
    .venv/bin/python bench/segments.py --companies 1000000 --records 20000000

1. Generates a book (skewed revenue per company, 24 months, ~3 % refunds, cost on ~60 % of the
   records) straight into a SQLite database with the project's schema, cached under
   var/bench/segments-<companies>-<records>/ so that re-runs start at once.
2. Times, each in its own process (so peak RSS is its own):
   (a) ours: `services.recompute_segments` end to end — monthly aggregation in SQL, every
       segmentation in polars, clusters, alerts, 1 row per company written with executemany;
   (b) pandas: a straightforward implementation of ABC, XYZ and RFM from the raw records
       (clientdesk/segments/tests/reference.py), reading them with pandas.read_sql;
   (c) DuckDB: the same figures as one SQL query. DuckDB's sqlite extension cannot be
       downloaded offline here, so it reads a Parquet export of the records (made once by
       polars, cached, its time reported separately).
3. Checks that the three agree on ABC, XYZ and R/F/M for every company, and prints a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PERIOD_END = dt.date(2025, 12, 31)
MONTHS = 24


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(var_dir: Path) -> None:
    os.environ["CLIENTDESK_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.settings")
    os.environ.setdefault("TASKS_BACKEND", "sync")
    os.environ.setdefault("DEBUG", "true")  # a local benchmark database, no secrets
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


# --- generating ---------------------------------------------------------------------------------
def generate(var_dir: Path, companies: int, records: int, seed: int) -> None:
    import numpy as np
    from django.core.management import call_command

    db = var_dir / "clientdesk.sqlite3"
    marker = var_dir / "generated.json"
    if marker.exists():
        print(f"Using cached book {db}")
        # Apps added since the book was generated need their tables (recompute reads them).
        call_command("migrate", verbosity=0)
        return
    if db.exists():
        db.unlink()
    call_command("migrate", verbosity=0)
    from django.db import connections

    connections.close_all()
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    now = dt.datetime.now(dt.UTC).isoformat(" ")

    # Companies: every NOT NULL column gets a neutral value.
    cols = [r[1] for r in con.execute("PRAGMA table_info(clients_company)")]
    notnull = {r[1]: r for r in con.execute("PRAGMA table_info(clients_company)")}
    values: dict[str, object] = {c: "" for c in cols if notnull[c][3]}
    values.update(
        {
            "legal_form": "ООО",
            "country": "RU",
            "status": "active",
            "completeness": 0,
            "created_at": now,
            "updated_at": now,
        }
    )
    values.pop("id", None)
    fixed = list(values)
    bands = np.array(["micro", "small", "medium", "large", ""])
    band = bands[rng.choice(5, size=companies, p=[0.5, 0.25, 0.12, 0.05, 0.08])]
    sql = (
        f"INSERT INTO clients_company (id, legal_name, size_band, {', '.join(fixed)}) "
        f"VALUES (?, ?, ?, {', '.join('?' * len(fixed))})"
    )
    rest = tuple(values[c] for c in fixed)
    con.executemany(
        sql, ((i, f"Company {i}", str(band[i - 1]), *rest) for i in range(1, companies + 1))
    )
    con.commit()

    # Revenue: company weights lognormal (a long tail), each company active from a random month.
    indexes = [
        r[0]
        for r in con.execute(
            "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name='clients_revenuerecord' "
            "AND sql IS NOT NULL"
        )
    ]
    for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='clients_revenuerecord' "
        "AND sql IS NOT NULL"
    ).fetchall():
        con.execute(f'DROP INDEX "{name}"')
    weight = rng.lognormal(0, 1.5, companies)
    scale = rng.lognormal(10, 1.2, companies)
    start = rng.integers(0, MONTHS, companies)
    end_month = PERIOD_END.year * 12 + PERIOD_END.month - 1
    first = end_month - MONTHS + 1
    day_strings = np.array(
        [
            (dt.date((first + m) // 12, (first + m) % 12 + 1, d + 1)).isoformat()
            for m in range(MONTHS)
            for d in range(28)
        ],
        dtype=object,
    )
    cum = np.cumsum(weight / weight.sum())
    batch = 1_000_000
    sql = (
        "INSERT INTO clients_revenuerecord (id, company_id, date, amount, currency, amount_base, "
        "cost, external_id) VALUES (?, ?, ?, ?, 'RUB', ?, ?, '')"
    )
    for offset in range(0, records, batch):
        n = min(batch, records - offset)
        comp = np.searchsorted(cum, rng.random(n) * cum[-1]).clip(0, companies - 1)
        month = start[comp] + (rng.random(n) * (MONTHS - start[comp])).astype(np.int64)
        day = rng.integers(0, 28, n)
        amount = np.round(scale[comp] * rng.lognormal(0, 0.5, n), 2)
        amount[rng.random(n) < 0.03] *= -1
        cost = np.where(rng.random(n) < 0.6, np.round(amount * rng.uniform(0.5, 0.9, n), 2), np.nan)
        ids = np.arange(offset + 1, offset + n + 1)
        rows = zip(
            ids.tolist(),
            (comp + 1).tolist(),
            day_strings[month * 28 + day].tolist(),
            amount.tolist(),
            amount.tolist(),
            [None if c != c else c for c in cost.tolist()],
            strict=True,
        )
        con.executemany(sql, rows)
        con.commit()
        print(f"  generated {offset + n:,} records", end="\r", flush=True)
    for create in indexes:
        con.execute(create)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    seconds = time.perf_counter() - t0
    marker.write_text(json.dumps({"companies": companies, "records": records, "seconds": seconds}))
    print(f"\nGenerated {companies:,} companies and {records:,} records in {seconds:.0f} s")


def export_parquet(var_dir: Path) -> float:
    """Records to Parquet for DuckDB (its sqlite reader is not available offline)."""
    import polars as pl

    target = var_dir / "records.parquet"
    if target.exists():
        return 0.0
    t0 = time.perf_counter()
    con = sqlite3.connect(var_dir / "clientdesk.sqlite3")
    cur = con.execute("SELECT company_id, date, amount_base FROM clients_revenuerecord")
    schema = {"company_id": pl.Int64, "date": pl.String, "amount_base": pl.Float64}
    parts = []
    while rows := cur.fetchmany(1_000_000):
        parts.append(
            pl.DataFrame(rows, schema=schema, orient="row").with_columns(
                pl.col("date").str.to_date()
            )
        )
    pl.concat(parts).write_parquet(target)
    return time.perf_counter() - t0


# --- the three contenders (each in its own process) -----------------------------------------------
def stage_ours(var_dir: Path) -> dict[str, object]:
    from clientdesk.segments import services
    from clientdesk.segments.models import CompanySegment

    t0 = time.perf_counter()
    run = services.recompute_segments(period_end=PERIOD_END)
    seconds = time.perf_counter() - t0
    import polars as pl

    rows = CompanySegment.objects.filter(run=run).values_list(
        "company_id", "abc", "xyz", "r", "f", "m"
    )
    pl.DataFrame(
        list(rows), schema=["company_id", "abc", "xyz", "r", "f", "m"], orient="row"
    ).write_parquet(var_dir / "ours.parquet")
    return {
        "seconds": seconds,
        "rss_mb": rss_mb(),
        "timings": run.timings,
        "rows": run.companies,
        "status": run.status,
    }


def stage_pandas(var_dir: Path) -> dict[str, object]:
    import pandas as pd

    from clientdesk.segments.tests import reference

    t0 = time.perf_counter()
    con = sqlite3.connect(var_dir / "clientdesk.sqlite3")
    records = pd.concat(
        pd.read_sql_query(
            "SELECT company_id, date, amount_base FROM clients_revenuerecord",
            con,
            chunksize=2_000_000,
        )
    )
    records["date"] = pd.to_datetime(records["date"])
    load = time.perf_counter() - t0
    t = time.perf_counter()
    out = reference.pandas_segments(records, PERIOD_END)
    compute = time.perf_counter() - t
    out.to_csv(var_dir / "pandas.csv", index=False)
    return {"seconds": load + compute, "load": load, "compute": compute, "rss_mb": rss_mb()}


def stage_duckdb(var_dir: Path) -> dict[str, object]:
    import duckdb

    from clientdesk.segments.tests import reference

    con = duckdb.connect()
    con.execute("SET threads = 2")
    source = f"read_parquet('{var_dir / 'records.parquet'}')"
    t0 = time.perf_counter()
    rows = reference.duckdb_segments(con, source, PERIOD_END)
    seconds = time.perf_counter() - t0
    import polars as pl

    pl.DataFrame(
        rows, schema=["company_id", "abc", "xyz", "r", "f", "m"], orient="row"
    ).write_parquet(var_dir / "duckdb.parquet")
    return {"seconds": seconds, "rss_mb": rss_mb()}


def compare(var_dir: Path) -> dict[str, int]:
    import polars as pl

    key = ["abc", "xyz", "r", "f", "m"]
    ours = pl.read_parquet(var_dir / "ours.parquet").filter(
        (pl.col("abc") != "") | pl.col("r").is_not_null()
    )
    out = {"companies": ours.height}
    for name, frame in (
        (
            "pandas",
            pl.read_csv(
                var_dir / "pandas.csv", schema_overrides={"abc": pl.String, "xyz": pl.String}
            )
            if (var_dir / "pandas.csv").exists()
            else None,
        ),
        (
            "duckdb",
            pl.read_parquet(var_dir / "duckdb.parquet")
            if (var_dir / "duckdb.parquet").exists()
            else None,
        ),
    ):
        if frame is None:
            continue
        frame = frame.with_columns(pl.col(c).fill_null("") for c in ("abc", "xyz")).with_columns(
            pl.col(c).cast(pl.Int64) for c in ("r", "f", "m")
        )
        joined = ours.with_columns(pl.col(c).cast(pl.Int64) for c in ("r", "f", "m")).join(
            frame, on="company_id", how="full", suffix="_x", coalesce=True
        )
        differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_x")) for c in key)
        out[f"mismatch_{name}"] = joined.filter(differs).height
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip", action="append", default=[], choices=["pandas", "duckdb"])
    parser.add_argument("--stage", choices=["ours", "pandas", "duckdb"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    var_dir = ROOT / "var" / "bench" / f"segments-{args.companies}-{args.records}"
    var_dir.mkdir(parents=True, exist_ok=True)

    if args.stage:
        if args.stage == "ours":
            setup_django(var_dir)
        result = {"ours": stage_ours, "pandas": stage_pandas, "duckdb": stage_duckdb}[args.stage](
            var_dir
        )
        print("RESULT " + json.dumps(result, default=str))
        return

    setup_django(var_dir)
    generate(var_dir, args.companies, args.records, args.seed)
    export_seconds = 0.0 if "duckdb" in args.skip else export_parquet(var_dir)
    # A skipped method keeps its earlier output (same cached book), so agreement is still checked.
    outputs = {"ours": "ours.parquet", "pandas": "pandas.csv", "duckdb": "duckdb.parquet"}
    for stage, stale in outputs.items():
        if stage not in args.skip:
            (var_dir / stale).unlink(missing_ok=True)
    results: dict[str, dict[str, object]] = {}
    for stage in ("ours", "pandas", "duckdb"):
        if stage in args.skip:
            continue
        print(f"Running {stage} ...", flush=True)
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--companies",
                str(args.companies),
                "--records",
                str(args.records),
                "--stage",
                stage,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(proc.stdout[-2000:], proc.stderr[-4000:])
            raise SystemExit(f"{stage} failed")
        results[stage] = json.loads(line[7:])
    agreement = compare(var_dir)

    print()
    print(f"{args.companies:,} companies, {args.records:,} revenue records, period {PERIOD_END}")
    print(f"{'method':<34}{'seconds':>10}{'peak RSS, MB':>15}")
    labels = {
        "ours": "ours: end to end (load, all, write)",
        "pandas": "pandas (read_sql + compute)",
        "duckdb": "DuckDB, one query on Parquet",
    }
    for stage, r in results.items():
        print(f"{labels[stage]:<34}{float(r['seconds']):>10.1f}{float(r['rss_mb']):>15.0f}")  # type: ignore[arg-type]
    if "ours" in results:
        print("ours, by stage:", results["ours"]["timings"])
    if "pandas" in results:
        print(
            f"pandas: load {results['pandas']['load']:.1f} s, "
            f"compute {results['pandas']['compute']:.1f} s"
        )
    if export_seconds:
        print(f"Parquet export for DuckDB (one-off): {export_seconds:.1f} s")
    print("agreement (ABC, XYZ, R, F, M per company):", agreement)


if __name__ == "__main__":
    main()
