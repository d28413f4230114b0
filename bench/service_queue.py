"""Queue page, request page and API creation rate of the service domain at a million requests,
and the same queue and ticket page in django-helpdesk on the same data, for a ratio.

    .venv/bin/python bench/service_queue.py [--size 1000000] [--companies 100000]
    .venv/bin/python bench/service_queue.py --database-url postgres://postgres@127.0.0.1:5432/clientdesk_bench_service
    .venv/bin/python bench/service_queue.py --size 20000 --companies 2000 --skip-helpdesk  # smoke

Builds once (cached in var/bench/service_<size>.sqlite3, or in the PostgreSQL database named,
which must not be `test` or `postgres`; it is created with `createdb` when missing) a service
desk of `companies` companies with one contact each and three timeline entries, 200 agents in
8 units, 12 services, and `size` requests (about 3% open, spread over the agents, each with a
client message). Then, through the real views and the Django test client, in-process:

* queue page: an agent's "my queue" (about 150 open requests, first page of 50), a team queue,
  the supervisor's view of every queue;
* request page: random requests with their thread and client context;
* API: requests opened per second through POST /api/v1/requests/ (SLA, routing, repeat check,
  timeline and audit included), one client, sequential.

django-helpdesk comparison (skipped with --skip-helpdesk): a virtual environment of its own
(var/bench-helpdesk-venv, `pip install django-helpdesk` there — never a dependency of the
product), a throw-away Django project in a temporary directory with the same row counts
(queues = units, tickets = requests with the same open share and owners, one follow-up per
ticket), and the same two measurements: the ticket list filtered to one owner's open tickets
(helpdesk's queue view) and the ticket page. SQLite only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DIR = ROOT / "var" / "bench"
HELPDESK_VENV = ROOT / "var" / "bench-helpdesk-venv"
AGENTS = 200
UNITS = 8
OPEN_SHARE = 0.03
SEED = 7
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="requests (default 1M)")
    parser.add_argument("--companies", type=int, default=0, help="default: size / 10")
    parser.add_argument("--samples", type=int, default=60, help="measurements per page kind")
    parser.add_argument("--creates", type=int, default=300, help="requests opened by the API")
    parser.add_argument("--database-url", default="", help="postgres://... (default SQLite)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data")
    parser.add_argument("--skip-helpdesk", action="store_true")
    args = parser.parse_args()
    args.companies = args.companies or max(1, args.size // 10)
    return args


def setup_django(args: argparse.Namespace) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{BENCH_DIR / f'service_{args.size}.sqlite3'}"
    name = url.rsplit("/", 1)[-1].split("?")[0]
    if url.startswith("postgres"):
        if name in {"test", "postgres", "template0", "template1", ""} or name.startswith("test"):
            sys.exit("Use a database of its own for the bench, e.g. clientdesk_bench_service.")
        _ensure_pg_database(url, name)
    os.environ["DATABASE_URL"] = url
    os.environ["CLIENTDESK_VAR_DIR"] = str(BENCH_DIR)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x9" * 30)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ["TASKS_BACKEND"] = "sync"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["DJANGO_SETTINGS_MODULE"] = "clientdesk.config.settings"
    import django
    from django.conf import settings

    django.setup()
    # Only the apps these pages need (the menu skips entries of apps not routed), plus the
    # service API, which the project mounts under /api/v1/.
    settings.ROOT_URLCONF = "service_queue_urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False


def _ensure_pg_database(url: str, name: str) -> None:
    import psycopg

    try:
        psycopg.connect(url.replace("postgres://", "postgresql://", 1)).close()
    except psycopg.OperationalError:
        from urllib.parse import urlparse

        parts = urlparse(url)
        cmd = ["createdb", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
        if parts.username:
            cmd += ["-U", parts.username]
        env = {**os.environ, "PGPASSWORD": parts.password or ""}
        subprocess.run([*cmd, name], check=True, env=env)


# --- data ------------------------------------------------------------------------------------
def _batches(
    rows: Iterator[tuple[Any, ...]], size: int = 20_000
) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    from django.db import connection, transaction

    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    total = 0
    if connection.vendor == "postgresql":
        # COPY: executemany on PostgreSQL is two orders of magnitude slower at this volume.
        for batch in _batches(rows, 100_000):
            with transaction.atomic(), connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(
                    f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
                ) as copy:
                    for row in batch:
                        copy.write_row(row)
            total += len(batch)
        return total
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})"
    for batch in _batches(rows):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        total += len(batch)
    return total


def data_ready(args: argparse.Namespace) -> bool:
    from clientdesk.service.models import ServiceRequest

    try:
        return ServiceRequest.objects.filter(source="bench").count() >= args.size
    except Exception:
        return False


def build(args: argparse.Namespace) -> dict[str, Any]:  # noqa: C901 - one linear loading script
    from django.core.management import call_command
    from django.db import connection

    from clientdesk.accounts.models import User
    from clientdesk.clients.models import Company, Contact, Interaction
    from clientdesk.core.roles import Role
    from clientdesk.service.models import (
        Agent,
        RequestMessage,
        Service,
        ServiceRequest,
        Skill,
        Unit,
    )

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    rng = random.Random(SEED)
    if not Unit.objects.filter(code="bench0").exists():
        units = [
            Unit.objects.create(code=f"bench{i}", name=f"Отдел {i}", name_en=f"Unit {i}")
            for i in range(UNITS)
        ]
        skills = [Skill.objects.create(code=f"bskill{i}", name=f"Навык {i}") for i in range(4)]
        for i in range(12):
            service = Service.objects.create(
                code=f"bench_svc{i}",
                name=f"Услуга {i}",
                name_en=f"Service {i}",
                channels=["visit", "phone", "email", "portal"],
                documents_required="Паспорт\nДоверенность",
                unit=units[i % UNITS],
            )
            service.skills.set([skills[i % 4]])
        User.objects.bulk_create(
            [
                User(
                    username=f"agent{i}",
                    first_name="Агент",
                    last_name=f"Номер{i}",
                    kind="staff",
                    role=Role.CALL_OPERATOR if i else Role.SUPERVISOR,
                    email=f"agent{i}@bench.local",
                    password="!",  # noqa: S106 - unusable on purpose
                )
                for i in range(AGENTS)
            ]
        )
        for i, user in enumerate(User.objects.filter(username__startswith="agent").order_by("id")):
            agent = Agent.objects.create(user=user, capacity=10_000)
            agent.units.set([units[i % UNITS]])
            agent.skills.set(skills)
    if not Company.objects.filter(external_id="bench-0").exists():
        Company.objects.bulk_create(
            (
                Company(
                    legal_name=f'ООО "Клиент {i}"',
                    short_name=f"Клиент {i}",
                    inn="",
                    external_id=f"bench-{i}",
                    status="active",
                    search_name=f"ооо клиент {i}",
                )
                for i in range(args.companies)
            ),
            batch_size=5000,
        )
        company_ids = list(
            Company.objects.filter(external_id__startswith="bench-").values_list("id", flat=True)
        )
        Contact.objects.bulk_create(
            (
                Contact(
                    company_id=cid,
                    last_name="Иванов",
                    first_name="Иван",
                    email=f"client{cid}@bench.ru",
                    search_name="иванов иван",
                )
                for cid in company_ids
            ),
            batch_size=5000,
        )
        staff_ids = list(
            User.objects.filter(username__startswith="agent").values_list("id", flat=True)
        )

        def interactions() -> Iterator[tuple[Any, ...]]:
            adapt = connection.ops.adapt_datetimefield_value
            for cid in company_ids:
                for k in range(3):
                    when = adapt(NOW - timedelta(days=rng.randint(1, 400), minutes=k))
                    yield (
                        cid,
                        "phone",
                        "in",
                        when,
                        rng.choice(staff_ids),
                        f"Звонок {k}",
                        "",
                        "",
                        "",
                        "",
                        when,
                    )

        _insert(
            Interaction._meta.db_table,
            ["company_id", "channel", "direction", "occurred_at", "staff_id", "subject", "summary",
             "outcome", "next_step", "source", "created_at"],
            interactions(),
        )  # fmt: skip
    if data_ready(args):
        return {}
    company_ids = list(
        Company.objects.filter(external_id__startswith="bench-").values_list("id", flat=True)
    )
    contact_of = dict(
        Contact.objects.filter(company_id__in=company_ids).values_list("company_id", "id")
    )
    agents = list(Agent.objects.prefetch_related("units").order_by("id"))
    agent_unit = [(a.user_id, a.units.all()[0].pk) for a in agents]
    services = list(
        Service.objects.filter(code__startswith="bench_svc").values_list("id", "unit_id")
    )
    # Ids are given explicitly: messages refer to them, and the numbers carry them.
    columns = [str(f.column) for f in ServiceRequest._meta.concrete_fields]
    adapt = connection.ops.adapt_datetimefield_value
    start_id = (
        ServiceRequest.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ) + 1

    def requests() -> Iterator[tuple[Any, ...]]:
        for n in range(args.size):
            pk = start_id + n
            cid = company_ids[rng.randrange(len(company_ids))]
            service_id = services[rng.randrange(len(services))][0]
            is_open = rng.random() < OPEN_SHARE
            user_id, team_id = agent_unit[rng.randrange(len(agent_unit))]
            created = NOW - timedelta(minutes=rng.randint(0, 730 * 24 * 60))
            due = created + timedelta(hours=rng.randint(4, 72))
            status = rng.choice(["new", "in_progress", "waiting"]) if is_open else "closed"
            row = {
                "id": pk,
                "number": f"R-{created.year}-{pk:07d}",
                "company_id": cid,
                "contact_id": contact_of.get(cid),
                "reply_to_email": "",
                "service_id": service_id,
                "channel": rng.choice(["visit", "phone", "email", "portal"]),
                "source": "bench",
                "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
                "status": status,
                "is_open": is_open,
                "subject": f"Обращение {pk}",
                "topic": "",
                "assignee_id": user_id if (is_open or rng.random() < 0.9) else None,
                "team_id": team_id,
                "created_by_id": None,
                "created_at": adapt(created),
                "updated_at": adapt(created),
                "first_response_at": None if is_open else adapt(created + timedelta(hours=1)),
                "resolved_at": None if is_open else adapt(created + timedelta(hours=20)),
                "closed_at": None if is_open else adapt(created + timedelta(days=3)),
                "sla_policy_id": None,
                "sla_first_response_minutes": 240,
                "sla_resolution_minutes": 1620,
                "first_response_due": adapt(created + timedelta(hours=4)),
                "resolution_due": adapt(due),
                "response_warn_at": adapt(created + timedelta(hours=3)),
                "resolution_warn_at": adapt(due - timedelta(hours=3)),
                "sla_paused_since": adapt(NOW) if status == "waiting" else None,
                "sla_paused_minutes": 0,
                "first_response_breached": False,
                "resolution_breached": (not is_open) and rng.random() < 0.1,
                "first_contact_resolution": (not is_open) and rng.random() < 0.3,
                "repeat_of_id": None,
                "is_repeat_visit": False,
                "avoidable_reason_id": None,
            }
            yield tuple(row[c] for c in columns)

    n = _insert(ServiceRequest._meta.db_table, columns, requests())
    last_id = start_id + n

    def messages() -> Iterator[tuple[Any, ...]]:
        when = adapt(NOW - timedelta(days=1))
        for pk in range(start_id, last_id):
            yield (
                pk,
                "client",
                None,
                None,
                "",
                "email",
                f"<p>Текст обращения {pk}</p>",
                f"<{pk}@bench>",
                "",
                when,
            )

    _insert(
        RequestMessage._meta.db_table,
        ["request_id", "kind", "author_id", "author_contact_id", "from_email", "channel",
         "body_html", "email_message_id", "email_in_reply_to", "created_at"],
        messages(),
    )  # fmt: skip
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [ServiceRequest, RequestMessage]
            ):
                cursor.execute(sql)
            # What autovacuum does soon after a load: statistics, and the visibility map that
            # index-only scans need.
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            # Fold the load's write-ahead log into the database now, not in the first commits
            # that are measured.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"built_seconds": round(time.perf_counter() - started, 1)}


# --- measuring -------------------------------------------------------------------------------
def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(fn: Callable[[], Any], count: int, warmup: int = 3) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from django.db.models import Count
    from django.test import Client
    from rest_framework.test import APIClient

    from clientdesk.accounts.models import User
    from clientdesk.clients.models import Company
    from clientdesk.service.models import Service, ServiceRequest, Unit

    rng = random.Random(SEED + 1)
    supervisor = User.objects.get(username="agent0")
    busy = list(
        ServiceRequest.objects.filter(is_open=True, source="bench")
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by("assignee_id")[:20]
    )
    clients = []
    for row in busy:
        client = Client()
        client.force_login(
            User.objects.get(pk=row["assignee_id"]),
            backend="django.contrib.auth.backends.ModelBackend",
        )
        clients.append(client)
    boss = Client()
    boss.force_login(supervisor, backend="django.contrib.auth.backends.ModelBackend")
    unit = Unit.objects.get(code="bench1")
    max_id = ServiceRequest.objects.order_by("-id").values_list("id", flat=True).first() or 1

    def check(response: Any) -> None:
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")

    results: dict[str, Any] = {
        "open_per_agent": round(sum(r["n"] for r in busy) / max(1, len(busy))),
    }
    results["my_queue"] = timed(lambda: check(rng.choice(clients).get("/service/")), args.samples)
    results["team_queue"] = timed(
        lambda: check(boss.get(f"/service/queues/{unit.pk}/")), args.samples
    )
    results["supervisor"] = timed(
        lambda: check(boss.get("/service/queues/")), max(10, args.samples // 3)
    )
    results["request_page"] = timed(
        lambda: check(boss.get(f"/service/requests/{rng.randint(1, max_id)}/")), args.samples
    )
    api = APIClient()
    api.force_authenticate(supervisor)
    company_ids = list(
        Company.objects.filter(external_id__startswith="bench-").values_list("id", flat=True)[:5000]
    )
    service_ids = list(
        Service.objects.filter(code__startswith="bench_svc").values_list("id", flat=True)
    )
    t0 = time.perf_counter()
    for i in range(args.creates):
        response = api.post(
            "/api/v1/requests/",
            {
                "company": rng.choice(company_ids),
                "service": rng.choice(service_ids),
                "subject": f"API {i}",
                "body": "текст",
            },
            format="json",
        )
        if response.status_code != 201:
            raise SystemExit(
                f"API create failed: {response.status_code} {response.content[:300]!r}"
            )
    results["api_creates_per_s"] = round(args.creates / (time.perf_counter() - t0), 1)
    # Leave the data as it was built, so that the next run measures the same thing.
    ServiceRequest.objects.filter(source="api", subject__startswith="API ").delete()
    return results


# --- django-helpdesk ---------------------------------------------------------------------------
HELPDESK_SETTINGS = """
SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "benchproj.urls"
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework",
    "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                          "django.contrib.auth.context_processors.auth",
                          "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_PATH,
             "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA cache_size=-65536;"}}}
USE_TZ = True
TIME_ZONE = "Europe/Moscow"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HELPDESK_TEAMS_MODE_ENABLED = False
LOGIN_URL = "/login/"
"""

HELPDESK_URLS = """
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

HELPDESK_RUNNER = r"""
import json, os, random, statistics, sys, time
from datetime import datetime, timedelta, timezone
sys.path.insert(0, os.path.dirname(__file__))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchproj.settings"
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
from django.contrib.auth import get_user_model
from django.test import Client
from helpdesk.models import Queue, Ticket, FollowUp

SIZE, COMPANIES, AGENTS, UNITS = (int(a) for a in sys.argv[1:5])
OPEN_SHARE, SAMPLES = float(sys.argv[5]), int(sys.argv[6])
User = get_user_model()
rng = random.Random(7)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

def insert(table, columns, rows, size=20000):
    marks = ", ".join(["%s"] * len(columns))
    sql = "INSERT INTO %s (%s) VALUES (%s)" % (table, ", ".join(columns), marks)
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            with transaction.atomic(), connection.cursor() as c:
                c.executemany(sql, batch)
            batch = []
    if batch:
        with transaction.atomic(), connection.cursor() as c:
            c.executemany(sql, batch)

call_command("migrate", verbosity=0)
built = 0.0
if Ticket.objects.count() < SIZE:
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("PRAGMA synchronous=OFF")
    queues = [
        Queue.objects.create(title="Unit %d" % i, slug="unit%d" % i, email_address="u%d@x.ru" % i)
        for i in range(UNITS)
    ]
    for i in range(AGENTS):  # one by one: a signal gives each its helpdesk settings row
        User.objects.create(
            username="agent%d" % i, is_staff=True, is_superuser=(i == 0), password="!"
        )
    agent_qs = User.objects.filter(username__startswith="agent").order_by("id")
    agents = list(agent_qs.values_list("id", flat=True))
    adapt = connection.ops.adapt_datetimefield_value
    fields = [f for f in Ticket._meta.concrete_fields if f.column != "id"]
    def tickets():
        for n in range(SIZE):
            is_open = rng.random() < OPEN_SHARE
            created = NOW - timedelta(minutes=rng.randint(0, 730 * 24 * 60))
            row = {}
            for f in fields:
                if f.has_default():
                    v = f.get_default()
                elif f.null:
                    v = None
                else:
                    v = ""
                row[f.column] = v
            row.update({
                "title": "Обращение %d" % n, "queue_id": queues[rng.randrange(UNITS)].pk,
                "created": adapt(created), "modified": adapt(created),
                "submitter_email": "client%d@bench.ru" % rng.randrange(COMPANIES),
                "assigned_to_id": (
                    agents[rng.randrange(AGENTS)] if (is_open or rng.random() < 0.9) else None
                ),
                "status": rng.choice([1, 2]) if is_open else 4,
                "on_hold": False, "description": "<p>Текст обращения %d</p>" % n,
                "priority": rng.choice([1, 2, 3, 4, 5]),
                "due_date": adapt(created + timedelta(hours=rng.randint(4, 72))),
                "last_escalation": None, "secret_key": "%032x" % rng.getrandbits(128),
                "kbitem_id": None, "merged_to_id": None, "resolution": None if is_open else "done",
            })
            for k, v in list(row.items()):
                if isinstance(v, datetime):
                    row[k] = adapt(v)
            yield tuple(row[f.column] for f in fields)
    insert(Ticket._meta.db_table, [f.column for f in fields], tickets())
    ffields = [f for f in FollowUp._meta.concrete_fields if f.column != "id"]
    def followups():
        when = adapt(NOW - timedelta(days=1))
        for tid in range(1, SIZE + 1):
            row = {
                f.column: (f.get_default() if f.has_default() else None if f.null else "")
                for f in ffields
            }
            row.update({
                "ticket_id": tid, "date": when, "title": "Комментарий", "comment": "Текст %d" % tid,
                "public": True, "user_id": None, "new_status": None, "time_spent": None,
                "message_id": None,
            })
            for k, v in list(row.items()):
                if isinstance(v, datetime):
                    row[k] = adapt(v)
            yield tuple(row[f.column] for f in ffields)
    insert(FollowUp._meta.db_table, [f.column for f in ffields], followups())
    with connection.cursor() as c:
        c.execute("ANALYZE")
    built = time.perf_counter() - t0

def pct(samples):
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]

def timed(fn, count, warmup=3):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(count):
        t0 = time.perf_counter(); fn(); out.append((time.perf_counter() - t0) * 1000)
    return pct(out)

open_tickets = Ticket.objects.filter(status__in=[1, 2]).exclude(assigned_to=None)
busy = list(open_tickets.values_list("assigned_to_id", flat=True).distinct()[:20])
clients = []
for uid in busy:
    c = Client(); c.force_login(User.objects.get(pk=uid)); clients.append(c)
boss = Client(); boss.force_login(User.objects.get(username="agent0"))
max_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first()

def check(r):
    if r.status_code != 200:
        raise SystemExit("%s from %s" % (r.status_code, r.request["PATH_INFO"]))

from helpdesk.query import query_to_base64

def my_queue():
    # helpdesk's queue is its ticket list filtered to one owner's open tickets: the page, then
    # the data its table loads (first 50 rows by due date), as a browser would.
    c = rng.choice(clients)
    uid = int(c.session["_auth_user_id"])
    check(c.get("/tickets/?assigned_to=%d&status=1&status=2&sort=due_date" % uid))
    query = query_to_base64({"filtering": {"assigned_to__id__in": [uid], "status__in": [1, 2]},
                             "filtering_null": {}, "sorting": "due_date", "sortreverse": False,
                             "search_string": ""})
    check(c.get("/datatables_ticket_list/%s" % query, {"draw": 1, "start": 0, "length": 50}))

def ticket_page():
    check(boss.get("/tickets/%d/" % rng.randint(1, max_id)))

result = {"built_seconds": round(built, 1),
          "my_queue": timed(my_queue, SAMPLES), "request_page": timed(ticket_page, SAMPLES)}
print("RESULT " + json.dumps(result))
"""


def helpdesk(args: argparse.Namespace) -> dict[str, Any] | None:
    python = HELPDESK_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(HELPDESK_VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import helpdesk"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "django-helpdesk"], check=True)
    project = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    (project / "benchproj").mkdir()
    (project / "benchproj" / "__init__.py").write_text("")
    db_path = BENCH_DIR / f"helpdesk_{args.size}.sqlite3"
    (project / "benchproj" / "settings.py").write_text(
        f"DB_PATH = {str(db_path)!r}\n" + textwrap.dedent(HELPDESK_SETTINGS)
    )
    (project / "benchproj" / "urls.py").write_text(textwrap.dedent(HELPDESK_URLS))
    (project / "run.py").write_text(HELPDESK_RUNNER)
    out = subprocess.run(
        [str(python), str(project / "run.py"), str(args.size), str(args.companies), str(AGENTS),
         str(UNITS), str(OPEN_SHARE), str(args.samples)],
        capture_output=True,
        text=True,
        cwd=project,
    )  # fmt: skip
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            return result
    print("django-helpdesk run failed:\n" + out.stderr[-3000:], file=sys.stderr)
    return None


def main() -> None:
    args = parse_args()
    setup_django(args)
    from django.db import connection

    built = {}
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a cached database may predate the latest indexes
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if args.rebuild or not data_ready(args):
        print(f"Building {args.size:,} requests / {args.companies:,} companies ...", flush=True)
        built = build(args)
        print(f"  built in {built.get('built_seconds', 0)} s", flush=True)
    ours = measure(args)
    engine = connection.vendor
    print(f"\nclientdesk service, {engine}, {args.size:,} requests, {args.companies:,} companies")
    print(f"  open requests per agent (sampled): {ours['open_per_agent']}")
    for key, label in [
        ("my_queue", "my queue page"),
        ("team_queue", "team queue page"),
        ("supervisor", "supervisor view"),
        ("request_page", "request page"),
    ]:
        p50, p95 = ours[key]
        print(f"  {label:<18} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"  API: {ours['api_creates_per_s']} requests created per second (sequential)")
    if args.skip_helpdesk or engine != "sqlite":
        return
    print("\ndjango-helpdesk on the same row counts (own venv, SQLite) ...", flush=True)
    theirs = helpdesk(args)
    if theirs is None:
        return
    for key, label in [("my_queue", "queue (ticket list)"), ("request_page", "ticket page")]:
        p50, p95 = theirs[key]
        ratio = p95 / ours[key][1] if ours[key][1] else float("nan")
        print(
            f"  {label:<20} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
            f"   (helpdesk p95 / ours: {ratio:.1f}x)"
        )


if __name__ == "__main__":
    main()
