"""Search and list-page latency of the client registry at a million companies.

    .venv/bin/python bench/search_list.py [--size 1000000] [--queries 40]
    .venv/bin/python bench/search_list.py --database-url postgres://postgres@127.0.0.1:5432/clientdesk_bench

Builds (once; reused from var/bench/ on SQLite, or from the named PostgreSQL database) a registry
of `size` companies with three contact persons each (a phone and an e-mail apiece), then times:

* search: `search.search_companies` / `search_contacts` for names, word forms, one-letter typos,
  INN prefixes, phones typed as people type them and e-mails in capitals;
* list pages through the real views with the test client: first page, a filtered and re-sorted
  page, a page deep in the list (keyset cursor in the middle), live search (htmx) requests.

Targets: search p95 < 50 ms, list page p95 < 100 ms. Never point this at the `test` or
`postgres` databases: it drops and rebuilds the search indexes of the database it is given.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SYLLABLES = [
    "ка",
    "ро",
    "ми",
    "ла",
    "то",
    "ве",
    "ни",
    "ар",
    "ан",
    "ор",
    "ус",
    "ма",
    "ре",
    "ги",
    "да",
    "со",
    "ли",
    "ко",
    "ту",
    "ба",
    "ки",
    "ра",
    "по",
    "лю",
    "не",
    "зе",
    "ви",
    "ни",
    "ста",
    "гра",
    "тех",
    "про",
    "вер",
    "мир",
    "бел",
    "лен",
    "кр",
]
PARTS = [
    "Строй",
    "Техно",
    "Сервис",
    "Торг",
    "Пром",
    "Инвест",
    "Урал",
    "Сибирь",
    "Логистик",
    "Энерго",
    "Агро",
    "Транс",
    "Маш",
    "Хим",
    "Мед",
    "Софт",
    "Групп",
    "Холдинг",
    "Плюс",
    "Центр",
    "Альянс",
    "Капитал",
    "Трейд",
    "Снаб",
    "Монтаж",
    "Проект",
    "Систем",
    "Ресурс",
    "Регион",
    "Север",
]
FORMS = ["ООО", "ООО", "ООО", "ООО", "АО", "ПАО", "ИП", "НАО"]
SURNAMES = [
    "Иванов",
    "Петров",
    "Сидоров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
    "Ильин",
    "Максимов",
    "Поляков",
    "Сорокин",
    "Виноградов",
    "Ковалёв",
    "Белов",
    "Медведев",
    "Антонов",
    "Тарасов",
    "Жуков",
    "Баранов",
    "Филиппов",
]
FIRST = [
    "Александр",
    "Алексей",
    "Андрей",
    "Дмитрий",
    "Евгений",
    "Иван",
    "Максим",
    "Михаил",
    "Никита",
    "Сергей",
]
FIRST_F = [
    "Анна",
    "Елена",
    "Мария",
    "Наталья",
    "Ольга",
    "Светлана",
    "Татьяна",
    "Юлия",
    "Ирина",
    "Екатерина",
]
STATUSES = ["active"] * 5 + ["prospect"] * 3 + ["dormant", "lost"]
SIZES = ["micro", "small", "medium", "large", ""]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="companies (default 1M)")
    parser.add_argument("--contacts", type=int, default=3, help="contact persons per company")
    parser.add_argument("--queries", type=int, default=40, help="measurements per kind")
    parser.add_argument("--database-url", default="", help="postgres://... (default SQLite)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data")
    return parser.parse_args()


def setup_django(args: argparse.Namespace) -> None:
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{bench_dir / f'search_{args.size}.sqlite3'}"
    name = url.rsplit("/", 1)[-1]
    if url.startswith("postgres") and name in {"test", "postgres", ""}:
        sys.exit("Use a database of its own for the bench, e.g. clientdesk_bench.")
    os.environ["DATABASE_URL"] = url
    os.environ["CLIENTDESK_VAR_DIR"] = str(bench_dir)
    os.environ.setdefault("DEBUG", "true")
    os.environ["DJANGO_SETTINGS_MODULE"] = "clientdesk.config.settings"
    import django

    django.setup()


# --- Data ------------------------------------------------------------------------------------


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).capitalize()


def company_name(rng: random.Random) -> str:
    w, part = word(rng), rng.choice(PARTS)
    shape = rng.random()
    if shape < 0.35:
        core = f"{w}{part.lower()}"
    elif shape < 0.6:
        core = f"{part}{w.lower()}-{rng.choice(PARTS)}"
    elif shape < 0.8:
        core = f"{w} {part}"
    else:
        core = w
    return f'{rng.choice(FORMS)} "{core}"'


def inn_of(i: int) -> str:
    return str(1_000_000_000 + (i * 7919) % 9_000_000_000)


def phone_of(j: int) -> str:
    return f"+7916{(j * 7919) % 10_000_000:07d}"


def email_of(j: int) -> str:
    return f"person{j}@firm{j // 3}.ru"


def build(args: argparse.Namespace) -> None:  # noqa: C901 - one linear loading script
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from clientdesk.clients import search
    from clientdesk.clients.models import Company, Industry, Region, Tag
    from clientdesk.clients.validators import normalise_name

    try:
        call_command("migrate", verbosity=0)
    except Exception as exc:
        # The registry's own tables may still be fine; a fresh build will fail loudly below.
        print(f"note: migrate failed ({exc}); going on with the tables as they are")
    if not args.rebuild and Company.objects.order_by("-pk").values_list("pk", flat=True)[:1]:
        last = Company.objects.order_by("-pk").values_list("pk", flat=True)[0]
        if last >= args.size:
            print(f"Reusing the registry of {last:,} companies.")
            return
    started = time.perf_counter()
    user_model = get_user_model()
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for table in (
            "clients_contactpoint",
            "clients_contact",
            "clients_company_tags",
            "clients_company",
        ):
            cursor.execute(f"DELETE FROM {table}")
    # Indexes and triggers are rebuilt once at the end: maintaining them row by row is slower.
    search.drop_search_indexes()
    managers = [
        user_model.objects.get_or_create(
            username=f"bench_manager{n}",
            defaults={"kind": "staff", "role": "account_manager", "last_name": f"Менеджер{n}"},
        )[0]
        for n in range(20)
    ]
    regions = [
        Region.objects.get_or_create(code=f"{n:02d}", defaults={"name": f"Регион {n}"})[0]
        for n in range(1, 90)
    ]
    industries = [
        Industry.objects.get_or_create(
            code=f"{n}.01", defaults={"section": "ABCDEFGHJ"[n % 9], "name": f"Отрасль {n}"}
        )[0]
        for n in range(10, 40)
    ]
    tags = [Tag.objects.get_or_create(name=f"Тег {n}")[0] for n in range(10)]
    rng = random.Random(20261127)
    now = datetime.now(UTC)
    stamp = (
        (lambda d: d.strftime("%Y-%m-%d %H:%M:%S+00"))
        if pg
        else (lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f"))
    )
    company_cols = [
        "id",
        "legal_name",
        "short_name",
        "legal_form",
        "country",
        "inn",
        "kpp",
        "ogrn",
        "foreign_registration_number",
        "vat_number",
        "external_id",
        "size_band",
        "legal_address",
        "postal_address",
        "office_address",
        "website",
        "email",
        "phone",
        "status",
        "group_role",
        "search_name",
        "completeness",
        "created_at",
        "updated_at",
        "account_manager_id",
        "industry_id",
        "region_id",
    ]
    contact_cols = [
        "id",
        "company_id",
        "last_name",
        "first_name",
        "patronymic",
        "gender",
        "position",
        "department",
        "decision_role",
        "power_of_attorney_number",
        "email",
        "phone",
        "preferred_channel",
        "language",
        "left_company",
        "external_id",
        "search_name",
        "completeness",
        "created_at",
        "updated_at",
    ]
    point_cols = ["contact_id", "kind", "value", "label", "is_primary"]
    fixed = ['ООО "Ромашка"', "ТехноСервис-Урал", 'АО "Ромашка-Строй-Инвест"']

    def companies(start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        for i in range(start, stop):
            name = fixed[i - 1] if i <= len(fixed) else company_name(rng)
            updated = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 730))
            yield (
                i,
                name,
                "",
                name.split(" ", 1)[0] if name[:2] in {"ОО", "АО", "ПА", "ИП", "НА"} else "ООО",
                "RU",
                inn_of(i),
                "" if name.startswith("ИП") else "770101001",
                "",
                "",
                "",
                "",
                rng.choice(SIZES),
                "",
                "",
                "",
                "",
                "",
                "",
                rng.choice(STATUSES),
                "",
                normalise_name(name),
                rng.randrange(0, 101),
                stamp(updated),
                stamp(updated),
                rng.choice(managers).pk if rng.random() < 0.7 else None,
                rng.choice(industries).pk,
                rng.choice(regions).pk,
            )

    def contacts(start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        for j in range(start, stop):
            female = rng.random() < 0.5
            last = rng.choice(SURNAMES) + ("а" if female else "")
            first = rng.choice(FIRST_F if female else FIRST)
            patronymic = rng.choice(FIRST) + ("овна" if female else "ович")
            updated = stamp(now - timedelta(minutes=rng.randrange(0, 60 * 24 * 730)))
            yield (
                j,
                (j - 1) // args.contacts + 1,
                last,
                first,
                patronymic,
                "f" if female else "m",
                "Менеджер",
                "",
                "",
                "",
                email_of(j),
                phone_of(j),
                "",
                "ru",
                False,
                "",
                normalise_name(f"{last} {first} {patronymic}"),
                rng.randrange(0, 101),
                updated,
                updated,
            )

    def points(start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        for j in range(start, stop):
            yield (j, "phone", phone_of(j), "", True)
            yield (j, "email", email_of(j), "", True)

    def load(
        table: str, cols: list[str], rows: Callable[[int, int], Iterator[Any]], n: int
    ) -> None:
        batch = 50_000
        with connection.cursor() as cursor:
            for start in range(1, n + 1, batch):
                chunk = rows(start, min(start + batch, n + 1))
                if pg:
                    raw = cursor.cursor
                    with raw.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in chunk:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(cols))
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                        list(chunk),
                    )
                print(f"\r  {table}: {min(start + batch - 1, n):,} / {n:,}", end="", flush=True)
        print()

    n_contacts = args.size * args.contacts
    if not pg:
        connection.cursor().execute("PRAGMA synchronous=OFF")
    with transaction.atomic():
        load("clients_company", company_cols, companies, args.size)
        load("clients_contact", contact_cols, contacts, n_contacts)
        load("clients_contactpoint", point_cols, points, n_contacts)
        with connection.cursor() as cursor:
            tagged = [(i, rng.choice(tags).pk) for i in range(1, args.size + 1, 20)]
            cursor.executemany(
                "INSERT INTO clients_company_tags (company_id, tag_id) VALUES (%s, %s)", tagged
            )
            if pg:
                for table in ("clients_company", "clients_contact", "clients_contactpoint"):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
    print(f"  rows loaded in {time.perf_counter() - started:.0f} s; building search indexes…")
    step = time.perf_counter()
    search.ensure_search_indexes(rebuild=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  indexes built in {time.perf_counter() - step:.0f} s")
    print(f"Built {args.size:,} companies in {time.perf_counter() - started:.0f} s.")


# --- Measuring -------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    fn()  # warm the caches and the code path once
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(2, len(word) - 1)
    letter = rng.choice([c for c in "аеиоукнгшзхфвпрлджс" if c != word[i]])
    return word[:i] + letter + word[i + 1 :]


def word_form(word: str) -> str:
    return word[:-1] + "ы" if word[-1] in "аяыи" else word + "а"


def measure(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from clientdesk.clients import search
    from clientdesk.clients.models import Company, Contact

    setup_test_environment()
    rng = random.Random(7)
    last_company = Company.objects.order_by("-pk").values_list("pk", flat=True)[0]
    last_contact = Contact.objects.order_by("-pk").values_list("pk", flat=True)[0]
    n = args.queries

    def sample_companies(k: int) -> list[Company]:
        ids = [rng.randrange(1, last_company + 1) for _ in range(k)]
        return list(Company.objects.filter(pk__in=ids))

    def name_words(k: int) -> list[str]:
        out = []
        for c in sample_companies(k * 2):
            words = [w for w in search._WORDS.findall(c.search_name) if len(w) >= 6]
            words = [w for w in words if w not in search._LEGAL_FORMS]
            if words:
                out.append(rng.choice(words))
        return out[:k]

    words = name_words(n)
    contact_ids = [rng.randrange(1, last_contact + 1) for _ in range(n)]
    people = list(Contact.objects.filter(pk__in=contact_ids))

    def fmt_phone(e164: str) -> str:
        d = e164[2:]
        return f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"

    def each(queries: list[str], fn: Callable[[str], Any]) -> list[float]:
        times: list[float] = []
        for q in queries:
            times += timed(partial(fn, q), 1)
        return times

    rows: list[tuple[str, list[float], float]] = []
    companies_by = search.search_companies
    contacts_by = search.search_contacts
    rows.append(("search company: name", each(words, companies_by), 50))
    rows.append(
        ("search company: word form", each([word_form(w) for w in words], companies_by), 50)
    )
    rows.append(("search company: typo", each([typo(w, rng) for w in words], companies_by), 50))
    rows.append(("search company: 'ромашки'", timed(lambda: companies_by("ромашки"), n), 50))
    inns = [c.inn[:6] for c in sample_companies(n)]
    rows.append(("search company: INN prefix", each(inns, companies_by), 50))
    rows.append(
        ("search company: phone", each([fmt_phone(p.phone) for p in people], companies_by), 50)
    )
    rows.append(
        ("search contact: phone", each([fmt_phone(p.phone) for p in people], contacts_by), 50)
    )
    rows.append(
        ("search contact: e-mail", each([p.email.upper() for p in people], contacts_by), 50)
    )
    rows.append(
        (
            "search contact: surname+name",
            each([f"{p.last_name} {p.first_name}" for p in people], contacts_by),
            50,
        )
    )
    rows.append(
        (
            "search contact: typo in surname",
            each(
                [typo(p.last_name.lower(), rng) + " " + p.first_name for p in people], contacts_by
            ),
            50,
        )
    )

    report(f"{connection.vendor}, {last_company:,} companies, {last_contact:,} contacts", rows, n)
    rows = []
    logging.disable(logging.INFO)  # axes logs every login
    user = get_user_model().objects.get(username="bench_manager0")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    partial_only = not project_urls_load()

    def get(path: str, params: dict[str, str] | None = None, htmx: bool = False) -> None:
        headers = {"HX-Request": "true"} if htmx or partial_only else {}
        response = client.get(path, params or {}, headers=headers)
        assert response.status_code == 200, response.status_code

    middle = Company.objects.get(pk=last_company // 2)
    deep_name = search._encode(middle.legal_name, middle.pk)
    deep_done = search._encode(50, last_company // 2)
    region = Company.objects.get(pk=1).region_id
    rows.append(("list companies: first page", timed(lambda: get("/clients/"), n), 100))
    rows.append(
        (
            "list companies: filtered+sorted",
            timed(
                lambda: get(
                    "/clients/", {"status": "active", "region": str(region), "sort": "-updated"}
                ),
                n,
            ),
            100,
        )
    )
    rows.append(
        (
            "list companies: mine, incomplete",
            timed(lambda: get("/clients/", {"mine": "1", "completeness_below": "30"}), n),
            100,
        )
    )
    rows.append(
        (
            "list companies: deep page (name)",
            timed(lambda: get("/clients/", {"after": deep_name}), n),
            100,
        )
    )
    rows.append(
        (
            "list companies: deep (completeness)",
            timed(lambda: get("/clients/", {"sort": "completeness", "after": deep_done}), n),
            100,
        )
    )
    rows.append(
        (
            "list companies: live search (htmx)",
            each(words, lambda q: get("/clients/", {"q": q}, htmx=True)),
            100,
        )
    )
    rows.append(
        (
            "list companies: live search typo",
            each([typo(w, rng) for w in words], lambda q: get("/clients/", {"q": q}, htmx=True)),
            100,
        )
    )
    rows.append(("list contacts: first page", timed(lambda: get("/clients/contacts/"), n), 100))
    rows.append(
        (
            "list contacts: live search",
            each(
                [p.last_name for p in people],
                lambda q: get("/clients/contacts/", {"q": q}, htmx=True),
            ),
            100,
        )
    )

    what = "results block only (htmx)" if partial_only else "full pages"
    report(f"list pages through the views (test client, {what})", rows, n)


def project_urls_load() -> bool:
    """False when another app's URLs are broken: then serve only the registry's own views.

    The page chrome (base.html) needs the whole URL configuration; the results block that live
    search and paging swap in does not, and it is where the queries are.
    """
    import types

    from django.conf import settings
    from django.urls import clear_url_caches, get_resolver, include, path

    try:
        get_resolver().url_patterns  # noqa: B018 - imports every app's URLs
        return True
    except (ImportError, AttributeError) as exc:
        print(f"\nnote: the project's URLs do not load ({exc}); timing the clients views alone")
    module = types.ModuleType("bench_clients_urls")
    module.urlpatterns = [path("clients/", include("clientdesk.clients.urls"))]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()
    return False


def report(title: str, rows: list[tuple[str, list[float], float]], n: int) -> None:
    print()
    print(f"{title}; n={n} per line")
    print(f"{'measurement':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>8}  ")
    for label, times, target in rows:
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        verdict = "ok" if p95 < target else "SLOW"
        print(
            f"{label:40} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f} "
            f"{'<' + str(target):>8}  {verdict}"
        )


def main() -> None:
    args = parse_args()
    setup_django(args)
    build(args)
    measure(args)


if __name__ == "__main__":
    main()
