"""Facts in text: formatting the master's figures per language, finding figures in a variant, and
comparing the two (the drift check).

A variant drifts when a master fact is missing from it, appears with another value or unit, or
when it carries a figure the master does not have (the usual shape of a typo: "скидка 20 %"
where the master says 15). Figures are compared by value after normalisation, so
"1 500 000 руб.", "1,5 млн руб." and "RUB 1,500,000" are the same fact, "15 %" and "15%" too,
and "15.01.2027", "2027-01-15", "15 января 2027" and "15 January 2027" are one date.

Number syntax depends on the language: in Russian a space groups thousands and a comma is the
decimal mark; in English a comma groups thousands. Personalised parts (the client's own figures,
case studies, signatures) enter through placeholders and are not part of the check; URLs and
placeholders are removed before figures are looked for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

MONTHS_RU = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6,
    "июл": 7, "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}  # fmt: skip
MONTHS_RU_GENITIVE = [
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
]  # fmt: skip
MONTHS_EN = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip

MONEY_UNITS = {"RUB"}
UNITS_EN = {"мес.": "months", "дн.": "days", "шт.": "pcs", "лет": "years", "ч": "hours"}
PERCENT = "%"
DATE = "date"

_URL = re.compile(r"https?://\S+|\{\{[^}]*\}\}|\[\[[^\]]*\]\]")
_DATE_DOTTED = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DATE_RU = re.compile(r"(?<!\d)(\d{1,2})\s+(" + "|".join(MONTHS_RU_GENITIVE) + r")\s+(\d{4})", re.I)
_DATE_EN = re.compile(r"(?<!\d)(\d{1,2})\s+(" + "|".join(MONTHS_EN) + r")\s+(\d{4})", re.I)
_DATE_EN_US = re.compile(r"(" + "|".join(MONTHS_EN) + r")\s+(\d{1,2}),?\s+(\d{4})", re.I)

_NUM_RU = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_NUM_EN = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MULT = r"(?:\s*(?P<mult>тыс(?:яч[аи]?)?\.?|млн\.?|млрд\.?|thousand|million|billion|bn)(?![\w]))?"
_UNIT = r"(?:\s*(?P<unit>%|процент\w*|per\s?cent|руб(?:л\w*)?\.?|₽|RUB|roubles?|rubles?)(?!\w))?"
_PREFIX = r"(?:(?P<pre>RUB|₽)\s?)?"
_FIGURE = {
    "ru": re.compile(_PREFIX + r"(?<![\w.,])(?P<num>" + _NUM_RU + r")" + _MULT + _UNIT, re.I),
    "en": re.compile(_PREFIX + r"(?<![\w.,])(?P<num>" + _NUM_EN + r")" + _MULT + _UNIT, re.I),
}
_MULTIPLIERS = {"тыс": 1000, "млн": 10**6, "млрд": 10**9, "tho": 1000, "mil": 10**6, "bil": 10**9}


@dataclass(frozen=True)
class Figure:
    """A figure found in text: a Decimal with its unit ('%', 'RUB' or ''), or a date."""

    value: Decimal | dt.date
    unit: str
    text: str

    def __str__(self) -> str:
        return self.text


def _month_ru(word: str) -> int:
    word = word.lower()
    for stem, number in MONTHS_RU.items():
        if word.startswith(stem) and (stem != "ма" or word in {"мая", "май"}):
            return number
    return 0


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _dates(text: str) -> tuple[list[Figure], str]:
    found: list[Figure] = []

    def take(match: re.Match[str], date: dt.date | None) -> str:
        if date is not None:
            found.append(Figure(date, DATE, match.group(0)))
        return " " * len(match.group(0))

    def _dotted(m: re.Match[str]) -> str:
        return take(m, _safe_date(int(m[3]), int(m[2]), int(m[1])))

    def _iso(m: re.Match[str]) -> str:
        return take(m, _safe_date(int(m[1]), int(m[2]), int(m[3])))

    def _ru(m: re.Match[str]) -> str:
        return take(m, _safe_date(int(m[3]), _month_ru(m[2]), int(m[1])))

    def _en(m: re.Match[str]) -> str:
        return take(m, _safe_date(int(m[3]), MONTHS_EN.index(m[2].lower()) + 1, int(m[1])))

    def _en_us(m: re.Match[str]) -> str:
        return take(m, _safe_date(int(m[3]), MONTHS_EN.index(m[1].lower()) + 1, int(m[2])))

    for pattern, fn in (
        (_DATE_DOTTED, _dotted),
        (_DATE_ISO, _iso),
        (_DATE_RU, _ru),
        (_DATE_EN, _en),
        (_DATE_EN_US, _en_us),
    ):
        text = pattern.sub(fn, text)
    return found, text


def _number(raw: str, language: str) -> Decimal | None:
    raw = re.sub(r"[ \u00a0\u202f]", "", raw)
    raw = raw.replace(",", "") if language == "en" else raw.replace(",", ".")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _unit(match: re.Match[str]) -> str:
    unit = (match.group("unit") or match.group("pre") or "").lower()
    if not unit:
        return ""
    if unit == "%" or unit.startswith(("процент", "per")):
        return PERCENT
    return "RUB"


def extract_figures(text: str, language: str = "ru") -> list[Figure]:
    """Every figure in `text`, normalised; dates first, then numbers with their units."""
    text = _URL.sub(" ", text)
    found, text = _dates(text)
    for match in _FIGURE["en" if language == "en" else "ru"].finditer(text):
        value = _number(match.group("num"), language)
        if value is None:
            continue
        mult = (match.group("mult") or "").lower()[:3]
        if mult:
            value *= _MULTIPLIERS.get(mult, 1)
        found.append(Figure(value.normalize(), _unit(match), match.group(0).strip()))
    return found


def fact_value(fact: dict[str, Any]) -> Decimal | dt.date | None:
    """The canonical value of a master fact ('1500000', '15', '2027-01-15')."""
    raw = str(fact.get("value", "")).strip()
    if fact.get("unit") == DATE:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return None
    try:
        return Decimal(raw.replace(" ", "").replace(",", ".")).normalize()
    except InvalidOperation:
        return None


def _group(number: Decimal, sep: str, dec: str) -> str:
    sign = "-" if number < 0 else ""
    number = abs(number)
    whole, _, frac = f"{number:f}".partition(".")
    frac = frac.rstrip("0")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = sep.join(groups)
    return sign + out + (dec + frac if frac else "")


def format_fact(fact: dict[str, Any], language: str = "ru") -> str:
    """The fact's value as a person reads it in `language` ("1 500 000 руб.", "RUB 1,500,000")."""
    value = fact_value(fact)
    unit = str(fact.get("unit") or "")
    if value is None:
        return str(fact.get("value", ""))
    if isinstance(value, dt.date):
        if language == "en":
            return f"{value.day} {MONTHS_EN[value.month - 1].capitalize()} {value.year}"
        return f"{value.day} {MONTHS_RU_GENITIVE[value.month - 1]} {value.year} г."
    if language == "en":
        number = _group(value, ",", ".")
        if unit == "RUB":
            return f"RUB {number}"
        if unit == PERCENT:
            return f"{number}%"
        return f"{number} {fact.get('unit_en') or UNITS_EN.get(unit, unit)}".strip()
    number = _group(value, "\u00a0", ",")
    if unit == "RUB":
        return f"{number}\u00a0руб."
    if unit == PERCENT:
        return f"{number}\u00a0%"
    return f"{number} {unit}".strip()


def fact_label(fact: dict[str, Any], language: str) -> str:
    return str((fact.get("name_en") if language == "en" else "") or fact.get("name") or "")


def check(
    text: str, facts: list[dict[str, Any]], language: str = "ru", master_text: str = ""
) -> list[dict[str, str]]:
    """Drift of `text` against the master `facts`: a list of findings, empty when consistent.

    Each finding: {"kind": "missing" | "different" | "extra", "fact": name, "found": text}.
    Figures that the master's own wording uses (`master_text`: "на 2027 год") are not extra."""
    figures = extract_figures(text, language)
    allowed = {(f.value, f.unit) for f in extract_figures(master_text, language)}
    used: set[int] = set()
    findings: list[dict[str, str]] = []
    for fact in facts:
        expected = fact_value(fact)
        unit = str(fact.get("unit") or "")
        name = fact_label(fact, language)
        matches = [
            i
            for i, f in enumerate(figures)
            if f.value == expected and type(f.value) is type(expected)
        ]
        exact = [
            i for i in matches if unit not in (PERCENT, "RUB") or figures[i].unit in (unit, "")
        ]
        if exact:
            used.update(exact)
        elif matches:
            used.update(matches)
            findings.append({"kind": "different", "fact": name, "found": figures[matches[0]].text})
        else:
            findings.append({"kind": "missing", "fact": name, "found": format_fact(fact, language)})
    for i, figure in enumerate(figures):
        if i not in used and (figure.value, figure.unit) not in allowed:
            findings.append({"kind": "extra", "fact": "", "found": figure.text})
    return findings
