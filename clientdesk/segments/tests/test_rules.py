"""Rule segments: validation with clear errors, live evaluation, the one audience selector."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation

from clientdesk.clients.models import Industry, Tag
from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role
from clientdesk.segments import rules, selectors, services
from clientdesk.segments.tests.factories import monthly

pytestmark = pytest.mark.django_db
END = dt.date(2025, 12, 31)


@pytest.fixture
def book():
    it = Industry.objects.create(code="62.01", section="J", name="ПО")
    vip = Tag.objects.create(name="VIP")
    big: Any = CompanyFactory(industry=it, size_band="large")
    big.tags.add(vip)
    mid = CompanyFactory(size_band="medium")
    small = CompanyFactory(size_band="small")
    monthly(big, 2025, range(1, 13), 100_000)
    monthly(mid, 2025, range(1, 13), 12_000)
    monthly(small, 2025, [3], 1_000)
    run = services.recompute_segments(period_end=END)
    return {"big": big, "mid": mid, "small": small, "run": run}


def ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_company_segment_and_tag_conditions_combine(book) -> None:
    r = rules.validate(
        {
            "match": "all",
            "conditions": [
                {"field": "abc", "op": "in", "value": ["A", "B"]},
                {"field": "industry_section", "op": "eq", "value": "J"},
                {"field": "tag", "op": "has", "value": "vip"},
            ],
        }
    )
    assert ids(rules.evaluate(r, run_id=book["run"].pk)) == {book["big"].pk}


def test_any_match_and_negation(book) -> None:
    r = rules.validate(
        {
            "match": "any",
            "conditions": [
                {"field": "size_band", "op": "eq", "value": "small"},
                {"field": "revenue", "op": "gte", "value": "1 000 000"},
            ],
        }
    )
    assert ids(rules.evaluate(r, run_id=book["run"].pk)) == {book["big"].pk, book["small"].pk}
    r = rules.validate(
        {
            "conditions": [
                {"field": "tag", "op": "has_not", "value": "VIP"},
                {"field": "lifecycle", "op": "ne", "value": "dormant"},
            ]
        }
    )
    assert ids(rules.evaluate(r, run_id=book["run"].pk)) == {book["mid"].pk}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"conditions": [{"field": "colour", "op": "eq", "value": "x"}]}, "unknown field"),
        ({"conditions": [{"field": "abc", "op": "gt", "value": "A"}]}, "cannot be compared"),
        ({"conditions": [{"field": "abc", "op": "eq", "value": "Q"}]}, "not a valid choice"),
        ({"conditions": [{"field": "churn_risk", "op": "gte", "value": "many"}]}, "not a number"),
        ({"conditions": [{"field": "xyz", "op": "in", "value": []}]}, "at least one"),
        ({"match": "some"}, "must be"),
    ],
)
def test_bad_rules_are_refused_with_a_message_saying_what_to_fix(rule, message) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        rules.validate(rule)
    assert message in exc.value.messages[0]


def test_other_domains_can_register_a_field() -> None:
    spec = rules.FieldSpec(
        "satisfaction",
        "Satisfaction",
        "number",
        "custom",
        build=lambda op, value, run_id: Q(pk__in=[]),
    )
    rules.register_field(spec)
    try:
        r = rules.validate({"conditions": [{"field": "satisfaction", "op": "lt", "value": "0.5"}]})
        assert rules.evaluate(r, run_id=None).count() == 0
    finally:
        rules.FIELDS.pop("satisfaction")


def test_companies_in_is_the_one_audience_selector(book, make_staff) -> None:
    assert ids(selectors.companies_in(abc="A")) == {book["big"].pk}
    assert ids(selectors.companies_in(lifecycle="dormant")) == {book["small"].pk}
    owner = make_staff(Role.MARKETER)
    seg = services.rule_segment_save(
        name="Medium",
        rules={"conditions": [{"field": "size_band", "op": "eq", "value": "medium"}]},
        shared=True,
        by=owner,
    )
    assert ids(selectors.companies_in(rule_segment=seg)) == {book["mid"].pk}
    assert ids(selectors.companies_in(rule_segment=seg.pk, abc="A")) == set()
    assert AuditEvent.objects.filter(action="segments.rule_created").exists()


def test_segments_for_many_companies_takes_bounded_queries(book, django_assert_num_queries) -> None:
    company_ids = [book["big"].pk, book["mid"].pk, book["small"].pk]
    with django_assert_num_queries(3):
        found = selectors.segments_for(company_ids)
    assert set(found) == set(company_ids)


def test_only_the_author_changes_a_rule_segment(book, make_staff) -> None:
    owner, other = make_staff(Role.ANALYST), make_staff(Role.ANALYST)
    seg = services.rule_segment_save(name="X", rules={"conditions": []}, shared=True, by=owner)
    with pytest.raises(ValidationError):
        services.rule_segment_save(name="Y", rules={}, shared=True, by=other, segment=seg)
    with pytest.raises(ValidationError):
        services.rule_segment_delete(segment=seg, by=other)
    assert selectors.rule_segment_for(other, seg.pk) == seg  # shared: visible


def test_settings_refuse_inconsistent_thresholds() -> None:
    with pytest.raises(ValidationError) as exc:
        services.settings_update(data={"abc_a": 90, "abc_b": 15, "xyz_x": 30, "xyz_y": 20}, by=None)
    assert {"abc_b", "xyz_y"} <= set(exc.value.message_dict)
    s = services.settings_update(data={"abc_a": 70, "rfm_bins": {"r": [30, 90, 180, 365]}}, by=None)
    assert s.abc_a == 70
