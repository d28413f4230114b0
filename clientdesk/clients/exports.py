"""Exporting filtered lists to CSV and Excel, streamed so a million rows cost no memory.

CSV is written the way Russian Excel opens it on a double click: UTF-8 with a BOM, ';' between
cells, decimal commas and dd.mm.yyyy dates. Text that a spreadsheet would run as a formula
(=, +, -, @, tab, CR at the start) is prefixed with an apostrophe; numbers stay numbers.
The column titles are ones the importer recognises, so an export can be edited and imported back.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientdesk.core import audit

from .models import Company, Contact
from .validators import format_phone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    title: str | Promise
    get: Callable[[Any], Any]


def neutralise(value: Any) -> Any:
    """Text that starts like a formula gets a leading apostrophe; numbers and dates pass as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _choice(name: str) -> Callable[[Any], Any]:
    return lambda obj: getattr(obj, f"get_{name}_display")() if getattr(obj, name) else ""


COMPANY_COLUMNS: list[Column] = [
    Column(_("Registry ID"), lambda c: c.pk),
    Column(_("Legal name"), lambda c: c.legal_name),
    Column(_("Short name"), lambda c: c.short_name),
    Column(_("Legal form"), lambda c: c.legal_form),
    Column(_("INN"), lambda c: c.inn),
    Column(_("KPP"), lambda c: c.kpp),
    Column(_("OGRN"), lambda c: c.ogrn),
    Column(_("External ID"), lambda c: c.external_id),
    Column(_("Status"), _choice("status")),
    Column(_("OKVED"), lambda c: c.industry.code if c.industry_id else ""),
    Column(_("Region"), lambda c: c.region.name if c.region_id else ""),
    Column(_("Employees"), lambda c: c.employees),
    Column(_("Annual revenue"), lambda c: c.annual_revenue),
    Column(_("Phone"), lambda c: format_phone(c.phone)),
    Column(_("E-mail"), lambda c: c.email),
    Column(_("Website"), lambda c: c.website),
    Column(_("Legal address"), lambda c: c.legal_address),
    Column(_("Key account manager"), lambda c: str(c.account_manager or "")),
    Column(_("Completeness, %"), lambda c: c.completeness),
    Column(_("Updated"), lambda c: timezone.localtime(c.updated_at).date()),
]

CONTACT_COLUMNS: list[Column] = [
    Column(_("Registry ID"), lambda p: p.pk),
    Column(_("Company"), lambda p: p.company.display_name),
    Column(_("Company INN"), lambda p: p.company.inn),
    Column(_("Company KPP"), lambda p: p.company.kpp),
    Column(_("Surname"), lambda p: p.last_name),
    Column(_("First name"), lambda p: p.first_name),
    Column(_("Patronymic"), lambda p: p.patronymic),
    Column(_("Position"), lambda p: p.position),
    Column(_("Department"), lambda p: p.department),
    Column(_("Role in decisions"), _choice("decision_role")),
    Column(_("E-mail"), lambda p: p.email),
    Column(_("Phone"), lambda p: format_phone(p.phone)),
    Column(_("External ID"), lambda p: p.external_id),
    Column(_("Left the company"), lambda p: _("yes") if p.left_company else ""),
]


def company_rows(qs: QuerySet[Company]) -> QuerySet[Company]:
    return qs.select_related("industry", "region", "account_manager")


def contact_rows(qs: QuerySet[Contact]) -> QuerySet[Contact]:
    return qs.select_related("company")


def _values(columns: list[Column], objects: Iterable[Model]) -> Iterator[list[Any]]:
    for obj in objects:
        yield [neutralise(col.get(obj)) for col in columns]


# --- CSV --------------------------------------------------------------------------------------
def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal | float):
        # Russian Excel reads '1234,5' as a number and '1234.5' as text.
        return format(value, "f").replace(".", ",")
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(columns: list[Column], objects: Iterable[Model]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([str(c.title) for c in columns])
    for values in _values(columns, objects):
        yield writer.writerow([_csv_cell(v) for v in values])


# --- XLSX -------------------------------------------------------------------------------------
def write_xlsx(columns: list[Column], objects: Iterable[Model], title: str) -> IO[bytes]:
    """A workbook in a temporary file (openpyxl write-only mode streams rows to disk)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=str(col.title))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    date_cell_format = "DD.MM.YYYY"
    for values in _values(columns, objects):
        row: list[Any] = []
        for value in values:
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)  # type: ignore[arg-type]
                cell.number_format = date_cell_format
                row.append(cell)
            elif isinstance(value, str):
                cell = WriteOnlyCell(ws, value=value)
                # openpyxl takes any text starting with '=' for a formula; this one is text.
                cell.data_type = "s"
                row.append(cell)
            else:
                row.append(value)
        ws.append(row)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    wb.save(out)
    out.seek(0)
    return out


def iterate(qs: QuerySet[Any]) -> Iterator[Any]:
    return qs.iterator(chunk_size=CHUNK)


def record_export(*, by: Any, what: str, fmt: str, rows: int, params: dict[str, str]) -> None:
    audit.record(
        actor=by,
        action="clients.export",
        changes={"what": what, "format": fmt, "rows": rows, "filters": params},
    )
