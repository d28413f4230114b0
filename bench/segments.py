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
3. Checks that the three agree on ABC, XYZ and R/F/M for every company, and prints a table
   with the load average of the machine next to each figure (a shared machine: figures taken
   under load are pessimistic).

Peak RSS is given for the main process and for the largest of its worker processes (ours reads
with two spawned workers): each is the kernel's high-water mark (getrusage).

    .venv/bin/python bench/segments.py --companies 1000000 --records 20000000 \
        --database-url postgres://postgres@127.0.0.1:5432/clientdesk_bench_segments

runs ours on PostgreSQL instead: the book is copied once from the SQLite file into that
database with COPY (indexes dropped and rebuilt, foreign-key triggers off; its time printed),
then recomputed there. pandas and DuckDB are skipped on PostgreSQL (they read the SQLite book).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PERIOD_END = dt.date(2025, 12, 31)
MONTHS = 24


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_rss_mb() -> float:
    """The largest peak RSS among the finished child processes (0 when there were none)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children: unlike wall time, hardly
    inflated by other work on a shared machine (each stage runs in its own process)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def setup_django(var_dir: Path, database_url: str | None = None) -> None:
    os.environ["CLIENTDESK_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.settings")
    os.environ.setdefault("TASKS_BACKEND", "sync")
    os.environ.setdefault("DEBUG", "true")  # a local benchmark database, no secrets
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
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


def load_postgres(var_dir: Path) -> float:
    """Copies the SQLite book into the PostgreSQL database Django points at (once: skipped when
    the record counts already match). Returns the seconds taken (0 when skipped)."""
    import io

    import polars as pl
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    source = sqlite3.connect(var_dir / "clientdesk.sqlite3")
    want = source.execute("SELECT COUNT(*) FROM clients_revenuerecord").fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM clients_revenuerecord")
        have = cursor.fetchone()[0]
    if have == want:
        print(f"Using the book already in PostgreSQL ({have:,} records)")
        return 0.0
    t0 = time.perf_counter()
    pg = connection.connection

    def copy(table: str, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, quote_style="non_numeric", null_value="")
        cols = ", ".join(frame.columns)
        with pg.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as cp:
            cp.write(buffer.getbuffer())

    with pg.cursor() as cur:
        # Bulk load: no foreign-key triggers (the book is consistent), indexes rebuilt after.
        cur.execute("SET session_replication_role = replica")
        cur.execute("TRUNCATE clients_revenuerecord, clients_company CASCADE")
        indexes = {}
        for table in ("clients_company", "clients_revenuerecord"):
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [table],
            )
            indexes[table] = cur.fetchall()
            for name, _def in indexes[table]:
                cur.execute(f'DROP INDEX "{name}"')
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'clients_company' AND is_nullable = 'NO' AND column_default IS NULL"
        )
        required = dict(cur.fetchall())
    pg.commit()

    now = dt.datetime.now(dt.UTC).isoformat(" ")
    neutral = {"legal_form": "ООО", "country": "RU", "status": "active", "completeness": 0}
    rows = source.execute("SELECT id, legal_name, size_band FROM clients_company").fetchall()
    companies = pl.DataFrame(
        rows, schema=["id", "legal_name", "size_band"], orient="row"
    ).with_columns(
        pl.lit(neutral.get(c, now if "timestamp" in kind else 0 if "int" in kind else "")).alias(c)
        for c, kind in required.items()
        if c not in ("id", "legal_name", "size_band")
    )
    del rows
    copy("clients_company", companies)
    pg.commit()
    records = source.execute(
        "SELECT id, company_id, date, amount, amount_base, cost FROM clients_revenuerecord"
    )
    schema = ["id", "company_id", "date", "amount", "amount_base", "cost"]
    loaded = 0
    while rows := records.fetchmany(1_000_000):
        frame = pl.DataFrame(rows, schema=schema, orient="row").with_columns(
            currency=pl.lit("RUB"), external_id=pl.lit("")
        )
        copy("clients_revenuerecord", frame)
        loaded += frame.height
        print(f"  copied {loaded:,} records to PostgreSQL", end="\r", flush=True)
    pg.commit()
    with pg.cursor() as cur:
        for defs in indexes.values():
            for _name, definition in defs:
                cur.execute(definition)
        cur.execute("ANALYZE clients_company")
        cur.execute("ANALYZE clients_revenuerecord")
    pg.commit()
    source.close()
    seconds = time.perf_counter() - t0
    print(f"\nCopied the book to PostgreSQL in {seconds:.0f} s")
    return seconds


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
class TreeRss:
    """Samples the RSS of this process plus its children every 0.1 s: the peak of the sum is
    what the machine had to hold at once (getrusage gives each process's peak on its own)."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_kb(pid: int | str) -> int:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _tree(self, pid: int | str) -> list[str]:
        pids = [str(pid)]
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    for child in f.read().split():
                        pids += self._tree(child)
        except OSError:
            pass
        return pids

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            total = sum(self._rss_kb(pid) for pid in self._tree(os.getpid()))
            self.peak_kb = max(self.peak_kb, total)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def stage_ours(var_dir: Path) -> dict[str, object]:
    from django.db import connection

    from clientdesk.segments import services
    from clientdesk.segments.models import CompanySegment, SegmentRun

    # Earlier runs of the bench for this period would be replaced (their million rows deleted)
    # inside the timed run: clear them first, so that every run measures the same work.
    t0 = time.perf_counter()
    CompanySegment.objects.all().delete()
    SegmentRun.objects.all().delete()
    cleared = time.perf_counter() - t0
    with TreeRss() as tree:
        t0, c0 = time.perf_counter(), cpu_seconds()
        run = services.recompute_segments(period_end=PERIOD_END)
        seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    peak_main, peak_workers = rss_mb(), children_rss_mb()
    load = load_average()
    import polars as pl

    rows = CompanySegment.objects.filter(run=run).values_list(
        "company_id", "abc", "xyz", "r", "f", "m"
    )
    pl.DataFrame(
        list(rows), schema=["company_id", "abc", "xyz", "r", "f", "m"], orient="row"
    ).write_parquet(
        var_dir / ("ours-pg.parquet" if connection.vendor == "postgresql" else "ours.parquet")
    )
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rss_mb": peak_main,
        "workers_rss_mb": peak_workers,
        "tree_rss_mb": tree.peak_kb / 1024,
        "load": load,
        "timings": run.timings,
        "rows": run.companies,
        "status": run.status,
        "cleared_earlier_runs_s": round(cleared, 1),
    }


def stage_pandas(var_dir: Path) -> dict[str, object]:
    import pandas as pd

    from clientdesk.segments.tests import reference

    t0, c0 = time.perf_counter(), cpu_seconds()
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
    return {
        "seconds": load + compute,
        "cpu": cpu_seconds() - c0,
        "read": load,
        "compute": compute,
        "rss_mb": rss_mb(),
        "load": load_average(),
    }


def stage_duckdb(var_dir: Path) -> dict[str, object]:
    import duckdb

    from clientdesk.segments.tests import reference

    con = duckdb.connect()
    con.execute("SET threads = 2")
    source = f"read_parquet('{var_dir / 'records.parquet'}')"
    t0, c0 = time.perf_counter(), cpu_seconds()
    rows = reference.duckdb_segments(con, source, PERIOD_END)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    import polars as pl

    pl.DataFrame(
        rows, schema=["company_id", "abc", "xyz", "r", "f", "m"], orient="row"
    ).write_parquet(var_dir / "duckdb.parquet")
    return {"seconds": seconds, "cpu": cpu, "rss_mb": rss_mb(), "load": load_average()}


def compare(var_dir: Path, ours_file: str = "ours.parquet") -> dict[str, int]:
    import polars as pl

    key = ["abc", "xyz", "r", "f", "m"]
    ours = pl.read_parquet(var_dir / ours_file).filter(
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


def copy_book_to_postgres(var_dir: Path, database_url: str) -> float:
    """load_postgres in a child process (Django there points at PostgreSQL)."""
    from django.db import connections

    connections.close_all()
    code = (
        "import sys; sys.path.insert(0, {bench!r}); import segments as b; "
        "from pathlib import Path; b.setup_django(Path({var!r}), {url!r}); "
        "print('RESULT', b.load_postgres(Path({var!r})))"
    ).format(bench=str(ROOT / "bench"), var=str(var_dir), url=database_url)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        print(proc.stdout[-2000:], proc.stderr[-4000:])
        raise SystemExit("copying the book to PostgreSQL failed")
    return float(line.split()[1])


def print_table(results: dict[str, dict[str, Any]], where: str) -> None:
    print(
        f"{'method':<40}{'seconds':>9}{'CPU s':>8}{'peak RSS, MB':>14}{'workers, MB':>13}"
        "  load avg 1/5/15"
    )
    print(f"{'':<40}{'':>9}{'':>8}{'(main)':>14}{'(largest)':>13}")
    labels = {
        "ours": f"ours on {where}: load, all, write",
        "pandas": "pandas (read_sql + compute)",
        "duckdb": "DuckDB, one query on Parquet",
    }
    for stage, r in results.items():
        workers = float(r.get("workers_rss_mb", 0) or 0)
        print(
            f"{labels[stage]:<40}{float(r['seconds']):>9.1f}{float(r['cpu']):>8.1f}"
            f"{float(r['rss_mb']):>14.0f}"
            f"{workers or float('nan'):>13.0f}  {r['load']}"
        )
    if "ours" in results:
        ours = results["ours"]
        print("ours, by stage:", ours["timings"])
        print(f"ours, peak RSS of main + workers at once (sampled): {ours['tree_rss_mb']:.0f} MB")
    if "pandas" in results:
        pandas = results["pandas"]
        print(f"pandas: read {pandas['read']:.1f} s, compute {pandas['compute']:.1f} s")
    if "ours" in results and "duckdb" in results:
        ratio = float(results["ours"]["seconds"]) / float(results["duckdb"]["seconds"])
        cpu_ratio = float(results["ours"]["cpu"]) / float(results["duckdb"]["cpu"])
        print(f"ours / DuckDB: {ratio:.2f}x wall (aim: at most 2x), {cpu_ratio:.2f}x CPU")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip", action="append", default=[], choices=["pandas", "duckdb"])
    parser.add_argument(
        "--database-url", help="recompute on this PostgreSQL database (never `test`/`postgres`)"
    )
    parser.add_argument("--stage", choices=["ours", "pandas", "duckdb"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    var_dir = ROOT / "var" / "bench" / f"segments-{args.companies}-{args.records}"
    var_dir.mkdir(parents=True, exist_ok=True)
    on_pg = bool(args.database_url)
    ours_file = "ours-pg.parquet" if on_pg else "ours.parquet"

    if args.stage:
        if args.stage == "ours":
            setup_django(var_dir, args.database_url)
        result = {"ours": stage_ours, "pandas": stage_pandas, "duckdb": stage_duckdb}[args.stage](
            var_dir
        )
        print("RESULT " + json.dumps(result, default=str))
        return

    setup_django(var_dir)
    generate(var_dir, args.companies, args.records, args.seed)
    copy_seconds = 0.0
    if on_pg:
        args.skip = ["pandas", "duckdb"]
        copy_seconds = copy_book_to_postgres(var_dir, args.database_url)
    export_seconds = 0.0 if "duckdb" in args.skip else export_parquet(var_dir)
    # A skipped method keeps its earlier output (same cached book), so agreement is still checked.
    outputs = {"ours": ours_file, "pandas": "pandas.csv", "duckdb": "duckdb.parquet"}
    for stage, stale in outputs.items():
        if stage not in args.skip:
            (var_dir / stale).unlink(missing_ok=True)
    results: dict[str, dict[str, Any]] = {}
    for stage in ("ours", "pandas", "duckdb"):
        if stage in args.skip:
            continue
        print(f"Running {stage} ...", flush=True)
        command = [sys.executable, __file__, "--companies", str(args.companies)]
        command += ["--records", str(args.records), "--stage", stage]
        if on_pg and stage == "ours":
            command += ["--database-url", args.database_url]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(proc.stdout[-2000:], proc.stderr[-4000:])
            raise SystemExit(f"{stage} failed")
        results[stage] = json.loads(line[7:])
    agreement = compare(var_dir, ours_file)

    print()
    where = "PostgreSQL" if on_pg else "SQLite"
    print(f"{args.companies:,} companies, {args.records:,} revenue records, period {PERIOD_END}")
    print_table(results, where)
    if export_seconds:
        print(f"Parquet export for DuckDB (one-off): {export_seconds:.1f} s")
    if copy_seconds:
        print(f"Copying the book to PostgreSQL (one-off): {copy_seconds:.1f} s")
    print("agreement (ABC, XYZ, R, F, M per company):", agreement)


if __name__ == "__main__":
    main()
