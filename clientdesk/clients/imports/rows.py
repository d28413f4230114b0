"""One file row → typed values and the errors found in it, without touching the database.

The mapping page's preview and the import itself both go through `RowParser`, so what the user
sees in the preview is exactly what will be written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import ImportJob, LegalForm
from ..validators import normalise_name
from .columns import Field, fields_for
from .values import is_blank

Kind = ImportJob.Kind


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


CACHE_SIZE = 10_000
_MISS = object()


@dataclass(frozen=True)
class _Invalid:
    message: str


def _messages(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


class RowParser:
    def __init__(self, kind: str, mapping: dict[str, int], headers: Sequence[str]) -> None:
        self.kind = Kind(kind)
        self.fields = fields_for(kind)
        self.by_name = {f.name: f for f in self.fields}
        self.columns: list[tuple[Field, int, str]] = [
            (f, mapping[f.name], headers[mapping[f.name]])
            for f in self.fields
            if f.name in mapping and 0 <= mapping[f.name] < len(headers)
        ]
        self.mapped = {f.name for f, _i, _t in self.columns}
        self.titles = {f.name: title for f, _i, title in self.columns}
        self._check: Callable[[ParsedRow, RowParser], None] = _CHECKS[self.kind]
        # Files repeat values (the KPP, the company's INN on each contact, a currency, a date):
        # parsers are pure, so each distinct cell value of a column is validated once.
        self._cache: dict[str, dict[Any, Any]] = {f.name: {} for f, _i, _t in self.columns}

    def title(self, name: str) -> str:
        """The column as the user titled it, or our name for the field when it isn't mapped."""
        return self.titles.get(name) or str(self.by_name[name].label)

    def error(self, row: ParsedRow, name: str, message: str) -> None:
        row.errors.append(RowError(row.number, self.title(name), message))

    def parse(self, number: int, cells: Sequence[Any]) -> ParsedRow:
        row = ParsedRow(number, {})
        width = len(cells)
        for f, index, title in self.columns:
            raw = cells[index] if index < width else None
            if is_blank(raw):
                if f.required:
                    row.errors.append(RowError(number, title, _("A value is required here.")))
                continue
            cache = self._cache[f.name]
            key = raw if isinstance(raw, str) else (type(raw), raw)
            hit = cache.get(key, _MISS)
            if hit is _MISS:
                try:
                    hit = f.parse(raw)
                except ValidationError as exc:
                    hit = _Invalid(_messages(exc))
                if len(cache) >= CACHE_SIZE:
                    cache.clear()
                cache[key] = hit
            if isinstance(hit, _Invalid):
                row.errors.append(RowError(number, title, hit.message))
                continue
            value = hit
            if value is not None and value != "":
                row.values[f.name] = value
        if not row.errors:
            self._check(row, self)
        return row


# --- checks across fields, one function per kind -------------------------------------------
_NAME_FORMS = [
    (re.compile(r"^(ооо|общество с ограниченной ответственностью)\b"), LegalForm.OOO),
    (re.compile(r"^(пао|публичное акционерное общество)\b"), LegalForm.PAO),
    (re.compile(r"^(нао|непубличное акционерное общество)\b"), LegalForm.NAO),
    (re.compile(r"^(ао|зао|акционерное общество)\b"), LegalForm.AO),
    (re.compile(r"^(ип|индивидуальный предприниматель)\b"), LegalForm.IP),
    (re.compile(r"^(фгуп|гуп)\b"), LegalForm.GUP),
    (re.compile(r"^муп\b"), LegalForm.MUP),
    (re.compile(r"^фгбу\b"), LegalForm.FGBU),
    (re.compile(r"^ано\b"), LegalForm.ANO),
]


def legal_form_from_name(name: str) -> str | None:
    text = normalise_name(name)
    for pattern, form in _NAME_FORMS:
        if pattern.match(text):
            return str(form)
    return None


def _check_company(row: ParsedRow, p: RowParser) -> None:
    values = row.values
    if "legal_form" not in values and "legal_name" in values:
        guessed = legal_form_from_name(values["legal_name"])
        if guessed:
            values["legal_form"] = guessed
    inn = values.get("inn", "")
    if "legal_form" not in values and len(inn) == 12:
        values["legal_form"] = str(LegalForm.IP)
    sole = values.get("legal_form") == LegalForm.IP
    if inn and values.get("legal_form"):
        if sole and len(inn) != 12:
            p.error(
                row,
                "inn",
                _("A sole proprietor's INN has 12 digits; %(n)s were entered.") % {"n": len(inn)},
            )
        elif not sole and len(inn) == 12 and "legal_form" in p.mapped:
            p.error(
                row,
                "inn",
                _("A 12-digit INN belongs to a sole proprietor, but the legal form is %(form)s.")
                % {"form": values["legal_form"]},
            )
    if inn and len(inn) == 12 and values.get("kpp"):
        p.error(row, "kpp", _("A sole proprietor has no KPP: leave this cell empty."))
    ogrn = values.get("ogrn", "")
    if ogrn and inn and len(ogrn) != (15 if len(inn) == 12 else 13):
        p.error(
            row,
            "ogrn",
            _(
                "An OGRNIP (15 digits) goes with a 12-digit INN, "
                "an OGRN (13 digits) with a 10-digit one."
            ),
        )
    if not inn and not values.get("external_id"):
        p.error(
            row,
            "inn",
            _(
                "Give the company's INN (or an external ID) so that a later import "
                "can find it again."
            ),
        )


def _check_company_ref(row: ParsedRow, p: RowParser) -> None:
    if not row.values.get("company_inn") and not row.values.get("company_external_id"):
        name = (
            "company_inn"
            if "company_inn" in p.mapped or "company_external_id" not in p.mapped
            else "company_external_id"
        )
        p.error(row, name, _("Which company? Give its INN or its external ID."))


def split_full_name(full: str) -> tuple[str, str, str]:
    """'Иванов Иван Иванович' → surname, name, patronymic (Russian order)."""
    parts = full.replace(",", " ").split()
    if len(parts) == 1:
        return parts[0], "", ""
    return parts[0], parts[1], " ".join(parts[2:])


def _check_contact(row: ParsedRow, p: RowParser) -> None:
    _check_company_ref(row, p)
    values = row.values
    if "full_name" in values:
        last, first, patronymic = split_full_name(values.pop("full_name"))
        values.setdefault("last_name", last)
        values.setdefault("first_name", first)
        if patronymic:
            values.setdefault("patronymic", patronymic[:100])
    if not values.get("last_name") or not values.get("first_name"):
        name = (
            "full_name"
            if "full_name" in p.mapped
            else ("last_name" if not values.get("last_name") else "first_name")
        )
        p.error(row, name, _("A contact needs at least a surname and a first name."))


def _check_contract(row: ParsedRow, p: RowParser) -> None:
    _check_company_ref(row, p)
    values = row.values
    start, end = values.get("starts_on"), values.get("ends_on")
    if start and end and end < start:
        p.error(row, "ends_on", _("The contract ends before it starts."))
    if "offerings" in values:
        values["offerings"] = [
            c.strip() for c in re.split(r"[,;\n]", values["offerings"]) if c.strip()
        ]


def _check_revenue(row: ParsedRow, p: RowParser) -> None:
    _check_company_ref(row, p)
    values = row.values
    currency = values.setdefault("currency", "RUB")
    amount: Decimal | None = values.get("amount")
    if amount is None:
        return
    if currency == "RUB":
        values["amount_base"] = amount
    elif "amount_base" in values:
        pass
    elif values.get("rate"):
        values["amount_base"] = (amount * values["rate"]).quantize(Decimal("0.01"))
    else:
        p.error(
            row,
            "currency" if "currency" in p.mapped else "amount",
            _(
                "The amount is in %(currency)s: add a column with the exchange rate "
                "or the amount in RUB."
            )
            % {"currency": currency},
        )
    values.pop("rate", None)


_CHECKS: dict[str, Callable[[ParsedRow, RowParser], None]] = {
    Kind.COMPANIES: _check_company,
    Kind.CONTACTS: _check_contact,
    Kind.CONTRACTS: _check_contract,
    Kind.REVENUE: _check_revenue,
}
