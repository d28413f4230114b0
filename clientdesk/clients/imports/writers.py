"""Writing one batch of parsed rows: bulk look-ups of what exists, then bulk create/update.

Each writer issues a fixed number of queries per batch, whatever its size: one to resolve the
companies the rows refer to, one for the records that already exist, and the bulk writes.
Re-importing a file finds the records by their natural keys and updates them.
Contacts' phones and e-mails are mirrored into ContactPoint in the same batch, so that search
and the duplicate finder see imported contacts as they see those entered through the form.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import quality
from ..models import (
    Company,
    Contact,
    ContactPoint,
    Contract,
    Industry,
    Offering,
    Region,
    RevenueRecord,
)
from ..services import size_band_for
from ..validators import normalise_name
from . import bulk
from .rows import ParsedRow, RowParser

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")
WRITE_BATCH = 500


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _external(values: set[str]) -> Q | None:
    # Spelled like the partial unique index's condition, so that SQLite can use that index.
    return Q(external_id__in=values) & ~Q(external_id="") if values else None


def any_of(qs: QuerySet[Any, T], *conditions: Q | None) -> Iterable[T]:
    """Rows matching any condition, in one query. A UNION rather than an OR: with an OR across
    columns with different indexes SQLite scans the whole table, once per batch."""
    parts = [qs.filter(c).order_by() for c in conditions if c is not None]
    if not parts:
        return []
    if len(parts) == 1:
        return parts[0]
    return parts[0].union(*parts[1:])


class Pending(Generic[M]):
    """What a batch is going to write, and its counts."""

    def __init__(self) -> None:
        self.creates: list[M] = []
        self.updates: dict[int, M] = {}
        self.new: set[int] = set()
        self.result = BatchResult()

    def create(self, obj: M) -> M:
        self.creates.append(obj)
        self.new.add(id(obj))
        self.result.created += 1
        return obj

    def change(self, obj: M, changed: bool) -> bool:
        """Counts a row that matched `obj`; True if obj needs its derived fields recomputed."""
        if id(obj) in self.new:
            # The file names the same record twice: the later row wins, still one insert.
            self.result.updated += 1
            return True
        if changed:
            self.updates[obj.pk] = obj
            self.result.updated += 1
            return True
        self.result.unchanged += 1
        return False


class Completeness:
    """quality.missing_fields(obj, requirement)[0] for one model, with the fields looked up
    once per import instead of once per row and field: the same filled-or-not rule (None and
    blank text are missing), the same weights and rounding."""

    def __init__(self, model: type[models.Model], requirement: quality.Requirement) -> None:
        self.items = [
            (model._meta.get_field(name).attname, weight)  # type: ignore[union-attr]
            for name, weight in requirement.weights
        ]
        self.total = requirement.total

    def __call__(self, obj: models.Model) -> int:
        if not self.total:
            return 100
        lacking = 0
        for attname, weight in self.items:
            value = getattr(obj, attname)
            if value is None or (isinstance(value, str) and not value.strip()):
                lacking += weight
        return round(100 * (self.total - lacking) / self.total)


def _percent(obj: models.Model, completeness: Completeness | None) -> int:
    assert completeness is not None  # set by prepare()
    return completeness(obj)


class Writer(ABC, Generic[M]):
    model: type[M]
    # Model fields that columns of this kind may set (the import never clears a field: an
    # empty cell leaves the stored value alone).
    plain_fields: tuple[str, ...] = ()
    always_updated: tuple[str, ...] = ()

    def __init__(self, parser: RowParser) -> None:
        self.parser = parser
        self.update_fields = [f for f in self.plain_fields if f in parser.mapped]
        self.build = bulk.Builder(self.model)

    def prepare(self) -> None:
        """Loads small reference tables once per import."""

    @abstractmethod
    def apply(self, rows: list[ParsedRow], *, write: bool) -> BatchResult: ...

    def _write(self, creates: list[M], updates: list[M], fields: Iterable[str]) -> None:
        bulk.insert(self.model, creates)
        bulk.update(self.model, updates, sorted(set(fields) | set(self.always_updated)))

    def _assign(self, obj: M, values: dict[str, Any], names: Iterable[str]) -> bool:
        changed = False
        for name in names:
            if name in values and getattr(obj, name) != values[name]:
                setattr(obj, name, values[name])
                changed = True
        return changed


# --- reference tables -----------------------------------------------------------------------
def _region_key(name: str) -> str:
    text = normalise_name(name)
    text = re.sub(r"^(г|город)\s+", "", text.replace(".", " ")).strip()
    text = re.sub(r"\bобл\b", "область", text)
    return re.sub(r"\bresp\b|\bресп\b", "республика", " ".join(text.split()))


class References:
    def __init__(self) -> None:
        self.industries: dict[str, int] = {}
        self.regions: dict[str, int] = {}
        self.offerings: dict[str, int] = {}

    def load_industries(self) -> None:
        self.industries = dict(Industry.objects.values_list("code", "id"))

    def load_regions(self) -> None:
        for pk, code, name, name_en in Region.objects.values_list("id", "code", "name", "name_en"):
            self.regions[code.lower()] = pk
            for n in (name, name_en):
                if n:
                    self.regions[_region_key(n)] = pk

    def load_offerings(self) -> None:
        for pk, code, name, name_en in Offering.objects.values_list(
            "id", "code", "name", "name_en"
        ):
            for key in (code.lower(), normalise_name(name), normalise_name(name_en)):
                if key:
                    self.offerings.setdefault(key, pk)

    def industry(self, code: str) -> int | None:
        code = code.strip().rstrip(".")
        # A subclass (62.01.1) counts as its class (62.01) when only classes are loaded.
        while code:
            if code in self.industries:
                return self.industries[code]
            code = code.rpartition(".")[0]
        return None

    def region(self, text: str) -> int | None:
        return self.regions.get(text.strip().lower()) or self.regions.get(_region_key(text))

    def offering(self, text: str) -> int | None:
        return self.offerings.get(text.strip().lower()) or self.offerings.get(normalise_name(text))


# --- companies ------------------------------------------------------------------------------
class CompanyWriter(Writer[Company]):
    model = Company
    plain_fields = (
        "legal_name",
        "short_name",
        "legal_form",
        "inn",
        "kpp",
        "ogrn",
        "external_id",
        "country",
        "vat_number",
        "employees",
        "annual_revenue",
        "legal_address",
        "postal_address",
        "office_address",
        "website",
        "email",
        "phone",
        "status",
    )
    always_updated = ("search_name", "completeness", "updated_at")

    def __init__(self, parser: RowParser) -> None:
        super().__init__(parser)
        self.refs = References()
        self.completeness: Completeness | None = None
        self.sized = bool({"employees", "annual_revenue"} & parser.mapped)
        if self.sized:
            self.update_fields.append("size_band")
        if "legal_name" in parser.mapped:
            self.update_fields.append("legal_form")  # guessed from the name when not mapped
        if "industry" in parser.mapped:
            self.update_fields.append("industry")
        if "region" in parser.mapped:
            self.update_fields.append("region")

    def prepare(self) -> None:
        # Read the registry settings once, not once per row.
        self.completeness = Completeness(Company, quality.company_requirement())
        if "industry" in self.parser.mapped:
            self.refs.load_industries()
        if "region" in self.parser.mapped:
            self.refs.load_regions()

    def _resolve_references(self, row: ParsedRow) -> None:
        values = row.values
        if "industry" in values:
            industry_id = self.refs.industry(values["industry"])
            if industry_id is None:
                self.parser.error(
                    row,
                    "industry",
                    _("OKVED code %(code)s is not in the list of industries.")
                    % {"code": values["industry"]},
                )
            values["industry_id"] = industry_id
        if "region" in values:
            region_id = self.refs.region(values["region"])
            if region_id is None:
                self.parser.error(
                    row,
                    "region",
                    _("Region “%(region)s” is unknown: use its name or code (77 for Moscow).")
                    % {"region": values["region"]},
                )
            values["region_id"] = region_id

    def _existing(
        self, rows: list[ParsedRow]
    ) -> tuple[dict[str, Company], dict[str, list[Company]]]:
        inns = {r.values["inn"] for r in rows if r.values.get("inn")}
        external_ids = {r.values["external_id"] for r in rows if r.values.get("external_id")}
        by_ext: dict[str, Company] = {}
        by_inn: dict[str, list[Company]] = defaultdict(list)
        if inns or external_ids:
            for c in any_of(
                Company.objects.all(),
                Q(inn__in=inns, merged_into__isnull=True) if inns else None,
                _external(external_ids),
            ):
                if c.external_id:
                    by_ext[c.external_id] = c
                if c.inn and c.merged_into_id is None:
                    by_inn[c.inn].append(c)
        return by_ext, by_inn

    def apply(self, rows: list[ParsedRow], *, write: bool) -> BatchResult:
        valid = [r for r in rows if r.ok]
        by_ext, by_inn = self._existing(valid)
        fields = [f for f in self.update_fields if f not in {"industry", "region"}]
        fields += [f + "_id" for f in ("industry", "region") if f in self.update_fields]
        pending: Pending[Company] = Pending()
        now = timezone.now()
        for row in valid:
            self._resolve_references(row)
            target = self._find(row, by_ext, by_inn) if row.ok else None
            if not row.ok:
                continue
            if target is None:
                target = pending.create(
                    self.build({k: row.values[k] for k in fields if k in row.values})
                )
                self._finish(target, now)
            elif pending.change(target, self._assign(target, row.values, fields)):
                self._finish(target, now)
            if target.external_id:
                by_ext[target.external_id] = target
            if target.inn and target not in by_inn[target.inn]:
                by_inn[target.inn].append(target)
        if write:
            self._write(pending.creates, list(pending.updates.values()), fields)
        return pending.result

    def _finish(self, company: Company, now: datetime) -> None:
        company.search_name = normalise_name(company.legal_name)
        if self.sized:
            company.size_band = size_band_for(company.employees, company.annual_revenue)
        company.completeness = _percent(company, self.completeness)
        company.updated_at = now

    def _find(
        self, row: ParsedRow, by_ext: dict[str, Company], by_inn: dict[str, list[Company]]
    ) -> Company | None:
        values = row.values
        inn, kpp, ext = values.get("inn", ""), values.get("kpp"), values.get("external_id", "")
        same_inn = by_inn.get(inn, []) if inn else []
        by_key = [c for c in same_inn if kpp is None or c.kpp == kpp]
        if ext and ext in by_ext:
            target = by_ext[ext]
            if target.merged_into_id is not None:
                self.parser.error(
                    row,
                    "external_id",
                    _("The company with this external ID was merged into another record."),
                )
                return None
            clash = [c for c in same_inn if c is not target and c.kpp == (kpp or target.kpp)]
            if clash:
                self.parser.error(
                    row,
                    "inn",
                    _("INN %(inn)s and this KPP already belong to another company (%(name)s).")
                    % {"inn": inn, "name": clash[0].display_name},
                )
                return None
            return target
        if not inn:
            return None
        if kpp is None and len(by_key) > 1:
            self.parser.error(
                row,
                "inn",
                _("Several companies have INN %(inn)s: add a KPP column to tell them apart.")
                % {"inn": inn},
            )
            return None
        if by_key and ext and by_key[0].external_id and by_key[0].external_id != ext:
            self.parser.error(
                row,
                "external_id",
                _("The company with INN %(inn)s already has external ID %(ext)s.")
                % {"inn": inn, "ext": by_key[0].external_id},
            )
            return None
        return by_key[0] if by_key else None


# --- a company named by a row of another kind ------------------------------------------------
def resolve_companies(parser: RowParser, rows: list[ParsedRow]) -> dict[int, int]:
    """Row number → company id, one query for the batch; rows naming no known company get an
    error saying what to do."""
    inns = {r.values["company_inn"] for r in rows if r.ok and r.values.get("company_inn")}
    exts = {
        r.values["company_external_id"]
        for r in rows
        if r.ok and r.values.get("company_external_id")
    }
    by_ext: dict[str, int] = {}
    by_inn: dict[str, list[tuple[str, int]]] = defaultdict(list)
    if inns or exts:
        found = any_of(
            Company.objects.filter(merged_into__isnull=True).values_list(
                "id", "inn", "kpp", "external_id"
            ),
            Q(inn__in=inns) if inns else None,
            _external(exts),
        )
        for pk, found_inn, found_kpp, found_ext in found:
            if found_ext:
                by_ext[found_ext] = pk
            if found_inn:
                by_inn[found_inn].append((found_kpp, pk))
    resolved: dict[int, int] = {}
    for row in rows:
        if not row.ok:
            continue
        ext = row.values.get("company_external_id")
        inn = row.values.get("company_inn")
        kpp = row.values.get("company_kpp")
        if ext:
            if ext in by_ext:
                resolved[row.number] = by_ext[ext]
            else:
                parser.error(
                    row,
                    "company_external_id",
                    _("No company has external ID %(ext)s: import the companies first.")
                    % {"ext": ext},
                )
            continue
        candidates = [pk for k, pk in by_inn.get(inn or "", []) if kpp is None or k == kpp]
        if len(candidates) == 1:
            resolved[row.number] = candidates[0]
        elif not candidates:
            parser.error(
                row,
                "company_inn",
                _("No company with INN %(inn)s%(kpp)s is in the registry: import it first.")
                % {"inn": inn, "kpp": f" / {kpp}" if kpp else ""},
            )
        else:
            parser.error(
                row,
                "company_inn",
                _("Several companies have INN %(inn)s: add a column with the company's KPP.")
                % {"inn": inn},
            )
    return resolved


# --- contacts -------------------------------------------------------------------------------
class ContactWriter(Writer[Contact]):
    model = Contact
    plain_fields = (
        "last_name",
        "first_name",
        "patronymic",
        "position",
        "department",
        "email",
        "phone",
        "decision_role",
        "gender",
        "language",
        "external_id",
    )
    always_updated = ("search_name", "completeness", "updated_at")

    def __init__(self, parser: RowParser) -> None:
        super().__init__(parser)
        self.completeness: Completeness | None = None
        if "full_name" in parser.mapped:
            self.update_fields = sorted(
                set(self.update_fields) | {"last_name", "first_name", "patronymic"}
            )
        # Only the kinds the file brings: an unmapped column leaves the stored points alone.
        self.point_kinds = [
            k for k in (ContactPoint.Kind.PHONE, ContactPoint.Kind.EMAIL) if k in parser.mapped
        ]

    def prepare(self) -> None:
        self.completeness = Completeness(Contact, quality.contact_requirement())

    def apply(self, rows: list[ParsedRow], *, write: bool) -> BatchResult:
        companies = resolve_companies(self.parser, rows)
        valid = [r for r in rows if r.ok]
        for r in valid:
            r.values["search_name"] = normalise_name(
                " ".join(r.values.get(k, "") for k in ("last_name", "first_name", "patronymic"))
            )
        keys: dict[Hashable, Contact] = {}
        exts = {r.values["external_id"] for r in valid if r.values.get("external_id")}
        emails = {r.values["email"] for r in valid if r.values.get("email")}
        names = {r.values["search_name"] for r in valid}
        if valid:
            existing = Contact.objects.filter(
                company_id__in=set(companies.values()), erased_at__isnull=True
            ).filter(Q(external_id__in=exts) | Q(email__in=emails) | Q(search_name__in=names))
            for c in existing.order_by("id"):
                self._remember(keys, c)
        pending: Pending[Contact] = Pending()
        touched: dict[int, Contact] = {}
        now = timezone.now()
        for row in valid:
            values = row.values
            company_id = companies[row.number]
            target = self._find(keys, company_id, values)
            if target is None:
                fields = {k: values[k] for k in self.update_fields if k in values}
                target = pending.create(self.build({"company_id": company_id, **fields}))
                self._finish(target, values, now)
            elif pending.change(target, self._assign(target, values, self.update_fields)):
                self._finish(target, values, now)
            self._remember(keys, target)
            touched.setdefault(id(target), target)
        if write:
            self._write_contacts(pending, list(touched.values()))
        return pending.result

    def _write_contacts(self, pending: Pending[Contact], touched: list[Contact]) -> None:
        updates = list(pending.updates.values())
        if not self.point_kinds:
            self._write(pending.creates, updates, self.update_fields)
            return
        # The contact points need the new primary keys.
        bulk.insert_returning_pks(Contact, pending.creates)
        self._write([], updates, self.update_fields)
        sync_points(touched, self.point_kinds, new={c.pk for c in pending.creates})

    @staticmethod
    def _remember(keys: dict[Hashable, Contact], c: Contact) -> None:
        if c.external_id:
            keys.setdefault(("ext", c.company_id, c.external_id), c)
        if c.email:
            keys.setdefault(("email", c.company_id, c.email.lower()), c)
        if c.search_name:
            keys.setdefault(("name", c.company_id, c.search_name), c)

    @staticmethod
    def _find(
        keys: dict[Hashable, Contact], company_id: int, values: dict[str, Any]
    ) -> Contact | None:
        ext = values.get("external_id", "")
        if ext and (found := keys.get(("ext", company_id, ext))):
            return found
        for key in (
            ("email", company_id, values.get("email", "").lower()),
            ("name", company_id, values["search_name"]),
        ):
            found = keys.get(key) if key[2] else None
            # A contact that carries another external ID is another person of the source system.
            if found and not (ext and found.external_id and found.external_id != ext):
                return found
        return None

    def _finish(self, contact: Contact, values: dict[str, Any], now: datetime) -> None:
        contact.search_name = values["search_name"]
        contact.completeness = _percent(contact, self.completeness)
        contact.updated_at = now


def _point_value(contact: Contact, kind: str) -> str:
    if kind == ContactPoint.Kind.EMAIL:
        return contact.email.lower()
    return contact.phone


def sync_points(
    contacts: Sequence[Contact], kinds: Sequence[str], *, new: Collection[int] = ()
) -> None:
    """Mirrors the contacts' phone and e-mail into ContactPoint as services._sync_points does
    for a form that leaves the other phones and e-mails alone: the field's value becomes the
    primary point, the previous primary point of that kind is replaced, the further
    (non-primary) points stay. An empty field leaves the points of its kind alone, as an empty
    cell leaves the field. One query reads the batch's points, a few write the difference;
    contacts in `new` were inserted by this batch and have no points to read."""
    existing: dict[tuple[int, str], list[tuple[int, str, bool]]] = defaultdict(list)
    ids = [c.pk for c in contacts if c.pk not in new]
    if ids:
        for pk, contact_id, kind, value, is_primary in ContactPoint.objects.filter(
            contact_id__in=ids, kind__in=kinds
        ).values_list("id", "contact_id", "kind", "value", "is_primary"):
            existing[(contact_id, kind)].append((pk, value, is_primary))
    creates: list[tuple[int, str, str, bool]] = []
    promote: list[int] = []
    remove: list[int] = []
    for contact in contacts:
        for kind in kinds:
            main = _point_value(contact, kind)
            if not main:
                continue
            points = existing.get((contact.pk, kind))
            if not points:
                # The usual case on a first import: nothing to compare with.
                creates.append((contact.pk, kind, main, True))
                continue
            promote += [pk for pk, value, primary in points if value == main and not primary]
            remove += [pk for pk, value, primary in points if value != main and primary]
            if all(value != main for _pk, value, _primary in points):
                creates.append((contact.pk, kind, main, True))
    if remove:
        ContactPoint.objects.filter(pk__in=remove).delete()
    if promote:
        ContactPoint.objects.filter(pk__in=promote).update(is_primary=True)
    # ignore_conflicts: a point another request added meanwhile is the same point.
    bulk.insert_values(
        ContactPoint, ("contact_id", "kind", "value", "is_primary"), creates, ignore_conflicts=True
    )


# --- contracts ------------------------------------------------------------------------------
class ContractWriter(Writer[Contract]):
    model = Contract
    plain_fields = (
        "title",
        "signed_on",
        "starts_on",
        "ends_on",
        "value",
        "currency",
        "status",
    )

    def __init__(self, parser: RowParser) -> None:
        super().__init__(parser)
        self.refs = References()

    def prepare(self) -> None:
        if "offerings" in self.parser.mapped:
            self.refs.load_offerings()

    def apply(self, rows: list[ParsedRow], *, write: bool) -> BatchResult:
        companies = resolve_companies(self.parser, rows)
        offerings: dict[int, list[int]] = {}
        for row in rows:
            if row.ok and row.values.get("offerings"):
                ids = []
                for code in row.values["offerings"]:
                    pk = self.refs.offering(code)
                    if pk is None:
                        self.parser.error(
                            row,
                            "offerings",
                            _(
                                "Service “%(code)s” is unknown: "
                                "use a code from the list of services."
                            )
                            % {"code": code},
                        )
                    ids.append(pk)
                offerings[row.number] = [pk for pk in ids if pk is not None]
        valid = [r for r in rows if r.ok]
        existing: dict[tuple[int, str], Contract] = {}
        if valid:
            qs = Contract.objects.filter(
                company_id__in={companies[r.number] for r in valid},
                number__in={r.values["number"] for r in valid},
            )
            existing = {(c.company_id, c.number): c for c in qs}
        result = BatchResult()
        creates: list[Contract] = []
        updates: dict[int, Contract] = {}
        links: list[tuple[Contract, list[int]]] = []
        for row in valid:
            key = (companies[row.number], row.values["number"])
            target = existing.get(key)
            if target is None:
                target = Contract(
                    company_id=key[0],
                    number=key[1],
                    **{k: row.values[k] for k in self.update_fields if k in row.values},
                )
                creates.append(target)
                existing[key] = target
                result.created += 1
            elif self._assign(target, row.values, self.update_fields):
                if target.pk:
                    updates[target.pk] = target
                result.updated += 1
            else:
                result.unchanged += 1
            if offerings.get(row.number):
                links.append((target, offerings[row.number]))
        if write:
            # bulk_create, not bulk.insert: the offering links need the new primary keys.
            Contract.objects.bulk_create(creates, batch_size=WRITE_BATCH)
            bulk.update(Contract, list(updates.values()), self.update_fields)
            through = Contract.offerings.through
            through.objects.bulk_create(
                [through(contract_id=c.pk, offering_id=o) for c, ids in links for o in ids],
                ignore_conflicts=True,
                batch_size=WRITE_BATCH,
            )
        return result


# --- revenue --------------------------------------------------------------------------------
class RevenueWriter(Writer[RevenueRecord]):
    model = RevenueRecord
    plain_fields = ("date", "amount", "currency", "amount_base", "cost", "external_id")

    def __init__(self, parser: RowParser) -> None:
        super().__init__(parser)
        self.refs = References()
        self.update_fields = sorted(set(self.update_fields) | {"currency", "amount_base"})
        if "offering" in parser.mapped:
            self.update_fields.append("offering_id")
        if "contract" in parser.mapped:
            self.update_fields.append("contract_id")

    def prepare(self) -> None:
        if "offering" in self.parser.mapped:
            self.refs.load_offerings()

    def _resolve(self, rows: list[ParsedRow], companies: dict[int, int]) -> None:
        numbers = {r.values["contract"] for r in rows if r.ok and r.values.get("contract")}
        contracts: dict[tuple[int, str], int] = {}
        if numbers:
            qs = Contract.objects.filter(
                company_id__in=set(companies.values()), number__in=numbers
            ).values_list("company_id", "number", "id")
            contracts = {(c, n): pk for c, n, pk in qs}
        for row in rows:
            if not row.ok:
                continue
            values = row.values
            if "offering" in values:
                values["offering_id"] = self.refs.offering(values["offering"])
                if values["offering_id"] is None:
                    self.parser.error(
                        row,
                        "offering",
                        _("Service “%(code)s” is unknown: use a code from the list of services.")
                        % {"code": values["offering"]},
                    )
            if "contract" in values:
                values["contract_id"] = contracts.get((companies[row.number], values["contract"]))
                if values["contract_id"] is None:
                    self.parser.error(
                        row,
                        "contract",
                        _("This company has no contract No. %(number)s.")
                        % {"number": values["contract"]},
                    )

    def apply(self, rows: list[ParsedRow], *, write: bool) -> BatchResult:
        companies = resolve_companies(self.parser, rows)
        self._resolve(rows, companies)
        valid = [r for r in rows if r.ok]
        by_ext: dict[str, RevenueRecord] = {}
        by_key: dict[tuple[Any, ...], RevenueRecord] = {}
        if valid:
            exts = {r.values["external_id"] for r in valid if r.values.get("external_id")}
            dates = {r.values["date"] for r in valid}
            qs = any_of(
                RevenueRecord.objects.all(),
                _external(exts),
                Q(company_id__in=set(companies.values()), date__in=dates),
            )
            for rec in sorted(qs, key=lambda r: r.pk):
                if rec.external_id:
                    by_ext[rec.external_id] = rec
                by_key.setdefault(
                    self._key(rec.company_id, rec.date, rec.amount, rec.offering_id), rec
                )
        result = BatchResult()
        creates: list[RevenueRecord] = []
        updates: dict[int, RevenueRecord] = {}
        for row in valid:
            values = row.values
            company_id = companies[row.number]
            key = self._key(company_id, values["date"], values["amount"], values.get("offering_id"))
            ext = values.get("external_id", "")
            target = by_ext.get(ext) if ext else None
            if target is None and not (ext and by_key.get(key) and by_key[key].external_id):
                target = by_key.get(key)
            if target is not None and target.company_id != company_id:
                self.parser.error(
                    row,
                    "external_id",
                    _("A revenue record with external ID %(ext)s belongs to another company.")
                    % {"ext": ext},
                )
                continue
            if target is None:
                target = RevenueRecord(
                    company_id=company_id,
                    **{k: values[k] for k in self.update_fields if k in values},
                )
                creates.append(target)
                result.created += 1
            elif self._assign(target, values, self.update_fields):
                if target.pk:
                    updates[target.pk] = target
                result.updated += 1
            else:
                result.unchanged += 1
            if target.external_id:
                by_ext[target.external_id] = target
            by_key.setdefault(key, target)
        if write:
            self._write(creates, list(updates.values()), self.update_fields)
        return result

    @staticmethod
    def _key(company_id: int, date: Any, amount: Any, offering_id: int | None) -> tuple[Any, ...]:
        return (company_id, date, amount, offering_id)


WRITERS: dict[str, type[Writer[Any]]] = {
    "companies": CompanyWriter,
    "contacts": ContactWriter,
    "contracts": ContractWriter,
    "revenue": RevenueWriter,
}
