"""Reviewing possible duplicates: compare side by side, merge or dismiss; and the merge log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from .. import dedupe, merge
from ..models import Company, Contact, DuplicateCandidate, MergeRecord

PAGE_SIZE = 30
SIDES = [("left", gettext_lazy("Left")), ("right", gettext_lazy("Right"))]
_COUNTED = {
    DuplicateCandidate.Kind.COMPANY: ["contacts", "interactions", "contracts", "revenue", "todos"],
    DuplicateCandidate.Kind.CONTACT: ["points", "consents", "interactions"],
}


_SPECIAL_KEYS = {
    "consents (with contacts)": gettext_lazy("consents (moved with the contacts)"),
    "contracts renumbered": gettext_lazy("contracts renumbered"),
    "earlier merges": gettext_lazy("records merged earlier, now pointing here"),
    "points already present": gettext_lazy("phones and e-mails already present"),
}


def _relation_label(model: type[models.Model], key: str) -> str:
    """A person's name for a relation key of MergeRecord.moved ("contacts", "portal.x.y")."""
    if key in _SPECIAL_KEYS:
        return str(_SPECIAL_KEYS[key])
    try:
        if "." in key:
            label, _dot, name = key.rpartition(".")
            owner = apps.get_model(label)
            field: Any = owner._meta.get_field(name)
            return f"{owner._meta.verbose_name_plural}: {field.verbose_name}"
        field = model._meta.get_field(key)
    except (LookupError, ValueError, FieldDoesNotExist):
        return key
    if isinstance(field, models.ForeignObjectRel):
        return str(field.related_model._meta.verbose_name_plural)
    return str(field.verbose_name)


def _model(kind: str) -> type[Company] | type[Contact]:
    return Company if kind == DuplicateCandidate.Kind.COMPANY else Contact


def _records(kind: str, ids: set[int]) -> dict[int, Any]:
    if kind == DuplicateCandidate.Kind.COMPANY:
        return Company.objects.filter(merged_into__isnull=True).in_bulk(ids)
    return Contact.objects.select_related("company").in_bulk(ids)


def _url(kind: str, obj: Any) -> str:
    if kind == DuplicateCandidate.Kind.COMPANY:
        return reverse("clients:company_detail", args=[obj.pk])
    return reverse("clients:contact_detail", args=[obj.pk])


@require_perm(Perm.CLIENTS_MERGE)
def duplicate_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in DuplicateCandidate.Kind.values:
        kind = ""
    page = Paginator(dedupe.open_candidates(kind), PAGE_SIZE).get_page(request.GET.get("page"))
    wanted: dict[str, set[int]] = {k: set() for k in DuplicateCandidate.Kind.values}
    for c in page:
        wanted[c.kind] |= {c.left_id, c.right_id}
    loaded = {k: _records(k, ids) if ids else {} for k, ids in wanted.items()}
    rows = [
        {
            "candidate": c,
            "left": loaded[c.kind].get(c.left_id),
            "right": loaded[c.kind].get(c.right_id),
        }
        for c in page
    ]
    return render(
        request,
        "clients/duplicates/list.html",
        {
            "title": _("Possible duplicates"),
            "page": page,
            "rows": rows,
            "kind": kind,
            "kinds": DuplicateCandidate.Kind.choices,
            "query": f"kind={kind}" if kind else "",
        },
    )


class MergeForm(forms.Form):
    """Which record survives, and per differing field which side's value is kept."""

    survivor = forms.ChoiceField(
        label=gettext_lazy("Keep as the surviving record"), choices=SIDES, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, field_names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field_names = field_names
        for name in field_names:
            self.fields[f"f_{name}"] = forms.ChoiceField(
                choices=SIDES, widget=forms.RadioSelect, required=False
            )

    def field_choices(self) -> dict[str, str]:
        # A field left unanswered keeps the survivor's value.
        survivor = self.cleaned_data["survivor"]
        return {
            name: "survivor" if self.cleaned_data[f"f_{name}"] in ("", survivor) else "merged"
            for name in self.field_names
        }


def _display(obj: Any, field: models.Field[Any, Any]) -> str:
    if field.is_relation:
        return str(getattr(obj, field.name) or "")
    value = getattr(obj, field.attname)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return "" if value is None else str(value)


def _comparison(kind: str, left: Any, right: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Rows of differing fields, and the initial form values: the survivor's value unless empty."""
    survivor = (
        "left" if (left.completeness, -left.pk) >= (right.completeness, -right.pk) else "right"
    )
    other = "right" if survivor == "left" else "left"
    initial = {"survivor": survivor}
    rows = []
    for field in merge.mergeable_fields(_model(kind)):
        a, b = getattr(left, field.attname), getattr(right, field.attname)
        if a == b:
            continue
        sides = {"left": a, "right": b}
        initial[f"f_{field.name}"] = survivor if sides[survivor] not in ("", None) else other
        rows.append(
            {
                "name": field.name,
                "label": capfirst(field.verbose_name),
                "left": _display(left, field),
                "right": _display(right, field),
            }
        )
    return rows, initial


def _load_pair(candidate: DuplicateCandidate) -> tuple[Any, Any]:
    records = _records(candidate.kind, {candidate.left_id, candidate.right_id})
    return records.get(candidate.left_id), records.get(candidate.right_id)


def _render_detail(
    request: HttpRequest, candidate: DuplicateCandidate, form: MergeForm | None = None
) -> HttpResponse:
    left, right = _load_pair(candidate)
    context: dict[str, Any] = {
        "title": _("Possible duplicate"),
        "candidate": candidate,
        "left": left,
        "right": right,
    }
    if left is not None and right is not None:
        rows, initial = _comparison(candidate.kind, left, right)
        form = form or MergeForm(initial=initial, field_names=[r["name"] for r in rows])
        for row in rows:
            row["field"] = form[f"f_{row['name']}"]
        context.update(
            rows=rows,
            form=form,
            left_url=_url(candidate.kind, left),
            right_url=_url(candidate.kind, right),
            counts=[
                (
                    capfirst(_relation_label(_model(candidate.kind), name)),
                    getattr(left, name).count(),
                    getattr(right, name).count(),
                )
                for name in _COUNTED[DuplicateCandidate.Kind(candidate.kind)]
            ],
        )
    return render(request, "clients/duplicates/detail.html", context, status=200)


@require_perm(Perm.CLIENTS_MERGE)
def duplicate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_object_or_404(DuplicateCandidate, pk=pk))


@require_POST
@require_perm(Perm.CLIENTS_MERGE)
def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(DuplicateCandidate, pk=pk, status=DuplicateCandidate.Status.OPEN)
    left, right = _load_pair(candidate)
    if left is None or right is None:
        messages.error(request, _("One of these records no longer exists; dismiss this pair."))
        return redirect("clients:duplicate_detail", pk=pk)
    rows, _initial = _comparison(candidate.kind, left, right)
    form = MergeForm(request.POST, field_names=[r["name"] for r in rows])
    if not form.is_valid():
        return _render_detail(request, candidate, form)
    survivor, merged = (left, right) if form.cleaned_data["survivor"] == "left" else (right, left)
    merge_fn = (
        merge.merge_companies
        if candidate.kind == DuplicateCandidate.Kind.COMPANY
        else merge.merge_contacts
    )
    try:
        record = merge_fn(
            survivor=survivor,
            merged=merged,
            field_choices=form.field_choices(),
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except merge.MergeError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _render_detail(request, candidate, form)
    messages.success(request, _("Merged. Everything of the merged record now belongs here."))
    return redirect("clients:merge_detail", pk=record.pk)


@require_POST
@require_perm(Perm.CLIENTS_MERGE)
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(DuplicateCandidate, pk=pk)
    dedupe.dismiss_candidate(candidate=candidate, by=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")  # the row disappears from the list
    messages.success(request, _("Marked as not a duplicate; it will not be proposed again."))
    return redirect("clients:duplicates")


@require_perm(Perm.CLIENTS_MERGE)
def merge_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(MergeRecord.objects.select_related("merged_by"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "clients/duplicates/merge_list.html", {"title": _("Merges"), "page": page}
    )


@require_perm(Perm.CLIENTS_MERGE)
def merge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(MergeRecord.objects.select_related("merged_by"), pk=pk)
    model = _model(record.kind)
    survivor = model._default_manager.filter(pk=record.survivor_id).first()
    moved = {k: v for k, v in record.moved.items() if k != "notes"}
    labels = {f.name: capfirst(f.verbose_name) for f in model._meta.concrete_fields}
    return render(
        request,
        "clients/duplicates/merge_detail.html",
        {
            "title": _("Merge"),
            "record": record,
            "survivor": survivor,
            "survivor_url": _url(record.kind, survivor) if survivor else "",
            "merged_url": (
                reverse("clients:company_detail", args=[record.merged_id])
                if record.kind == DuplicateCandidate.Kind.COMPANY
                else ""
            ),
            "moved": [(capfirst(_relation_label(model, k)), v) for k, v in sorted(moved.items())],
            "notes": record.moved.get("notes", []),
            "taken": [
                (labels.get(name, name), change.get("from"), change.get("to"))
                for name, change in record.fields_taken.items()
            ],
            "snapshot": [(labels.get(k, k), v) for k, v in record.merged_snapshot.items()],
        },
    )


urlpatterns = [
    path("", duplicate_list, name="duplicates"),
    path("<int:pk>/", duplicate_detail, name="duplicate_detail"),
    path("<int:pk>/merge/", duplicate_merge, name="duplicate_merge"),
    path("<int:pk>/dismiss/", duplicate_dismiss, name="duplicate_dismiss"),
    path("merges/", merge_list, name="merge_list"),
    path("merges/<int:pk>/", merge_detail, name="merge_detail"),
]
