"""Many kiosks issuing tickets at once: throughput, duplicates and gaps.

    .venv/bin/python bench/center_tickets.py [--threads 50] [--seconds 10]
    .venv/bin/python bench/center_tickets.py --database-url postgres://.../clientdesk_bench_centers

SQLite runs on a temporary file database (deleted afterwards). PostgreSQL needs a database of
its own: only clientdesk_bench_centers is accepted (never test or postgres); it is created if
missing. Each thread loops on `ticket_issue` for one center and one service until time is up.
Meanwhile `--boards` display boards poll the board's htmx partial (the URL the board page polls
every second) through the test client, one request per `--poll` seconds each.
Printed: tickets per second, SQLite "locked" retries, duplicate numbers and gaps (both must be
0), audit rows (one per ticket), and p50/p95 latency of the board partial under that load.
`--profile` also prints a cProfile of one thread issuing tickets alone, and the queries of one.
`--ab N` runs N rounds of two runs each, alternating the audit row's columns built by
`core.audit.columns_for_raw_insert` (the code) and built inline as before that helper existed,
and prints both rates per round and their medians: a comparison under the same load, since the
machine is shared. The load average is printed with each figure.
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_NAME = "clientdesk_bench_centers"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default="", help=f"postgres://.../{PG_NAME}")
    parser.add_argument("--boards", type=int, default=2, help="display boards polling")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between polls")
    parser.add_argument("--profile", action="store_true", help="profile one ticket first")
    parser.add_argument("--ab", type=int, default=0, help="rounds of helper vs inline audit")
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


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def profile_one(center: Any, service: Any) -> None:
    """Queries of one ticket, then where the Python time of 500 tickets goes."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clientdesk.centers import services

    services.ticket_issue(center=center, service=service)  # warm caches
    with CaptureQueriesContext(connection) as ctx:
        services.ticket_issue(center=center, service=service)
    print(f"queries per ticket {len(ctx.captured_queries)}")
    for query in ctx.captured_queries:
        print("   ", query["sql"][:110])
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(500):
        services.ticket_issue(center=center, service=service)
    profiler.disable()
    print(f"one thread    {(time.perf_counter() - started) / 500 * 1000:.2f} ms per ticket")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


def check_audit(center: Any) -> tuple[int, int]:
    """Audit rows of the run's tickets, and how many do not name their ticket exactly."""
    from django.contrib.contenttypes.models import ContentType

    from clientdesk.centers.models import Ticket
    from clientdesk.core.models import AuditEvent

    codes = {
        str(pk): f"{letter}-{number:03d}"
        for pk, letter, number in Ticket.objects.filter(center=center).values_list(
            "pk", "letter", "number"
        )
    }
    ticket_type = ContentType.objects.get_for_model(Ticket)
    rows = AuditEvent.objects.filter(
        action="centers.ticket_issued", changes__center=center.pk
    ).values_list("target_type_id", "target_id", "target_repr")
    wrong = sum(
        1 for type_id, pk, code in rows if type_id != ticket_type.pk or codes.get(pk) != code
    )
    return len(rows), wrong


def poll_board(
    url: str,
    stop: float,
    pause: float,
    barrier: threading.Barrier,
    latencies: list[float],
    errors: list[str],
) -> None:
    """A display board: requests the htmx partial it polls, records milliseconds per answer."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    try:
        barrier.wait()
        while time.monotonic() < stop:
            began = time.perf_counter()
            response = client.get(url, HTTP_HX_REQUEST="true", secure=True)
            latencies.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"board answered {response.status_code}")
            time.sleep(pause)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()


def run(args: argparse.Namespace) -> float:
    from django.db import OperationalError, connection
    from django.urls import reverse

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
    if args.profile:
        profile_center = ServiceCenter.objects.create(code=code + "-p", name=code, week={})
        ServiceGroup.objects.create(center=profile_center, service=service, letter="A")
        profile_one(profile_center, service)
    board_url = reverse("centers:board", args=[center.code])
    connection.close()

    stop = time.monotonic() + args.seconds
    issued = Counter[str]()
    retries = Counter[str]()
    errors: list[str] = []
    board_ms: list[float] = []
    barrier = threading.Barrier(args.threads + args.boards)

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
    threads += [
        threading.Thread(
            target=poll_board,
            args=(board_url, stop, args.poll, barrier, board_ms, errors),
            name=f"b{i}",
        )
        for i in range(args.boards)
    ]
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
    audited, wrong = check_audit(center)
    print(f"database      {connection.vendor}")
    print(f"threads       {args.threads}")
    print(f"tickets       {len(numbers)} (threads counted {sum(issued.values())})")
    print(f"tickets/s     {len(numbers) / elapsed:.1f}")
    print(f"locked retries {sum(retries.values())}")
    print(f"duplicates    {duplicates}")
    print(f"gaps          {gaps}")
    print(f"audit rows    {audited} ({wrong} not matching their ticket)")
    print(
        f"board partial {len(board_ms)} polls, p50 {_percentile(board_ms, 0.5):.1f} ms, "
        f"p95 {_percentile(board_ms, 0.95):.1f} ms"
    )
    print(f"errors        {len(errors)}{': ' + errors[0] if errors else ''}")
    print(f"load average  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return len(numbers) / elapsed


def _inline_audit_columns(
    *,
    actor: Any,
    action: str,
    target_model: Any,
    changes: Any,
    filled_by_sql: tuple[str, ...] = ("target_id", "target_repr"),
) -> tuple[list[str], list[Any]]:
    """The audit row's columns as `_issue_in_one_statement` built them before the helper."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from clientdesk.core import audit
    from clientdesk.core.models import AuditEvent

    event = AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target_model, for_concrete_model=False),
        changes=changes,
        ip_address=audit.current_ip.get(),
    )
    fields = [
        f
        for f in AuditEvent._meta.concrete_fields
        if not f.primary_key and f.attname not in filled_by_sql
    ]
    names = [connection.ops.quote_name(str(f.column)) for f in fields]
    return names, [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]


def compare(args: argparse.Namespace) -> None:
    from statistics import median

    from clientdesk.core import audit

    helper = audit.columns_for_raw_insert
    rates: dict[str, list[float]] = {"helper": [], "inline": []}
    for n in range(args.ab):
        for variant in ("helper", "inline") if n % 2 == 0 else ("inline", "helper"):
            chosen = helper if variant == "helper" else _inline_audit_columns
            audit.columns_for_raw_insert = chosen  # type: ignore[assignment]
            print(f"--- round {n + 1}: audit columns {variant}")
            rates[variant].append(run(args))
            time.sleep(1.1)  # a fresh center code per run
    audit.columns_for_raw_insert = helper
    for variant, values in rates.items():
        print(
            f"{variant:7s} tickets/s median {median(values):.1f} "
            f"(runs {', '.join(f'{v:.0f}' for v in values)})"
        )


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-centers-") as tmp:
        setup_django(args, Path(tmp))
        if args.ab:
            compare(args)
        else:
            run(args)


if __name__ == "__main__":
    main()
