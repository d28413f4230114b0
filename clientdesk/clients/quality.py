"""Completeness and staleness of registry records.

"Complete" is configured in RegistrySettings (which fields count, optionally with weights);
"current" means verified by a person within `stale_after_months`. The quality page, the
nightly recompute and the staleness job all read these functions, so a record is judged the
same way everywhere.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from clientdesk.core import audit

from .models import Company, CompanyStatus, Contact, RegistrySettings, Todo

DEFAULT_COMPANY_FIELDS: dict[str, int] = {
    "inn": 2,
    "kpp": 1,
    "ogrn": 1,
    "industry": 1,
    "region": 1,
    "legal_address": 1,
    "phone": 1,
    "email": 1,
    "account_manager": 2,
}
DEFAULT_CONTACT_FIELDS: dict[str, int] = {
    "position": 1,
    "decision_role": 1,
    "phone": 1,
    "email": 1,
}
# Maintained by services, never typed by people: counting them would only confuse the score.
_NOT_COUNTABLE = {
    "id",
    "search_name",
    "completeness",
    "verified_at",
    "merged_into",
    "created_at",
    "updated_at",
    "erased_at",
}
BATCH_SIZE = 1000
VERIFY_SOURCE = "clients.quality.stale"


@dataclass(frozen=True)
class Requirement:
    """Which fields of a model count, with their weights (already checked against the model)."""

    weights: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(w for _name, w in self.weights)


def _parse_required(model: type[models.Model], value: Any) -> dict[str, int]:
    """Accepts ["inn", "kpp"], {"inn": 2, "kpp": 1} or [{"field": "inn", "weight": 2}]."""
    weights: dict[str, int] = {}
    if isinstance(value, Mapping):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list | tuple):
        items = [
            (v.get("field"), v.get("weight", 1)) if isinstance(v, Mapping) else (v, 1)
            for v in value
        ]
    else:
        raise ValidationError(_("Required fields must be a list of field names."))
    for name, weight in items:
        field = _countable_field(model, name)
        if field is None:
            raise ValidationError(
                _("“%(name)s” is not a field of %(model)s that can be required.")
                % {"name": name, "model": model._meta.verbose_name}
            )
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
            raise ValidationError(
                _("The weight of “%(name)s” must be a whole number of 1 or more.") % {"name": name}
            )
        weights[field.name] = weight
    return weights


def _countable_field(model: type[models.Model], name: Any) -> models.Field[Any, Any] | None:
    if not isinstance(name, str) or name in _NOT_COUNTABLE:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    # Only columns of the row itself: the score must cost no query per record.
    if not isinstance(field, models.Field) or not field.concrete or field.many_to_many:
        return None
    return field


def clean_required_fields(model: type[models.Model], value: Any) -> dict[str, int]:
    """For the settings form and admin: the configured fields, or a message saying what to fix."""
    return _parse_required(model, value)


def _requirement(
    model: type[models.Model], configured: Any, default: dict[str, int]
) -> Requirement:
    weights: dict[str, int] = {}
    if configured:
        try:
            weights = _parse_required(model, configured)
        except ValidationError:
            # A bad setting must not take the registry down: fall back to the defaults.
            weights = {}
    return Requirement(tuple((weights or default).items()))


def company_requirement(registry: RegistrySettings | None = None) -> Requirement:
    registry = registry or RegistrySettings.load()
    return _requirement(Company, registry.company_required_fields, DEFAULT_COMPANY_FIELDS)


def contact_requirement(registry: RegistrySettings | None = None) -> Requirement:
    registry = registry or RegistrySettings.load()
    return _requirement(Contact, registry.contact_required_fields, DEFAULT_CONTACT_FIELDS)


def _is_filled(obj: models.Model, name: str) -> bool:
    field = obj._meta.get_field(name)
    value = getattr(obj, field.attname)  # type: ignore[union-attr]
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def missing_fields(obj: models.Model, requirement: Requirement) -> tuple[int, list[str]]:
    """Percent filled (weighted) and the names of the missing fields, in configured order."""
    missing = [name for name, _w in requirement.weights if not _is_filled(obj, name)]
    total = requirement.total
    if not total:
        return 100, []
    lacking = sum(w for name, w in requirement.weights if name in missing)
    return round(100 * (total - lacking) / total), missing


def field_labels(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [str(capfirst(model._meta.get_field(n).verbose_name)) for n in names]  # type: ignore[union-attr]


def company_completeness(
    company: Company, *, requirement: Requirement | None = None
) -> tuple[int, list[str]]:
    """Percentage of required fields filled, and the labels of the missing ones."""
    percent, missing = missing_fields(company, requirement or company_requirement())
    return percent, field_labels(Company, missing)


def contact_completeness(
    contact: Contact, *, requirement: Requirement | None = None
) -> tuple[int, list[str]]:
    percent, missing = missing_fields(contact, requirement or contact_requirement())
    return percent, field_labels(Contact, missing)


def _recompute(qs: QuerySet[Any], model: type[models.Model], requirement: Requirement) -> int:
    names = [n for n, _w in requirement.weights]
    columns = ["id", "completeness", *(model._meta.get_field(n).attname for n in names)]  # type: ignore[union-attr]
    changed = 0
    last_id = 0
    while True:
        # Keyset pagination: stable and cheap however large the table.
        batch = list(qs.filter(id__gt=last_id).order_by("id").only(*columns)[:BATCH_SIZE])
        if not batch:
            return changed
        last_id = batch[-1].pk
        dirty = []
        for obj in batch:
            percent, _missing = missing_fields(obj, requirement)
            if obj.completeness != percent:
                obj.completeness = percent
                dirty.append(obj)
        if dirty:
            # A derived figure, not a change of client data: no audit rows, no updated_at bump.
            model._default_manager.bulk_update(dirty, ["completeness"], batch_size=BATCH_SIZE)
            changed += len(dirty)


def recompute_completeness(company_ids: Iterable[int] | None = None) -> int:
    """Stores the score of companies (and their contacts); returns how many records changed."""
    registry = RegistrySettings.load()
    companies = Company.objects.filter(merged_into__isnull=True)
    contacts = Contact.objects.all()
    if company_ids is not None:
        ids = list(company_ids)
        companies = companies.filter(id__in=ids)
        contacts = contacts.filter(company_id__in=ids)
    return _recompute(companies, Company, company_requirement(registry)) + _recompute(
        contacts, Contact, contact_requirement(registry)
    )


# --- staleness -------------------------------------------------------------------------------
def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def stale_cutoff(
    now: datetime.datetime | None = None, registry: RegistrySettings | None = None
) -> datetime.datetime:
    registry = registry or RegistrySettings.load()
    return months_before(now or timezone.now(), registry.stale_after_months)


def stale_q(cutoff: datetime.datetime) -> Q:
    # A company never verified becomes stale once it has existed for the whole period.
    return Q(verified_at__lt=cutoff) | Q(verified_at__isnull=True, created_at__lt=cutoff)


def _open_verification() -> Q:
    return Q(kind=Todo.Kind.VERIFY, done_at__isnull=True)


def flag_stale_records(now: datetime.datetime | None = None) -> int:
    """Opens one verification to-do per stale company; returns how many were opened.

    Safe to run twice and concurrently: the partial unique constraint keeps one open
    verification per company and `ignore_conflicts` turns the loser's insert into a no-op.
    """
    now = now or timezone.now()
    cutoff = stale_cutoff(now)
    open_todo = Todo.objects.filter(_open_verification(), company_id=OuterRef("pk"))
    stale = (
        Company.objects.filter(stale_q(cutoff), merged_into__isnull=True)
        .exclude(status=CompanyStatus.LOST)
        .exclude(Exists(open_todo))
        .only("id", "legal_name", "short_name", "account_manager_id")
        .order_by("id")
    )
    due = (now + datetime.timedelta(days=14)).date()
    created = 0
    # Titles are stored, so they are written in the site's language, not a request's.
    with translation.override(settings.LANGUAGE_CODE):
        last_id = 0
        while True:
            batch = list(stale.filter(id__gt=last_id)[:BATCH_SIZE])
            if not batch:
                break
            last_id = batch[-1].pk
            created += _open_verifications(batch, due=due, now=now)
    return created


@transaction.atomic
def _open_verifications(
    companies: list[Company], *, due: datetime.date, now: datetime.datetime
) -> int:
    ids = [c.pk for c in companies]
    before = set(
        Todo.objects.filter(_open_verification(), company_id__in=ids).values_list("id", flat=True)
    )
    Todo.objects.bulk_create(
        [
            Todo(
                company=c,
                assignee_id=c.account_manager_id,
                kind=Todo.Kind.VERIFY,
                title=_("Verify the data of %(company)s") % {"company": c.display_name},
                due_on=due,
                source=VERIFY_SOURCE,
            )
            for c in companies
        ],
        ignore_conflicts=True,
    )
    # bulk_create with ignore_conflicts gives no ids back: find what this run really opened.
    opened = list(
        Todo.objects.filter(_open_verification(), company_id__in=ids)
        .exclude(id__in=before)
        .select_related("company")
    )
    audit.record_many(
        actor=None,
        action="clients.verification_requested",
        targets=[t.company for t in opened],
        changes={"todo": "verify", "stale_since": now.isoformat()},
    )
    return len(opened)


@transaction.atomic
def mark_verified(*, company: Company, by: Any) -> Company:
    """A person confirmed the record is current: stamp it and close its verification to-do."""
    now = timezone.now()
    before = company.verified_at
    company.verified_at = now
    company.completeness = company_completeness(company)[0]
    Company.objects.filter(pk=company.pk).update(verified_at=now, completeness=company.completeness)
    closed = Todo.objects.filter(_open_verification(), company=company).update(done_at=now)
    audit.record(
        actor=by,
        action="clients.company_verified",
        target=company,
        changes={"verified_at": [before, now], "todos_closed": closed},
    )
    return company


# --- the quality page (reads) ----------------------------------------------------------------
def quality_queryset(
    *,
    cutoff: datetime.datetime,
    account_manager_id: int | None = None,
    status: str = "",
) -> QuerySet[Company]:
    """Companies, worst first: least complete, then stale before current, oldest check first."""
    qs = Company.objects.filter(merged_into__isnull=True)
    if account_manager_id:
        qs = qs.filter(account_manager_id=account_manager_id)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        # CASE, not the bare condition: in SQL a NULL verified_at makes the condition NULL, and
        # PostgreSQL sorts NULL before TRUE in descending order.
        is_stale=models.Case(
            models.When(stale_q(cutoff), then=models.Value(True)),
            default=models.Value(False),
            output_field=models.BooleanField(),
        ),
        has_open_verification=Exists(
            Todo.objects.filter(_open_verification(), company_id=OuterRef("pk"))
        ),
    ).order_by("completeness", "-is_stale", models.F("verified_at").asc(nulls_first=True), "id")


def quality_summary(qs: QuerySet[Company], *, cutoff: datetime.datetime) -> dict[str, int]:
    base = qs.order_by()
    figures = base.aggregate(
        total=Count("id"),
        below_half=Count("id", filter=Q(completeness__lt=50)),
        stale=Count("id", filter=stale_q(cutoff)),
    )
    figures["open_verifications"] = Todo.objects.filter(
        _open_verification(), company__in=base.values("id")
    ).count()
    return {k: int(v or 0) for k, v in figures.items()}
