"""The measured-service report on a large ticket table: time and memory, and how the streamed
histogram percentiles compare with fetching every duration and calling numpy.percentile.

    .venv/bin/python bench/centers_report.py [--tickets 200000]
    .venv/bin/python bench/centers_report.py --database-url postgres://.../clientdesk_bench_staffing

SQLite runs on a temporary file database (deleted afterwards). PostgreSQL needs a database of
its own: only clientdesk_bench_staffing is accepted (never test or postgres); it is created if
missing, and its tickets are replaced. Tickets are spread over two centers in two time zones, a
year of days, ten services, eight desks and operators, 300 companies.

Printed, per breakdown: seconds for the report (counts, streamed durations, repeat visits;
untraced run) and its peak Python memory (tracemalloc, a second run); then the heat map;
then the naive way (all durations of the whole table fetched into numpy, np.percentile per
group) with its time, memory and the largest difference from the histogram percentiles
(must stay within one 10-second bin).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_NAME = "clientdesk_bench_staffing"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--database-url", default="", help=f"postgres://.../{PG_NAME}")
    parser.add_argument("--profile", action="store_true", help="cProfile one report and stop")
    return parser.parse_args()


def setup_django(args: argparse.Namespace, tmp: Path) -> None:
    if args.database_url:
        name = args.database_url.rsplit("/", 1)[-1].split("?")[0]
        if name != PG_NAME:
            sys.exit(f"Use the bench's own database: .../{PG_NAME} (got {name!r}).")
        import psycopg
        from psycopg import sql

        url = args.database_url.replace("postgres://", "postgresql://", 1)
        try:
            psycopg.connect(url).close()
        except psycopg.OperationalError:
            admin = url.rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_NAME)))
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["CLIENTDESK_VAR_DIR"] = str(tmp)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k7" * 30)
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ["TASKS_BACKEND"] = "sync"
    os.environ["DJANGO_SETTINGS_MODULE"] = "clientdesk.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(count: int) -> list[Any]:
    from clientdesk.accounts.models import User
    from clientdesk.centers.models import Desk, ServiceCenter, Ticket, TicketState
    from clientdesk.clients.models import Company
    from clientdesk.service.models import Service
    from clientdesk.service.tests.factories import new_company, new_service

    Ticket.objects.all().delete()
    rng = random.Random(6)
    centers = []
    for code, zone in (("bench-msk", "Europe/Moscow"), ("bench-ekb", "Asia/Yekaterinburg")):
        center, _ = ServiceCenter.objects.get_or_create(
            code=code, defaults={"name": code, "timezone": zone}
        )
        centers.append(center)
    services = list(Service.objects.all()[:10]) or [new_service() for _ in range(10)]
    while len(services) < 10:
        services.append(new_service())
    desks = [Desk.objects.get_or_create(center=centers[i % 2], number=str(i))[0] for i in range(8)]
    operators = [
        User.objects.get_or_create(username=f"bench-op{i}", defaults={"kind": "staff"})[0]
        for i in range(8)
    ]
    companies = list(Company.objects.all()[:300])
    while len(companies) < 300:
        companies.append(new_company())
    start = dt.datetime(2025, 1, 1, 6, tzinfo=dt.UTC)
    per_day: dict[tuple[int, dt.date], int] = {}
    batch: list[Ticket] = []
    started = time.perf_counter()
    for _n in range(count):
        center_index = rng.randrange(2)
        center = centers[center_index]
        issued = start + dt.timedelta(days=rng.randrange(365), seconds=rng.uniform(0, 11 * 3600))
        day = center.local_day(issued)
        number = per_day[(center_index, day)] = per_day.get((center_index, day), 0) + 1
        roll = rng.random()
        wait = dt.timedelta(seconds=rng.expovariate(1 / 480))
        desk_index = rng.randrange(4) * 2 + center_index
        ticket = Ticket(
            center=center,
            day=day,
            letter="A",
            number=number,
            service=rng.choice(services),
            queue_at=issued,
            issued_at=issued,
            company=rng.choice(companies) if rng.random() < 0.6 else None,
        )
        if roll < 0.05:
            ticket.state = TicketState.ABANDONED
            ticket.finished_at = issued + wait
        else:
            ticket.called_at = issued + wait
            ticket.desk = desks[desk_index]
            ticket.operator = operators[desk_index]
            if roll < 0.09:
                ticket.state = TicketState.NO_SHOW
            else:
                ticket.state = TicketState.DONE
                ticket.started_at = ticket.called_at
                ticket.finished_at = ticket.started_at + dt.timedelta(
                    seconds=rng.lognormvariate(6.5, 0.4)
                )
                ticket.first_contact_resolved = rng.random() < 0.78
        batch.append(ticket)
        if len(batch) >= 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)
    print(f"generated {count} tickets in {time.perf_counter() - started:.1f} s")
    return centers


def measure(label: str, func: Any) -> Any:
    """Seconds of one untraced run, then the peak Python memory of a second, traced run
    (tracemalloc slows allocation-heavy code several times, so it never times anything)."""
    started = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    func()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<28} {seconds:7.2f} s   peak {peak / 2**20:7.1f} MB", flush=True)
    return result


def naive_percentiles(filters: Any) -> dict[Any, tuple[float, float]]:
    """Every wait of the period fetched at once into numpy; p50/p90 per service."""
    import numpy as np

    from clientdesk.centers import reports

    rows = list(
        reports.tickets(filters)
        .filter(called_at__isnull=False)
        .values_list("service_id", "queue_at", "called_at")
    )
    keys = np.array([r[0] for r in rows])
    waits = np.array([(r[2] - r[1]).total_seconds() for r in rows if r[2] and r[1]])
    return {
        key: (
            float(np.percentile(waits[keys == key], 50)),
            float(np.percentile(waits[keys == key], 90)),
        )
        for key in np.unique(keys)
    }


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(args, Path(tmp))
        from django.db import connection

        from clientdesk.centers import reports

        print(f"database {connection.vendor}; load average {os.getloadavg()}")
        centers = generate(args.tickets)
        filters = reports.Filters(
            centers=centers, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31)
        )
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            reports.measured_service(filters)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            return
        by_service = None
        for breakdown in reports.BREAKDOWNS:
            chosen = reports.Filters(
                centers=centers, start=filters.start, end=filters.end, breakdown=breakdown
            )
            report = measure(f"report by {breakdown}", lambda f=chosen: reports.measured_service(f))
            if breakdown == "service":
                by_service = report
        measure("heat map (weekday x hour)", lambda: reports.heat_map(filters))
        naive = measure(
            "naive: fetch all, numpy",
            lambda: naive_percentiles(
                reports.Filters(
                    centers=centers, start=filters.start, end=filters.end, breakdown="service"
                )
            ),
        )
        assert by_service is not None
        worst = 0.0
        for row in by_service.rows:
            p50, p90 = naive[row.key]
            worst = max(worst, abs((row.wait.p50 or 0) - p50), abs((row.wait.p90 or 0) - p90))
        print(f"largest percentile difference, histogram vs numpy: {worst:.1f} s")
        print(f"load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()
