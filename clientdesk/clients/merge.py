"""Merging two records that turned out to be one, so that nothing is lost.

Every row that points at the merged record moves to the survivor. The relations are found from
the model's metadata (`_meta.get_fields(include_hidden=True)`), not from a list kept here, so
that foreign keys added later by other apps (requests, surveys, campaigns...) move too. A merged
company is kept with `merged_into` set, so that old links and imports can follow it; a merged
contact is deleted once everything has moved (the MergeRecord keeps its snapshot).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.core import audit
from clientdesk.core.audit import _jsonable
from clientdesk.core.permissions import require_perm_or_403
from clientdesk.core.roles import Perm

from .models import (
    Company,
    Contact,
    ContactPoint,
    Contract,
    DuplicateCandidate,
    MergeRecord,
    Todo,
)
from .quality import company_completeness, contact_completeness
from .validators import normalise_name

Choice = Literal["survivor", "merged"]
# Kept by the survivor whatever is chosen: identity, bookkeeping and figures derived from it.
_NEVER_CHOSEN = {"id", "completeness", "verified_at", "erased_at", "created_at", "updated_at"}


class MergeError(ValidationError):
    """The merge cannot be done as asked; the message says why. Nothing was changed."""


def mergeable_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """Fields a person may pick a value for, in form order."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in _NEVER_CHOSEN
    ]


def _reverse_fks(model: type[models.Model]) -> Iterator[models.ForeignObjectRel]:
    """Every foreign key pointing at `model`, including hidden ones (related_name="+") and those
    of the through tables of many-to-many fields (tags, portal 'also sees')."""
    for rel in model._meta.get_fields(include_hidden=True):
        if isinstance(rel, models.ForeignObjectRel) and not rel.many_to_many:
            yield rel


def _relation_key(rel: models.ForeignObjectRel) -> str:
    related = rel.related_model
    assert isinstance(related, type)
    owner: Any = related._meta.auto_created  # the model owning the m2m field, or False
    if owner:
        # A many-to-many through table: name it after the many-to-many field.
        for m2m in owner._meta.many_to_many:
            if m2m.remote_field.through is related:
                if owner is rel.model:
                    return m2m.name
                return f"{owner._meta.label_lower}.{m2m.name}"
    if not rel.hidden:
        return rel.get_accessor_name() or related._meta.label_lower
    return f"{related._meta.label_lower}.{rel.field.name}"


def _move_rows(
    rel: models.ForeignObjectRel, qs: models.QuerySet[Any], survivor: models.Model
) -> tuple[int, int]:
    """Moves rows of `qs` to the survivor; returns (moved, left because of a uniqueness clash).

    One UPDATE when it can; row by row (each in a savepoint) when a unique constraint that
    includes the foreign key clashes, e.g. the same tag on both companies.
    """
    field = rel.field
    try:
        with transaction.atomic():
            return qs.update(**{field.attname: survivor.pk}), 0
    except IntegrityError:
        pass
    moved = clashed = 0
    for pk in list(qs.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                qs.model._base_manager.filter(pk=pk).update(**{field.attname: survivor.pk})
            moved += 1
        except IntegrityError:
            clashed += 1
    return moved, clashed


def _move_all(
    model: type[models.Model],
    merged: models.Model,
    survivor: models.Model,
    *,
    skip: set[str],
    prepare: dict[str, Callable[[models.QuerySet[Any]], models.QuerySet[Any]]],
    notes: list[str],
) -> tuple[dict[str, int], list[str]]:
    """Moves every reverse relation of `model`; returns counts and the relations that clashed."""
    moved: dict[str, int] = {}
    clashes: list[str] = []
    for rel in _reverse_fks(model):
        if rel.field.name in skip and rel.related_model is model:
            continue
        related = rel.related_model
        assert isinstance(related, type)
        key = _relation_key(rel)
        qs = related._base_manager.filter(**{rel.field.name: merged})
        if key in prepare:
            qs = prepare[key](qs)
        count, clashed = _move_rows(rel, qs, survivor)
        if clashed:
            if related._meta.auto_created:
                # The same link already exists on the survivor: the duplicate link adds nothing.
                qs.delete()
                notes.append(
                    _("%(key)s: %(n)s link(s) already present on the survivor were dropped.")
                    % {"key": key, "n": clashed}
                )
            else:
                clashes.append(key)
                notes.append(
                    _(
                        "%(key)s: %(n)s row(s) could not move (a uniqueness rule) and stay with "
                        "the merged record."
                    )
                    % {"key": key, "n": clashed}
                )
        if count:
            moved[key] = moved.get(key, 0) + count
    return moved, clashes


def _check_choices(model: type[models.Model], field_choices: dict[str, str]) -> None:
    allowed = {f.name for f in mergeable_fields(model)}
    for name, choice in field_choices.items():
        if name not in allowed:
            raise MergeError(_("“%(name)s” cannot be chosen in a merge.") % {"name": name})
        if choice not in ("survivor", "merged"):
            raise MergeError(
                _("For “%(name)s” choose “survivor” or “merged”, not “%(choice)s”.")
                % {"name": name, "choice": choice}
            )


def _snapshot(obj: models.Model) -> dict[str, Any]:
    return {f.name: _jsonable(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def _take_fields(
    survivor: models.Model, original: dict[str, Any], field_choices: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Copies the chosen values of the merged record (as it was) onto the survivor."""
    taken: dict[str, dict[str, Any]] = {}
    for name, choice in field_choices.items():
        if choice != "merged":
            continue
        field = survivor._meta.get_field(name)
        assert isinstance(field, models.Field)
        before = getattr(survivor, field.attname)
        after = original[name]
        if before != after:
            setattr(survivor, field.attname, after)
            taken[name] = {"from": _jsonable(before), "to": _jsonable(after)}
    return taken


def _close_candidates(kind: str, survivor_id: int, merged_id: int, by: Any) -> None:
    left, right = sorted((survivor_id, merged_id))
    now = timezone.now()
    DuplicateCandidate.objects.filter(kind=kind, left_id=left, right_id=right).update(
        status=DuplicateCandidate.Status.MERGED, decided_by=by, decided_at=now
    )
    # Other open pairs with the merged record point at something gone; the next run finds the
    # survivor's pairs afresh. Decided ones are history and stay.
    DuplicateCandidate.objects.filter(
        Q(left_id=merged_id) | Q(right_id=merged_id),
        kind=kind,
        status=DuplicateCandidate.Status.OPEN,
    ).delete()


# --- companies -------------------------------------------------------------------------------
def _free_contract_numbers(survivor: Company, merged: Company, notes: list[str]) -> int:
    """(company, number) is unique: a clashing number of the merged company gets a suffix."""
    own = set(Contract.objects.filter(company=survivor).values_list("number", flat=True))
    theirs = list(Contract.objects.filter(company=merged, number__in=own).order_by("id"))
    taken = own | set(Contract.objects.filter(company=merged).values_list("number", flat=True))
    for contract in theirs:
        n = 2
        while (candidate := f"{contract.number[:58]}-{n}") in taken:
            n += 1
        notes.append(
            _("Contract № %(old)s renumbered to № %(new)s: the survivor has a contract № %(old)s.")
            % {"old": contract.number, "new": candidate}
        )
        Contract.objects.filter(pk=contract.pk).update(number=candidate)
        taken.add(candidate)
    return len(theirs)


def _close_duplicate_verification(survivor: Company, merged: Company, notes: list[str]) -> None:
    """One open verification per company: the survivor's own stays, the merged one's closes."""
    open_verify = Q(kind=Todo.Kind.VERIFY, done_at__isnull=True)
    if Todo.objects.filter(open_verify, company=survivor).exists():
        closed = Todo.objects.filter(open_verify, company=merged).update(done_at=timezone.now())
        if closed:
            notes.append(_("The merged company's open verification to-do was closed."))


def _locked(model: type[models.Model], *pks: int) -> dict[int, Any]:
    return {o.pk: o for o in model._base_manager.select_for_update().filter(pk__in=pks)}


@transaction.atomic
def merge_companies(
    *,
    survivor: Company,
    merged: Company,
    field_choices: dict[str, str],
    by: Any,
    reason: str = "",
) -> MergeRecord:
    """Moves everything of `merged` to `survivor`, takes the chosen field values, and keeps
    `merged` as a pointer (merged_into). All or nothing."""
    require_perm_or_403(by, Perm.CLIENTS_MERGE)
    if survivor.pk == merged.pk:
        raise MergeError(_("A company cannot be merged with itself."))
    _check_choices(Company, field_choices)
    # Fresh, locked copies: the caller's instances may be stale, and a failure must not leave
    # them half-changed in memory either.
    rows = _locked(Company, survivor.pk, merged.pk)
    keep: Company = rows[survivor.pk]
    gone: Company = rows[merged.pk]
    if keep.merged_into_id or gone.merged_into_id:
        raise MergeError(_("One of these companies has already been merged into another."))

    original = _snapshot(gone)
    snapshot = {**original, "tags": sorted(gone.tags.values_list("name", flat=True))}
    notes: list[str] = []

    # The merged company leaves the unique (INN, KPP) set now; its external ID is freed only if
    # the survivor takes it, so that imports keyed by it still find (and follow) the old record.
    gone.merged_into = keep
    update = ["merged_into"]
    if field_choices.get("external_id") == "merged" and gone.external_id:
        gone.external_id = ""
        update.append("external_id")
    gone.save(update_fields=[*update, "updated_at"])

    taken = _take_fields(keep, original, field_choices)
    if keep.parent_id in (gone.pk, keep.pk):
        # The survivor was the merged company's child: it takes over its parent, never itself.
        keep.parent_id = original["parent"] if original["parent"] != keep.pk else None
    if {"legal_name", "short_name"} & set(taken):
        keep.search_name = normalise_name(keep.legal_name)
    try:
        with transaction.atomic():
            keep.save()
    except IntegrityError:
        raise MergeError(
            _(
                "Another company already has the INN and KPP (or external ID) chosen; pick the "
                "survivor's values or resolve that company first."
            )
        ) from None

    renumbered = _free_contract_numbers(keep, gone, notes)
    _close_duplicate_verification(keep, gone, notes)
    consents = Contact.objects.filter(company=gone).aggregate(n=models.Count("consents"))["n"]
    moved, _clashes = _move_all(
        Company,
        gone,
        keep,
        skip={"merged_into"},
        prepare={"children": lambda qs: qs.exclude(pk=keep.pk)},
        notes=notes,
    )
    # Records merged earlier into `gone` now point straight at the survivor.
    chained = Company.objects.filter(merged_into=gone).exclude(pk=keep.pk).update(merged_into=keep)
    if consents:
        moved["consents (with contacts)"] = consents
    if renumbered:
        moved["contracts renumbered"] = renumbered
    if chained:
        moved["earlier merges"] = chained
    if notes:
        moved["notes"] = notes  # type: ignore[assignment]

    keep.completeness = company_completeness(keep)[0]
    Company.objects.filter(pk=keep.pk).update(completeness=keep.completeness)
    _close_candidates(DuplicateCandidate.Kind.COMPANY, keep.pk, gone.pk, by)
    record = MergeRecord.objects.create(
        kind=DuplicateCandidate.Kind.COMPANY,
        survivor_id=keep.pk,
        merged_id=gone.pk,
        merged_snapshot=snapshot,
        fields_taken=taken,
        moved=moved,
        reason=reason[:300],
        merged_by=by,
    )
    changes = {"merge": record.pk, "survivor": keep.pk, "merged": gone.pk, "moved": moved}
    audit.record(actor=by, action="clients.company_merged", target=keep, changes=changes)
    audit.record(actor=by, action="clients.company_merged_into", target=gone, changes=changes)
    return record


# --- contacts --------------------------------------------------------------------------------
def _union_points(survivor: Contact, merged: Contact, notes: list[str]) -> int:
    """Drops the merged contact's phones and e-mails the survivor already has; a primary one
    stays primary only if the survivor has no primary of that kind."""
    have = set(survivor.points.values_list("kind", "value"))
    primary = set(survivor.points.filter(is_primary=True).values_list("kind", flat=True))
    dropped = 0
    for point in merged.points.all():
        if (point.kind, point.value) in have:
            point.delete()
            dropped += 1
        elif point.is_primary and point.kind in primary:
            ContactPoint.objects.filter(pk=point.pk).update(is_primary=False)
    if dropped:
        notes.append(
            _("%(n)s phone(s) or e-mail(s) already on the survivor were not copied.")
            % {"n": dropped}
        )
    return dropped


@transaction.atomic
def merge_contacts(
    *,
    survivor: Contact,
    merged: Contact,
    field_choices: dict[str, str],
    by: Any,
    reason: str = "",
) -> MergeRecord:
    """Moves phones, e-mails, consents, interactions, to-dos and anything else of `merged` to
    `survivor`, then deletes `merged` (its snapshot stays in the MergeRecord). All or nothing."""
    require_perm_or_403(by, Perm.CLIENTS_MERGE)
    if survivor.pk == merged.pk:
        raise MergeError(_("A contact cannot be merged with itself."))
    _check_choices(Contact, field_choices)
    rows = _locked(Contact, survivor.pk, merged.pk)
    keep: Contact = rows[survivor.pk]
    gone: Contact = rows[merged.pk]
    if keep.erased_at or gone.erased_at:
        raise MergeError(_("A contact whose personal data was erased cannot be merged."))

    original = _snapshot(gone)
    snapshot = {
        **original,
        "points": [[k, v] for k, v in gone.points.values_list("kind", "value")],
        "company_name": gone.company.display_name,
    }
    notes: list[str] = []
    dropped = _union_points(keep, gone, notes)
    moved, clashes = _move_all(Contact, gone, keep, skip=set(), prepare={}, notes=notes)
    if clashes:
        # Deleting the merged contact would delete these rows with it: refuse instead.
        raise MergeError(
            _("These records of the merged contact clash with the survivor's: %(what)s.")
            % {"what": ", ".join(clashes)}
        )
    if dropped:
        moved["points already present"] = dropped
    if notes:
        moved["notes"] = notes  # type: ignore[assignment]
    merged_pk = gone.pk
    audit.record(
        actor=by,
        action="clients.contact_merged_into",
        target=gone,
        changes={"survivor": keep.pk, "moved": moved},
    )
    # Freed before the survivor may take its external ID ((company, external ID) is unique).
    gone.delete()

    taken = _take_fields(keep, original, field_choices)
    if {"last_name", "first_name", "patronymic"} & set(taken):
        keep.search_name = normalise_name(keep.full_name)
    keep.completeness = contact_completeness(keep)[0]
    keep.save()
    _close_candidates(DuplicateCandidate.Kind.CONTACT, keep.pk, merged_pk, by)
    record = MergeRecord.objects.create(
        kind=DuplicateCandidate.Kind.CONTACT,
        survivor_id=keep.pk,
        merged_id=merged_pk,
        merged_snapshot=snapshot,
        fields_taken=taken,
        moved=moved,
        reason=reason[:300],
        merged_by=by,
    )
    audit.record(
        actor=by,
        action="clients.contact_merged",
        target=keep,
        changes={"merge": record.pk, "merged": merged_pk, "moved": moved},
    )
    return record
