"""Rule-based segments: a registry of fields a filter may use, validation, and evaluation.

A rule set is `{"match": "all" | "any", "conditions": [{"field", "op", "value"}, ...]}`.
It is evaluated live into a Company queryset: company fields filter the company itself, segment
fields filter through the company's row in the current run (a company without a row in that run
matches no segment condition, whichever the operator), tags through the tag table.

Other domains add fields without this module knowing them: the surveys domain calls
`register_field(FieldSpec(name="satisfaction", ..., build=its_q_builder))` at start-up, and the
builder and the evaluation pick it up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientdesk.clients.models import Company, CompanyStatus, GroupRole, SizeBand

from .models import ABC_CHOICES, XYZ_CHOICES, CompanySegment, Lifecycle, RfmSegment

OPS: dict[str, Promise] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "contains": gettext_lazy("contains"),
    "has": gettext_lazy("has"),
    "has_not": gettext_lazy("has not"),
}
KIND_OPS = {
    "choice": ("eq", "ne", "in", "not_in"),
    "text": ("eq", "ne", "in", "not_in", "contains"),
    "number": ("eq", "ne", "gt", "gte", "lt", "lte"),
    "tag": ("has", "has_not"),
}
_SUFFIX = {"eq": "", "in": "__in", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte"}
_SUFFIX |= {"contains": "__icontains", "ne": "", "not_in": "__in"}
_NEGATED = {"ne", "not_in", "has_not"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str | Promise
    kind: str  # choice | text | number | tag
    target: str = "company"  # company | segment | custom
    lookup: str = ""
    choices: Callable[[], list[tuple[Any, Any]]] | None = None
    # For target="custom": (op, value, run_id) -> Q over Company.
    build: Callable[[str, Any, int | None], Q] | None = field(default=None, compare=False)

    @property
    def ops(self) -> tuple[str, ...]:
        return KIND_OPS[self.kind]


FIELDS: dict[str, FieldSpec] = {}


def register_field(spec: FieldSpec) -> None:
    if spec.kind not in KIND_OPS:
        raise ValueError(f"Unknown field kind {spec.kind!r}")
    FIELDS[spec.name] = spec


def _static(choices: list[tuple[Any, Any]]) -> Callable[[], list[tuple[Any, Any]]]:
    return lambda: choices


for _spec in (
    FieldSpec(
        "status",
        gettext_lazy("Status"),
        "choice",
        lookup="status",
        choices=_static(CompanyStatus.choices),
    ),
    FieldSpec(
        "size_band",
        gettext_lazy("Size"),
        "choice",
        lookup="size_band",
        choices=_static(SizeBand.choices),
    ),
    FieldSpec(
        "industry_section",
        gettext_lazy("Industry section (OKVED letter)"),
        "text",
        lookup="industry__section",
    ),
    FieldSpec("industry", gettext_lazy("Industry code (OKVED)"), "text", lookup="industry__code"),
    FieldSpec("region", gettext_lazy("Region code"), "text", lookup="region__code"),
    FieldSpec(
        "group_role",
        gettext_lazy("Role in group"),
        "choice",
        lookup="group_role",
        choices=_static(GroupRole.choices),
    ),
    FieldSpec("parent", gettext_lazy("Parent company ID"), "number", lookup="parent_id"),
    FieldSpec(
        "account_manager",
        gettext_lazy("Key account manager ID"),
        "number",
        lookup="account_manager_id",
    ),
    FieldSpec("completeness", gettext_lazy("Completeness, %"), "number", lookup="completeness"),
    FieldSpec("employees", gettext_lazy("Employees"), "number", lookup="employees"),
    FieldSpec(
        "annual_revenue", gettext_lazy("Annual revenue, RUB"), "number", lookup="annual_revenue"
    ),
    FieldSpec("name", gettext_lazy("Name"), "text", lookup="search_name"),
    FieldSpec("tag", gettext_lazy("Tag"), "tag"),
    FieldSpec("abc", "ABC", "choice", "segment", "abc", _static(ABC_CHOICES)),
    FieldSpec(
        "abc_margin",
        gettext_lazy("ABC by margin"),
        "choice",
        "segment",
        "abc_margin",
        _static(ABC_CHOICES),
    ),
    FieldSpec("xyz", "XYZ", "choice", "segment", "xyz", _static(XYZ_CHOICES)),
    FieldSpec(
        "rfm_segment",
        gettext_lazy("RFM segment"),
        "choice",
        "segment",
        "rfm_segment",
        _static(RfmSegment.choices),
    ),
    FieldSpec("r", gettext_lazy("R score"), "number", "segment", "r"),
    FieldSpec("f", gettext_lazy("F score"), "number", "segment", "f"),
    FieldSpec("m", gettext_lazy("M score"), "number", "segment", "m"),
    FieldSpec(
        "lifecycle",
        gettext_lazy("Lifecycle"),
        "choice",
        "segment",
        "lifecycle",
        _static(Lifecycle.choices),
    ),
    FieldSpec("cluster", gettext_lazy("Cluster"), "number", "segment", "cluster"),
    FieldSpec("churn_risk", gettext_lazy("Churn risk (0–100)"), "number", "segment", "churn_risk"),
    FieldSpec("revenue", gettext_lazy("Revenue in period, RUB"), "number", "segment", "revenue"),
    FieldSpec(
        "value_expected", gettext_lazy("Expected value, RUB"), "number", "segment", "value_expected"
    ),
):
    register_field(_spec)


def _coerce(spec: FieldSpec, op: str, value: Any) -> Any:
    def one(v: Any) -> Any:
        if spec.kind == "number":
            try:
                return Decimal(str(v).strip().replace(",", ".").replace(" ", ""))
            except (InvalidOperation, ValueError):
                raise ValidationError(
                    _("“%(value)s” is not a number: enter a number for “%(field)s”.")
                    % {"value": v, "field": spec.label}
                ) from None
        text = str(v).strip()
        if spec.choices is not None and spec.kind == "choice":
            allowed = {str(c[0]) for c in spec.choices()}
            if text not in allowed:
                raise ValidationError(
                    _("“%(value)s” is not a valid choice for “%(field)s”.")
                    % {"value": text, "field": spec.label}
                )
        return text

    if op in ("in", "not_in"):
        items = value if isinstance(value, list) else str(value).split(",")
        items = [i for i in items if str(i).strip() != ""]
        if not items:
            raise ValidationError(
                _("Choose at least one value for “%(field)s”.") % {"field": spec.label}
            )
        return [one(i) for i in items]
    if value is None or str(value).strip() == "":
        if spec.kind in ("choice", "text") and op in ("eq", "ne"):
            return ""
        raise ValidationError(_("Enter a value for “%(field)s”.") % {"field": spec.label})
    return one(value)


def validate(data: Any) -> dict[str, Any]:
    """Checks a rule set and returns it normalised; errors say which condition to fix."""
    if not isinstance(data, dict):
        raise ValidationError(_("Conditions must be an object with “match” and “conditions”."))
    match = data.get("match", "all")
    if match not in ("all", "any"):
        raise ValidationError(_("“match” must be “all” or “any”."))
    conditions = data.get("conditions") or []
    if not isinstance(conditions, list):
        raise ValidationError(_("“conditions” must be a list."))
    normalised = []
    for number, cond in enumerate(conditions, start=1):
        if not isinstance(cond, dict):
            raise ValidationError(_("Condition %(n)s is not an object.") % {"n": number})
        spec = FIELDS.get(str(cond.get("field", "")))
        if spec is None:
            raise ValidationError(
                _("Condition %(n)s: unknown field “%(field)s”.")
                % {"n": number, "field": cond.get("field", "")}
            )
        op = str(cond.get("op", ""))
        if op not in spec.ops:
            raise ValidationError(
                _("Condition %(n)s: “%(field)s” cannot be compared with “%(op)s”.")
                % {"n": number, "field": spec.label, "op": op}
            )
        try:
            value = _coerce(spec, op, cond.get("value"))
        except ValidationError as exc:
            raise ValidationError(
                _("Condition %(n)s: %(error)s") % {"n": number, "error": exc.messages[0]}
            ) from None
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, list):
            value = [str(v) for v in value]
        normalised.append({"field": spec.name, "op": op, "value": value})
    return {"match": match, "conditions": normalised}


def condition_q(cond: dict[str, Any], run_id: int | None) -> Q:
    spec = FIELDS[cond["field"]]
    op, value = cond["op"], cond["value"]
    if spec.kind == "number":
        value = [Decimal(v) for v in value] if isinstance(value, list) else Decimal(value)
    if spec.target == "custom" and spec.build is not None:
        return spec.build(op, value, run_id)
    if spec.kind == "tag":
        tagged = Company.tags.through.objects.filter(tag__name__iexact=value).values("company_id")
        q = Q(pk__in=tagged)
        return ~q if op == "has_not" else q
    if op == "contains" and spec.name == "name":
        value = str(value).lower()
    inner = Q(**{f"{spec.lookup}{_SUFFIX[op]}": value})
    if op in _NEGATED:
        inner = ~inner
    if spec.target == "segment":
        if run_id is None:
            return Q(pk__in=[])
        rows = CompanySegment.objects.filter(inner, run_id=run_id).values("company_id")
        return Q(pk__in=rows)
    return inner


def evaluate(rules: dict[str, Any], *, run_id: int | None) -> QuerySet[Company]:
    """Companies matching `rules` (already validated) against the given run's segments."""
    qs = Company.objects.filter(merged_into__isnull=True)
    conditions = rules.get("conditions") or []
    if not conditions:
        return qs
    combined: Q | None = None
    for cond in conditions:
        q = condition_q(cond, run_id)
        if combined is None:
            combined = q
        elif rules.get("match") == "any":
            combined |= q
        else:
            combined &= q
    assert combined is not None
    return qs.filter(combined)


def describe(rules: dict[str, Any]) -> str:
    """A sentence a person can read: "ABC is one of A, B and Lifecycle is declining"."""
    parts = []
    for cond in rules.get("conditions") or []:
        spec = FIELDS.get(cond["field"])
        if spec is None:
            continue
        value = cond["value"]
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        parts.append(f"{spec.label} {OPS[cond['op']]} {shown}")
    joiner = f" {_('or')} " if rules.get("match") == "any" else f" {_('and')} "
    return joiner.join(parts) or _("all companies")
