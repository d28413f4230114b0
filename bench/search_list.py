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
from collections.abc import Callable
from datetime import datetime
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
    parser.add_argument("--build-only", action="store_true", help="load the data, measure nothing")
    parser.add_argument(
        "--show-slow", type=float, default=0, metavar="MS", help="print queries slower than MS"
    )
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
#
# The rows are made column by column with numpy and polars (seeded: the same data every run)
# and streamed into the database in bulk: COPY on PostgreSQL, ADBC ingestion on SQLite. Made
# row by row in Python, 1M companies and 3M contacts took about 30 minutes.

# Beside the common surnames, a long tail made of syllables: real registries have both, and a
# bench of 54 surnames only would time every name query against 28,000 namesakes.
TAIL_ENDINGS = ["ов", "ев", "ин", "ский", "енко", "ук"]
PATRONYMICS = [
    "Александрович",
    "Алексеевич",
    "Андреевич",
    "Дмитриевич",
    "Евгеньевич",
    "Иванович",
    "Максимович",
    "Михайлович",
    "Никитич",
    "Сергеевич",
]
BASE_TIME = datetime(2026, 11, 1, 12, 0)  # fixed (UTC), so that the data is deterministic


def _pick(rng: Any, values: list[str], n: int) -> Any:
    import numpy as np
    import polars as pl

    return pl.Series(np.asarray(values)[rng.integers(0, len(values), n)])


def _syllable_words(rng: Any, n: int) -> Any:
    """Made-up words of 2-4 syllables, capitalised."""
    import numpy as np
    import polars as pl

    frame = pl.DataFrame(
        {f"s{i}": _pick(rng, SYLLABLES, n) for i in range(4)}
        | {"k": np.asarray([2, 3, 3, 4])[rng.integers(0, 4, n)]}
    )
    empty = pl.lit("")
    return frame.select(
        pl.concat_str(
            pl.col("s0"),
            pl.col("s1"),
            pl.when(pl.col("k") >= 3).then(pl.col("s2")).otherwise(empty),
            pl.when(pl.col("k") >= 4).then(pl.col("s3")).otherwise(empty),
        ).str.to_titlecase()
    ).to_series()


def _normalised(column: Any) -> Any:
    """`validators.normalise_name` as a polars expression (`build` checks that they agree)."""
    return (
        column.str.to_lowercase()
        .str.replace_all("ё", "е", literal=True)
        .str.replace_all("[\"'«»“”„`]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _stamps(rng: Any, n: int, *, pg: bool) -> Any:
    import numpy as np
    import polars as pl

    minutes = rng.integers(0, 60 * 24 * 730, n).astype("timedelta64[m]")
    moments = pl.Series(np.datetime64(BASE_TIME, "us") - minutes)
    return moments.dt.strftime("%Y-%m-%d %H:%M:%S+00" if pg else "%Y-%m-%d %H:%M:%S%.6f")


def generate_companies(
    n: int, *, managers: list[int], regions: list[int], industries: list[int], pg: bool
) -> Any:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(20261127)
    parts = pl.DataFrame(
        {
            "w": _syllable_words(rng, n),
            "part": _pick(rng, PARTS, n),
            "part2": _pick(rng, PARTS, n),
            "shape": rng.random(n),
            "form": _pick(rng, FORMS, n),
        }
    )
    w, part, shape = pl.col("w"), pl.col("part"), pl.col("shape")
    core = (
        pl.when(shape < 0.35)
        .then(w + part.str.to_lowercase())
        .when(shape < 0.6)
        .then(part + w.str.to_lowercase() + "-" + pl.col("part2"))
        .when(shape < 0.8)
        .then(w + " " + part)
        .otherwise(w)
    )
    names = parts.select(pl.col("form") + ' "' + core + '"').to_series().to_list()
    forms = parts["form"].to_list()
    fixed = [
        ('ООО "Ромашка"', "ООО"),
        ("ТехноСервис-Урал", "ООО"),
        ('АО "Ромашка-Строй-Инвест"', "АО"),
    ]
    for i, (name, form) in enumerate(fixed[:n]):
        names[i], forms[i] = name, form
    ids = np.arange(1, n + 1, dtype=np.int64)
    stamps = _stamps(rng, n, pg=pg)
    manager = np.asarray(managers)[rng.integers(0, len(managers), n)]
    managed = rng.random(n) < 0.7
    frame = pl.DataFrame(
        {
            "id": ids,
            "legal_name": names,
            "legal_form": forms,
            "inn": (1_000_000_000 + (ids * 7919) % 9_000_000_000).astype(str),
            "size_band": _pick(rng, SIZES, n),
            "status": _pick(rng, STATUSES, n),
            "completeness": rng.integers(0, 101, n),
            "created_at": stamps,
            "updated_at": stamps,
            "manager": manager,
            "managed": managed,
            "industry_id": np.asarray(industries)[rng.integers(0, len(industries), n)],
            "region_id": np.asarray(regions)[rng.integers(0, len(regions), n)],
        }
    )
    blank = pl.lit("")
    return frame.with_columns(
        account_manager_id=pl.when(pl.col("managed")).then(pl.col("manager")),
        short_name=blank,
        country=pl.lit("RU"),
        kpp=pl.when(pl.col("legal_form") == "ИП").then(blank).otherwise(pl.lit("770101001")),
        ogrn=blank,
        foreign_registration_number=blank,
        vat_number=blank,
        external_id=blank,
        legal_address=blank,
        postal_address=blank,
        office_address=blank,
        website=blank,
        email=blank,
        phone=blank,
        group_role=blank,
        search_name=_normalised(pl.col("legal_name")),
    ).drop("manager", "managed")


def _feminine(surname: Any) -> Any:
    """-ов/-ев/-ин take -а, -ский becomes -ская; -енко and -ук do not change."""
    import polars as pl

    return (
        pl.when(surname.str.ends_with("ский"))
        .then(surname.str.strip_suffix("ий") + "ая")
        .when(surname.str.ends_with("енко") | surname.str.ends_with("ук"))
        .then(surname)
        .otherwise(surname + "а")
    )


def generate_contacts(n: int, *, per_company: int, pg: bool) -> Any:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(20261128)
    ids = np.arange(1, n + 1, dtype=np.int64)
    frame = pl.DataFrame(
        {
            "id": ids,
            "female": rng.random(n) < 0.5,
            "common": _pick(rng, SURNAMES, n),
            "tail": _syllable_words(rng, n) + _pick(rng, TAIL_ENDINGS, n),
            "second": _pick(rng, SURNAMES, n),
            # 60 % common surnames, 38 % the long tail, 2 % double-barrelled (Петров-Водкин).
            "kind": rng.random(n),
            "first_m": _pick(rng, FIRST, n),
            "first_f": _pick(rng, FIRST_F, n),
            "father": _pick(rng, PATRONYMICS, n),
            "completeness": rng.integers(0, 101, n),
        }
    )
    female, kind = pl.col("female"), pl.col("kind")
    surname = (
        pl.when(kind < 0.6)
        .then(pl.col("common"))
        .when(kind < 0.98)
        .then(pl.col("tail"))
        .otherwise(pl.col("common") + "-" + pl.col("second"))
    )
    double_f = _feminine(pl.col("common")) + "-" + _feminine(pl.col("second"))
    father = pl.col("father")
    stamps = _stamps(rng, n, pg=pg)
    frame = frame.select(
        "id",
        "completeness",
        ((pl.col("id") - 1) // per_company + 1).alias("company_id"),
        pl.when(female & (kind >= 0.98))
        .then(double_f)
        .when(female)
        .then(_feminine(surname))
        .otherwise(surname)
        .alias("last_name"),
        pl.when(female).then(pl.col("first_f")).otherwise(pl.col("first_m")).alias("first_name"),
        pl.when(~female)
        .then(father)
        .when(father.str.ends_with("ич") & ~father.str.ends_with("вич"))
        .then(father.str.strip_suffix("ич") + "ична")
        .otherwise(father.str.strip_suffix("ич") + "на")
        .alias("patronymic"),
        pl.when(female).then(pl.lit("f")).otherwise(pl.lit("m")).alias("gender"),
    )
    person = pl.col("id").cast(pl.String)
    blank = pl.lit("")
    return frame.with_columns(
        position=pl.lit("Менеджер"),
        department=blank,
        decision_role=blank,
        power_of_attorney_number=blank,
        email=pl.concat_str(
            pl.lit("person"),
            person,
            pl.lit("@firm"),
            (pl.col("id") // 3).cast(pl.String),
            pl.lit(".ru"),
        ),
        phone=pl.lit("+7916") + ((pl.col("id") * 7919) % 10_000_000).cast(pl.String).str.zfill(7),
        preferred_channel=blank,
        language=pl.lit("ru"),
        left_company=pl.lit(False),
        external_id=blank,
        created_at=stamps,
        updated_at=stamps,
        search_name=_normalised(
            pl.concat_str(
                pl.col("last_name"), pl.col("first_name"), pl.col("patronymic"), separator=" "
            )
        ),
    )


def generate_points(contacts: Any) -> Any:
    import polars as pl

    phones = contacts.select(
        pl.col("id").alias("contact_id"),
        pl.lit("phone").alias("kind"),
        pl.col("phone").alias("value"),
    )
    emails = contacts.select(
        pl.col("id").alias("contact_id"),
        pl.lit("email").alias("kind"),
        pl.col("email").alias("value"),
    )
    return pl.concat([phones, emails]).with_columns(label=pl.lit(""), is_primary=pl.lit(True))


def _load(connection: Any, table: str, frame: Any, *, pg: bool, database: str) -> None:
    started = time.perf_counter()
    if pg:
        batch = 200_000
        with connection.cursor() as cursor:
            raw = cursor.cursor
            sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
            with raw.copy(sql) as copy:
                for start in range(0, frame.height, batch):
                    chunk = frame.slice(start, batch)
                    # Quoted empty strings stay empty strings; unquoted empties are NULLs.
                    copy.write(chunk.write_csv(include_header=False, quote_style="non_numeric"))
    else:
        with connection.cursor() as cursor:
            marks = ", ".join(["%s"] * frame.width)
            sql = f"INSERT INTO {table} ({', '.join(frame.columns)}) VALUES ({marks})"
            for chunk in frame.iter_slices(100_000):
                cursor.executemany(sql, chunk.rows())
    print(f"  {table}: {frame.height:,} rows in {time.perf_counter() - started:.0f} s", flush=True)


def build(args: argparse.Namespace) -> None:  # noqa: C901 - one linear loading script
    import polars as pl
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
        )[0].pk
        for n in range(20)
    ]
    regions = [
        Region.objects.get_or_create(code=f"{n:02d}", defaults={"name": f"Регион {n}"})[0].pk
        for n in range(1, 90)
    ]
    industries = [
        Industry.objects.get_or_create(
            code=f"{n}.01", defaults={"section": "ABCDEFGHJ"[n % 9], "name": f"Отрасль {n}"}
        )[0].pk
        for n in range(10, 40)
    ]
    tags = [Tag.objects.get_or_create(name=f"Тег {n}")[0].pk for n in range(10)]

    companies = generate_companies(
        args.size, managers=managers, regions=regions, industries=industries, pg=pg
    )
    contacts = generate_contacts(args.size * args.contacts, per_company=args.contacts, pg=pg)
    points = generate_points(contacts)
    for frame, column in ((companies, "legal_name"), (contacts, "last_name")):
        sample = frame.head(2000)
        if column == "last_name":
            raw = sample.select(
                pl.concat_str("last_name", "first_name", "patronymic", separator=" ")
            ).to_series()
        else:
            raw = sample[column]
        wrong = [
            r for r, s in zip(raw, sample["search_name"], strict=True) if normalise_name(r) != s
        ]
        assert not wrong, f"search_name differs from normalise_name for {wrong[:3]}"
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    database = str(connection.settings_dict["NAME"])
    if pg:
        tables = ["clients_company", "clients_contact", "clients_contactpoint"]
        with transaction.atomic(), connection.cursor() as cursor:
            # Index maintenance and foreign-key checks row by row made the load crawl (4,000
            # rows/s on a busy machine): drop the secondary indexes and recreate them after,
            # and skip the FK triggers (the rows are generated consistent). Superuser only.
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
                [tables],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SET LOCAL session_replication_role = replica")
            _load(connection, "clients_company", companies, pg=True, database=database)
            _load(connection, "clients_contact", contacts, pg=True, database=database)
            _load(connection, "clients_contactpoint", points, pg=True, database=database)
            cursor.execute("SET LOCAL session_replication_role = origin")
            step = time.perf_counter()
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            print(f"  {len(indexes)} indexes recreated in {time.perf_counter() - step:.0f} s")
    else:
        tables = ["clients_company", "clients_contact", "clients_contactpoint"]
        connection.cursor().execute("PRAGMA synchronous = OFF")
        with transaction.atomic(), connection.cursor() as cursor:
            # As on PostgreSQL: secondary indexes are dropped for the load and made again after
            # (maintaining them row by row made the load take 6 minutes per million rows).
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
                tables,
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            for table, frame in zip(tables, (companies, contacts, points), strict=True):
                _load(connection, table, frame, pg=False, database=database)
            step = time.perf_counter()
            for _name, definition in indexes:
                cursor.execute(definition)
            print(f"  {len(indexes)} indexes recreated in {time.perf_counter() - step:.0f} s")
    rng = random.Random(20261127)
    with connection.cursor() as cursor:
        tagged = [(i, rng.choice(tags)) for i in range(1, args.size + 1, 20)]
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
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from clientdesk.clients import search
    from clientdesk.clients.models import Company, Contact

    # As setup_test_environment() would, minus its template instrumentation: that kept every
    # rendered context (and the 100 model objects of a page) alive, and the growing heap made a
    # full garbage collection cost a request 100-350 ms by the end of a run.
    settings.DEBUG = False
    if args.show_slow:
        watch_collector(args.show_slow)
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
            if args.show_slow and times[-1] > args.show_slow:
                print(f"  slow: {q!r} {times[-1]:.1f} ms", flush=True)
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
    # The hard cases: a common surname (~1 in 50 people of the bench) with a first name.
    common = [
        (f"{rng.choice(SURNAMES)} {rng.choice(FIRST)}", rng.choice(SURNAMES)) for _ in range(n)
    ]
    rows.append(
        ("search contact: common surname+name", each([a for a, _ in common], contacts_by), 50)
    )
    rows.append(
        (
            "search contact: common surname, typo",
            each([typo(b.lower(), rng) for _, b in common], contacts_by),
            50,
        )
    )
    rows.append(
        (
            "search contact: surname word form",
            each([word_form(b.lower()) for _, b in common], contacts_by),
            50,
        )
    )
    # Part of a compound company name: 5 letters from inside a long word («…строй…»).
    inner = [w[2:7] for w in words if len(w) >= 9]
    rows.append(("search company: part of a word", each(inner, companies_by), 50))

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
    rows.append(
        (
            "list contacts: live search typo",
            each(
                [typo(p.last_name.lower(), rng) for p in people],
                lambda q: get("/clients/contacts/", {"q": q}, htmx=True),
            ),
            100,
        )
    )

    what = "results block only (htmx)" if partial_only else "full pages"
    report(f"list pages through the views (test client, {what})", rows, n)


def watch_collector(threshold_ms: float) -> None:
    """Print garbage collections slower than `threshold_ms`: a full collection of this process
    (the test client, templates, the morphology dictionary) can cost a request 300 ms, which is
    not the query's doing."""
    import gc

    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started and (ms := (time.perf_counter() - started[0]) * 1000) > threshold_ms:
            print(f"  slow: garbage collection of generation {info['generation']} {ms:.1f} ms")

    gc.callbacks.append(callback)


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
    if not args.build_only:
        measure(args)


if __name__ == "__main__":
    main()
