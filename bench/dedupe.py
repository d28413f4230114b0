"""How the duplicate finder scales: pairs compared and seconds for N generated companies.

    .venv/bin/python bench/dedupe.py [--size 100000] [--seed 1]

Runs the pure pair-finding part (clientdesk.clients.dedupe.company_pairs) on companies made
up in memory: random Russian-looking names, ~2 % of them re-entered with a typo, a missing
INN or the same phone, so that the figures include real matches. No database is touched.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.test_settings")

import django

django.setup()

from clientdesk.clients import dedupe  # noqa: E402

SYLLABLES = [
    "ро",
    "ма",
    "шка",
    "ва",
    "си",
    "лёк",
    "аль",
    "фа",
    "бе",
    "та",
    "гам",
    "ма",
    "строй",
    "торг",
    "тех",
    "ком",
    "пром",
    "инвест",
    "сер",
    "вис",
]
WORDS = [
    "Трейд",
    "Групп",
    "Плюс",
    "Сервис",
    "Логистик",
    "Холдинг",
    "Регион",
    "Ресурс",
    "Систем",
    "Проект",
    "Снаб",
]
FORMS = ["ООО", "АО", "ПАО", "ИП", ""]
STREETS = ["Ленина", "Мира", "Гагарина", "Советская", "Тверская", "Садовая", "Пушкина"]


def _name(rng: random.Random) -> str:
    core = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
    if rng.random() < 0.6:
        core += " " + rng.choice(WORDS)
    if rng.random() < 0.2:
        core += f"-{rng.randint(1, 99)}"
    return f'{rng.choice(FORMS)} "{core}"'.strip()


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    return name[:i] + rng.choice("аоеи") + name[i + 1 :]


def generate(size: int, seed: int) -> list[dedupe.CompanyRow]:
    rng = random.Random(seed)
    rows: list[dedupe.CompanyRow] = []
    for pk in range(1, size + 1):
        if rows and rng.random() < 0.02:
            # A re-entered company: typo in the name, INN forgotten, same phone.
            original = rng.choice(rows)
            legal = _typo(original.display, rng)
            rows.append(
                dedupe.CompanyRow(
                    id=pk,
                    name=dedupe.name_key(legal),
                    phones=original.phones,
                    address=original.address,
                    display=legal,
                )
            )
            continue
        legal = _name(rng)
        region = rng.randint(1, 99)
        rows.append(
            dedupe.CompanyRow(
                id=pk,
                name=dedupe.name_key(legal),
                inn=f"{region:02d}{rng.randrange(10**8):08d}",
                kpp=f"{region:02d}0101001",
                phones=(f"+7{rng.randrange(10**10):010d}",),
                emails=(f"info@{rng.choice(['mail.ru', 'yandex.ru', f'c{pk}.ru'])}",),
                address=dedupe.address_key(
                    f"г. Город-{region}, ул. {rng.choice(STREETS)}, д. {rng.randint(1, 200)}"
                ),
                display=legal,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    rows = generate(args.size, args.seed)
    generated = time.perf_counter() - started

    stats = dedupe.Stats()
    started = time.perf_counter()
    found = dedupe.company_pairs(rows, stats=stats)
    seconds = time.perf_counter() - started

    all_pairs = args.size * (args.size - 1) // 2
    print(f"companies:          {args.size:>14,}")
    print(f"all pairs:          {all_pairs:>14,}")
    print(f"pairs compared:     {stats.compared:>14,}  ({stats.compared / all_pairs:.3%} of all)")
    print(f"blocks:             {stats.blocks:>14,}")
    print(f"shared values skip: {stats.skipped_shared:>14,}")
    print(f"candidates found:   {len(found):>14,}")
    print(f"generate seconds:   {generated:>14.2f}")
    print(f"find seconds:       {seconds:>14.2f}")


if __name__ == "__main__":
    main()
