"""Formal address in Russian and English: salutations and case forms of names and positions.

Russian business letters address a person by first name and patronymic: "Уважаемый Иван
Петрович!", "Уважаемая Анна Сергеевна!". The adjective agrees with the person's gender, which
comes from the registry when known, else from the patronymic (-вич / -вна, -кызы / -оглы), else
from the first name (pymorphy3's name dictionary). When it cannot be told, the salutation avoids
gendered words ("Здравствуйте, Саша Ким!") rather than guessing. Case forms (dative for "Ивану
Петровичу", the addressee line of a letter) are inflected word by word with pymorphy3 using the
name-specific tags (Name, Patr, Surn), so a surname such as "Иванова" is read as a woman's
surname in the nominative and not as the genitive of "Иванов".

English: "Dear Mr Petrov" / "Dear Ms Ivanova"; unknown gender gives "Dear Sasha Kim".
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

import pymorphy3

CASES = {"nomn", "gent", "datv", "accs", "ablt", "loct"}


@cache
def _morph() -> Any:
    return pymorphy3.MorphAnalyzer(lang="ru")


def _is_cyrillic(word: str) -> bool:
    return any("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in word)


@lru_cache(maxsize=20000)
def guess_gender(first_name: str, patronymic: str = "") -> str:
    """'m', 'f' or '' when it cannot be told."""
    p = patronymic.strip().lower()
    if p.endswith(("вич", "ьич", "ич", "оглы", "улы")):
        return "m"
    if p.endswith(("вна", "чна", "кызы", "гызы", "қызы")):
        return "f"
    name = first_name.strip()
    if not name or not _is_cyrillic(name):
        return ""
    genders = set()
    for parse in _morph().parse(name):
        if "Name" in parse.tag and parse.tag.case == "nomn" and parse.tag.number == "sing":
            if parse.tag.gender == "masc":
                genders.add("m")
            elif parse.tag.gender == "femn":
                genders.add("f")
            else:  # "ms-f": Саша, Женя
                genders.update({"m", "f"})
    return genders.pop() if len(genders) == 1 else ""


def _capitalise_like(source: str, word: str) -> str:
    if source.isupper() and len(source) > 1:
        return word.upper()
    if source[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@lru_cache(maxsize=50000)
def inflect_name_part(word: str, kind: str, gender: str, case: str) -> str:
    """One part of a name (`kind`: Name, Patr, Surn) in `case`; unchanged when unknown.

    Hyphenated parts ("Римский-Корсаков") are inflected piece by piece."""
    if case == "nomn" or not word or not _is_cyrillic(word):
        return word
    if "-" in word:
        return "-".join(inflect_name_part(w, kind, gender, case) for w in word.split("-"))
    want_gender = {"m": "masc", "f": "femn"}.get(gender)
    best = None
    for parse in _morph().parse(word):
        tag = parse.tag
        if kind not in tag or tag.case != "nomn" or tag.number == "plur":
            continue
        if want_gender and tag.gender not in (want_gender, "ms-f", None):
            continue
        best = parse
        break
    if best is None:
        return word
    target = {case} | ({"femn" if gender == "f" else "masc"} if kind == "Surn" else set())
    inflected = best.inflect(target) or best.inflect({case})
    return _capitalise_like(word, inflected.word) if inflected else word


def name_in_case(
    last_name: str, first_name: str, patronymic: str, gender: str, case: str, order: str = "fpl"
) -> str:
    """The name in a grammatical case. `order`: "fpl" (Иван Петрович Петров), "lfp"
    (Петров Иван Петрович), "fp" (Иван Петрович), "li" (Петрову И. П.)."""
    gender = gender or guess_gender(first_name, patronymic)
    first = inflect_name_part(first_name, "Name", gender, case)
    patr = inflect_name_part(patronymic, "Patr", gender, case)
    last = inflect_name_part(last_name, "Surn", gender, case)
    if order == "li":
        initials = " ".join(f"{p[0]}." for p in (first_name, patronymic) if p)
        return f"{last} {initials}".strip()
    parts = {"f": first, "p": patr, "l": last}
    return " ".join(parts[k] for k in order if parts[k])


@lru_cache(maxsize=5000)
def position_in_case(position: str, case: str) -> str:
    """'Генеральный директор' → 'Генеральному директору': the words up to and including the
    head noun are inflected; what follows (complements such as 'по продажам') stays as is."""
    if case == "nomn" or not _is_cyrillic(position):
        return position
    words = position.split()
    out: list[str] = []
    for index, word in enumerate(words):
        parses = [
            p
            for p in _morph().parse(word)
            if p.tag.case == "nomn" and p.tag.number != "plur" and p.tag.POS in {"ADJF", "NOUN"}
        ]
        if not parses:
            return " ".join(out + words[index:])
        parse = parses[0]
        inflected = parse.inflect({case})
        out.append(_capitalise_like(word, inflected.word) if inflected else word)
        if parse.tag.POS == "NOUN":
            return " ".join(out + words[index + 1 :])
    return " ".join(out)


def salutation(
    *,
    first_name: str,
    patronymic: str = "",
    last_name: str = "",
    gender: str = "",
    language: str = "ru",
) -> str:
    """The opening line of a formal message, with its closing punctuation."""
    gender = gender or guess_gender(first_name, patronymic)
    if language == "en":
        title = {"m": "Mr", "f": "Ms"}.get(gender)
        if title and last_name:
            return f"Dear {title} {last_name},"
        name = " ".join(p for p in (first_name, last_name) if p)
        return f"Dear {name}," if name else "Dear Sir or Madam,"
    if first_name and patronymic:
        name = f"{first_name} {patronymic}"
    else:
        # Without a patronymic Russian business style uses first name and surname.
        name = " ".join(p for p in (first_name, last_name) if p)
    if not name:
        return "Уважаемые коллеги!"
    if gender == "m":
        return f"Уважаемый {name}!"
    if gender == "f":
        return f"Уважаемая {name}!"
    return f"Здравствуйте, {name}!"
