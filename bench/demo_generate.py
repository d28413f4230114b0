"""How fast the demo generator fills a fresh SQLite database, and how much memory it needs.

    .venv/bin/python bench/demo_generate.py [--size 100000] [--seed 1] [--no-revenue] [--profile]

Prints companies/s (with their contacts, consents and timeline), contacts/s, revenue rows/s,
the total time and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="companies (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--no-revenue", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile run")
    parser.add_argument("--keep", action="store_true", help="keep the database and print its path")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="clientdesk-bench-")
    # Settings read these when django.setup() imports them, so they go first.
    os.environ["CLIENTDESK_VAR_DIR"] = var_dir
    os.environ.setdefault("DEBUG", "true")
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "clientdesk.config.settings"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # DEBUG keeps every query in memory; the generator's few thousand would only add noise.
    settings.DEBUG = False
    call_command("migrate", verbosity=0)

    from clientdesk.clients.demo import DemoStats, generate_demo_data
    from clientdesk.core.demo import create_demo_staff

    create_demo_staff()
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    started = time.perf_counter()

    def run() -> DemoStats:
        return generate_demo_data(
            companies=args.size,
            seed=args.seed,
            revenue=not args.no_revenue,
            batch_size=args.batch_size,
            progress=not args.no_progress,
        )

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        stats: DemoStats = profiler.runcall(run)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    else:
        stats = run()
    total = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kb = usage.ru_maxrss  # KiB on Linux
    # On a shared machine wall time includes waiting for a CPU; CPU time does not.
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    db = Path(var_dir) / "clientdesk.sqlite3"
    size_mb = sum(p.stat().st_size for p in Path(var_dir).glob("clientdesk.sqlite3*")) / 2**20

    company_s = max(stats.company_seconds, 1e-9)
    revenue_s = max(stats.revenue_seconds, 1e-9)
    print(f"companies:        {stats.companies:>12,}")
    print(f"contacts:         {stats.contacts:>12,}")
    print(f"contact points:   {stats.contact_points:>12,}")
    print(f"consents:         {stats.consents:>12,}")
    print(f"interactions:     {stats.interactions:>12,}")
    print(f"contracts:        {stats.contracts:>12,}")
    print(f"revenue rows:     {stats.revenue_rows:>12,}")
    print(
        f"companies/s:      {stats.companies / company_s:>12,.0f}  "
        f"(with contacts, consents, timeline; {company_s:.1f} s)"
    )
    print(f"contacts/s:       {stats.contacts / company_s:>12,.0f}")
    print(
        f"revenue rows/s:   {stats.revenue_rows / revenue_s:>12,.0f}  "
        f"(with contracts; {revenue_s:.1f} s)"
    )
    print(f"commits:          {stats.commit_seconds:>12.1f} s")
    print(f"search index:     {stats.index_seconds:>12.1f} s  (rebuilt once after the load)")
    print(f"overall:          {stats.companies / total:>12,.0f} companies/s, everything included")
    print(f"total time:       {total:>12.1f} s  (CPU time {cpu:.1f} s)")
    print(f"peak RSS:         {peak_kb / 1024:>12.0f} MiB")
    print(f"database size:    {size_mb:>12.0f} MiB")
    if args.keep:
        print(f"database:         {db}")
    else:
        for path in Path(var_dir).glob("*"):
            path.unlink()
        os.rmdir(var_dir)


if __name__ == "__main__":
    main()
