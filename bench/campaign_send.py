"""Rendering and sending a campaign to N contacts through a real local SMTP server, with a crash
in the middle and a resume that must send nothing twice.

    .venv/bin/python bench/campaign_send.py [--size 100000] [--kill-at 0.3] [--rate 0]

Steps, each timed and printed:
1. a temporary SQLite database (deleted afterwards) with `size` contacts in size/5 companies,
   each with a marketing consent, Russian names of both genders, industries and case studies;
2. the campaign: master, variants, drift check, approval, audience build;
3. rendering alone (personalised e-mail, HTML and text) for up to 20,000 recipients;
4. an aiosmtpd server on 127.0.0.1 in a thread of this process, counting messages by
   Message-ID; a worker subprocess sends the campaign and is killed with SIGKILL once the
   server has received `kill_at` of the messages;
5. a second worker resumes (stale rows are recovered at once: the bench knows the first worker
   is dead; in production the stale timeout is 10 minutes), and sends the rest.
Printed: messages per second of the resumed run, peak RSS of each worker, and duplicates
received by the SMTP server (Message-IDs seen twice), which must be 0, plus the rows left
"unknown" by the crash and whether the server had in fact received them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST = [
    ("Иван", "m"),
    ("Пётр", "m"),
    ("Алексей", "m"),
    ("Сергей", "m"),
    ("Дмитрий", "m"),
    ("Анна", "f"),
    ("Мария", "f"),
    ("Елена", "f"),
    ("Ольга", "f"),
    ("Наталья", "f"),
]
PATRONYMIC = {
    "m": ["Иванович", "Петрович", "Сергеевич"],
    "f": ["Ивановна", "Петровна", "Сергеевна"],
}
LAST = {"m": ["Иванов", "Смирнов", "Кузнецов", "Попов"], "f": ["Иванова", "Смирнова", "Кузнецова"]}
POSITIONS = [
    "Генеральный директор",
    "Финансовый директор",
    "Главный бухгалтер",
    "Директор по закупкам",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="contacts (default 100,000)")
    parser.add_argument("--kill-at", type=float, default=0.3, help="share sent before SIGKILL")
    parser.add_argument("--rate", type=float, default=0, help="messages/s limit, 0 = none")
    parser.add_argument("--workers", type=int, default=4, help="parallel senders in run 2")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stale-after", type=float, default=600, help=argparse.SUPPRESS)
    return parser.parse_args()


def setup_env(db: Path, port: int) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "clientdesk.config.settings",
            "DATABASE_URL": f"sqlite:///{db}",
            "CLIENTDESK_VAR_DIR": str(db.parent),
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x9" * 30,
            "ALLOWED_HOSTS": "localhost",
            "TASKS_BACKEND": "sync",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
        }
    )
    import django

    django.setup()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- worker -----------------------------------------------------------------------------------
def worker(args: argparse.Namespace) -> None:
    import datetime as dt

    from django.db import connection

    from clientdesk.campaigns import sending

    # WAL with synchronous=NORMAL: a commit costs no fsync (the usual SQLite production setup;
    # PostgreSQL would group commits instead). Two commits per message otherwise dominate.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    report = sending.send_campaign(
        campaign_id=args.campaign,
        batch_size=200,
        rate=args.rate,
        stale_after=dt.timedelta(seconds=args.stale_after),
    )
    seconds = time.perf_counter() - started
    print(json.dumps({**report.__dict__, "seconds": seconds, "rss_mb": peak_rss_mb()}))


# --- data -------------------------------------------------------------------------------------
def build(size: int) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from clientdesk.accounts.models import User
    from clientdesk.campaigns import services
    from clientdesk.clients.models import Company, Consent, Contact, Industry
    from clientdesk.core.roles import Role

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
    rng = random.Random(1)
    managers = [
        User.objects.create(
            username=f"kam{i}",
            kind="staff",
            role=Role.ACCOUNT_MANAGER,
            first_name="Ольга",
            last_name=f"Менеджерова{i}",
            email=f"kam{i}@example.com",
            phone="+7 495 000-00-00",
        )
        for i in range(20)
    ]
    approver = User.objects.create(username="boss", kind="staff", role=Role.SUPERVISOR)
    industries = [
        Industry.objects.create(code=f"{10 + i}.1", section="CGJFH"[i], name=f"Отрасль {i}")
        for i in range(5)
    ]
    n_companies = max(1, size // 5)
    Company.objects.bulk_create(
        [
            Company(
                legal_name=f'ООО "Клиент {i}"',
                short_name=f"Клиент {i}",
                inn="",
                industry=industries[i % 5],
                account_manager=managers[i % 20],
                search_name=f"клиент {i}",
            )
            for i in range(n_companies)
        ],
        batch_size=5000,
    )
    company_ids = list(Company.objects.values_list("id", flat=True))
    contacts = []
    for i in range(size):
        first, gender = rng.choice(FIRST)
        contacts.append(
            Contact(
                company_id=company_ids[i % n_companies],
                first_name=first,
                gender="",
                patronymic=rng.choice(PATRONYMIC[gender]),
                last_name=rng.choice(LAST[gender]),
                position=rng.choice(POSITIONS),
                email=f"c{i}@bench.example",
            )
        )
    Contact.objects.bulk_create(contacts, batch_size=5000)
    now = timezone.now()
    Consent.objects.bulk_create(
        [
            Consent(contact_id=pk, purpose="marketing", channel="", given_at=now, source="import")
            for pk in Contact.objects.values_list("id", flat=True)
        ],
        batch_size=5000,
    )
    cases = [
        services.case_study_save(
            data=services.CaseStudyInput(
                title_ru=f"Кейс {s}", body_ru=f"Экономия {10 + i} % за год", sections=s
            ),
            by=None,
        )
        for i, s in enumerate("CGJ")
    ]
    campaign = services.campaign_create(
        data=services.CampaignInput(
            name="Бенчмарк",
            content={
                "ru": {
                    "subject": "Сервисный контракт на особых условиях",
                    "key_points": [
                        "Выезд инженера в день обращения",
                        "Один договор на все филиалы",
                    ],
                    "conditions": "Для действующих клиентов.",
                    "cta": "Запишитесь на встречу",
                }
            },
            facts=[
                {"name": "Скидка", "value": "12", "unit": "%"},
                {"name": "Стоимость в месяц", "value": "185000", "unit": "RUB"},
                {"name": "Действует до", "value": "2027-03-31", "unit": "date"},
            ],
            channels=["email"],
            cta_url="https://example.com/offer",
            case_study_ids=[c.pk for c in cases],
        ),
        by=None,
    )
    started = time.perf_counter()
    counts = services.audience_build(campaign=campaign, by=None)
    print(f"audience build: {counts} in {time.perf_counter() - started:.1f} s")
    services.campaign_approve(campaign=campaign, by=approver)
    from clientdesk.campaigns.models import Campaign

    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled", send_at=now)
    return campaign.pk


def render_only(campaign_id: int, limit: int = 20_000) -> None:
    from clientdesk.campaigns import rendering
    from clientdesk.campaigns.models import Campaign, CampaignRecipient
    from clientdesk.campaigns.sending import SendContext, render_for

    campaign = Campaign.objects.get(pk=campaign_id)
    ctx = SendContext.load(campaign)
    rows = list(
        CampaignRecipient.objects.filter(campaign=campaign, state="pending")
        .select_related("contact", "company__industry", "company__account_manager")
        .order_by("id")[:limit]
    )
    ctx.figures = rendering.client_figures({r.company_id for r in rows})
    started = time.perf_counter()
    size = 0
    for r in rows:
        size += len(render_for(r, ctx).html)
    seconds = time.perf_counter() - started
    print(
        f"render only: {len(rows)} personalised e-mails in {seconds:.1f} s = "
        f"{len(rows) / seconds:,.0f}/s (average HTML {size // max(1, len(rows))} bytes)"
    )


# --- SMTP -------------------------------------------------------------------------------------
class Counting:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for line in envelope.content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.ids[line.split(b":", 1)[1].strip().decode()] += 1
                break
        return "250 OK"

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.ids.values())


def run_worker(
    script: Path, campaign: int, stale_after: float, rate: float
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), "--worker", "--campaign", str(campaign),
         "--stale-after", str(stale_after), "--rate", str(rate)],
        stdout=subprocess.PIPE, text=True, env=os.environ.copy(),
    )  # fmt: skip


def main() -> None:
    args = parse_args()
    if args.worker:
        import django

        django.setup()
        worker(args)
        return
    from aiosmtpd.controller import Controller

    from clientdesk.campaigns.tests.smtp import free_port

    handler = Counting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory(prefix="campaign-bench-") as tmp:
        setup_env(Path(tmp) / "bench.sqlite3", port)
        started = time.perf_counter()
        campaign_id = build(args.size)
        print(f"data: {args.size:,} contacts generated in {time.perf_counter() - started:.1f} s")
        render_only(campaign_id)

        script = Path(__file__).resolve()
        kill_at = int(args.size * args.kill_at) + 37  # mid-batch, mid-conversation
        first = run_worker(script, campaign_id, 600, args.rate)
        t0 = time.perf_counter()
        while handler.total < kill_at and first.poll() is None:
            time.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        first.wait()
        crashed_at = handler.total
        first_seconds = time.perf_counter() - t0
        print(
            f"run 1: killed (SIGKILL) after {crashed_at:,} messages received by the SMTP server "
            f"in {first_seconds:.1f} s = {crashed_at / first_seconds:,.0f}/s"
        )
        # The first resumer recovers the dead worker's rows; the others join it at once.
        t1 = time.perf_counter()
        resumers = [run_worker(script, campaign_id, 0, args.rate)]
        time.sleep(0.5)
        resumers += [
            run_worker(script, campaign_id, 600, args.rate) for _ in range(args.workers - 1)
        ]
        reports = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in resumers]
        wall = time.perf_counter() - t1
        sent = sum(r["sent"] for r in reports)
        print(
            f"run 2 (resume, {args.workers} worker processes): {sent:,} sent in {wall:.1f} s = "
            f"{sent / wall:,.0f}/s ({sent / wall / args.workers:,.0f}/s per worker); released "
            f"{reports[0]['released']} claimed rows, {reports[0]['unknown']} row(s) left "
            f"'unknown'; peak RSS per worker {max(r['rss_mb'] for r in reports):.0f} MB"
        )
        from clientdesk.campaigns.models import CampaignRecipient

        states = Counter(CampaignRecipient.objects.values_list("state", flat=True).order_by())
        unknown_ids = [
            f"<{t}@campaigns.clientdesk.local>"
            for t in CampaignRecipient.objects.filter(state="unknown").values_list(
                "token", flat=True
            )
        ]
        duplicates = {k: v for k, v in handler.ids.items() if v > 1}
        received = sum(handler.ids.values())
        print(f"recipient states: {dict(states)}")
        print(
            f"SMTP server: {received:,} messages, {len(handler.ids):,} distinct Message-IDs, "
            f"duplicates: {len(duplicates)}"
        )
        got = sum(1 for u in unknown_ids if u in handler.ids)
        print(
            f"rows left 'unknown' by the crash: {len(unknown_ids)}, of which the server had "
            f"received {got} (delivered once) and {len(unknown_ids) - got} never (not delivered); "
            "none was sent twice"
        )
        missing = args.size - received
        print(f"contacts who got nothing: {missing}")
        from django.db import connections

        connections.close_all()
    controller.stop()


if __name__ == "__main__":
    main()
