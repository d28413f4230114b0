"""Many kiosks issuing tickets at once: throughput, duplicates and gaps.

    .venv/bin/python bench/center_tickets.py [--threads 50] [--seconds 10]
    .venv/bin/python bench/center_tickets.py --database-url postgres://.../clientdesk_bench_centers

SQLite runs on a temporary file database (deleted afterwards). PostgreSQL needs a database of
its own: only clientdesk_bench_centers is accepted (never test or postgres); it is created if
missing. Each thread loops on `ticket_issue` for one center and one service until time is up.
Printed: tickets per second, SQLite "locked" retries, duplicate numbers and gaps (both must be 0).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_NAME = "clientdesk_bench_centers"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default="", help=f"postgres://.../{PG_NAME}")
    return parser.parse_args()


def _ensure_pg_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    url = url.replace("postgres://", "postgresql://", 1)
    try:
        psycopg.connect(url).close()
    except psycopg.OperationalError:
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_NAME)))


def setup_django(args: argparse.Namespace, tmp: Path) -> None:
    if args.database_url:
        name = args.database_url.rsplit("/", 1)[-1].split("?")[0]
        if name != PG_NAME:
            sys.exit(f"Use the bench's own database: .../{PG_NAME} (got {name!r}).")
        _ensure_pg_database(args.database_url)
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


def run(args: argparse.Namespace) -> None:
    from django.db import OperationalError, connection

    from clientdesk.centers import services
    from clientdesk.centers.models import ServiceCenter, ServiceGroup, Ticket
    from clientdesk.service.models import Service, Unit

    unit, _ = Unit.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    service, _ = Service.objects.get_or_create(
        code="bench-visit", defaults={"name": "Bench", "unit": unit, "channels": ["visit"]}
    )
    code = f"bench-{int(time.time())}"  # a fresh center per run: PG keeps earlier runs
    center = ServiceCenter.objects.create(code=code, name=code, week={})
    ServiceGroup.objects.create(center=center, service=service, letter="A")
    connection.close()

    stop = time.monotonic() + args.seconds
    issued = Counter[str]()
    retries = Counter[str]()
    errors: list[str] = []
    barrier = threading.Barrier(args.threads)

    def kiosk() -> None:
        name = threading.current_thread().name
        try:
            barrier.wait()
            while time.monotonic() < stop:
                try:
                    services.ticket_issue(center=center, service=service)
                    issued[name] += 1
                except OperationalError as exc:
                    # SQLite's busy_timeout ran out under this many writers: try again.
                    if "locked" not in str(exc):
                        raise
                    retries[name] += 1
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=kiosk, name=f"k{i}") for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    numbers = list(Ticket.objects.filter(center=center).values_list("number", flat=True))
    counts = Counter(numbers)
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    top = max(numbers, default=0)
    gaps = top - len(counts)
    print(f"database      {connection.vendor}")
    print(f"threads       {args.threads}")
    print(f"tickets       {len(numbers)} (threads counted {sum(issued.values())})")
    print(f"tickets/s     {len(numbers) / elapsed:.1f}")
    print(f"locked retries {sum(retries.values())}")
    print(f"duplicates    {duplicates}")
    print(f"gaps          {gaps}")
    print(f"errors        {len(errors)}{': ' + errors[0] if errors else ''}")


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-centers-") as tmp:
        setup_django(args, Path(tmp))
        run(args)


if __name__ == "__main__":
    main()
