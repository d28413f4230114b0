"""Demo segments: cell policies, three rule segments and recomputes of the last three months,
so that the overview has a migration matrix and the at-risk list has alerts behind it.

Called by the demo command after the registry's demo data: `load_demo(seed=...)`.
"""

from __future__ import annotations

from django.db import transaction

from clientdesk.accounts.models import User
from clientdesk.core.roles import Role

from . import calculations as calc
from . import services
from .models import CellPolicy, RuleSegment

POLICIES: list[tuple[str, str, int, int | None, str]] = [
    ("A", "X", 1, 2, "Персональный менеджер и выделенная линия; ежеквартальная встреча."),
    ("A", "Y", 1, 4, "Персональный менеджер; ежемесячный обзор потребностей."),
    ("A", "Z", 2, 4, "Персональный менеджер; прогноз закупок вместе с клиентом."),
    ("B", "X", 2, 8, "Приоритетная линия; рекомендации по расширению услуг."),
    ("B", "Y", 2, 8, "Приоритетная линия; регулярные предложения."),
    ("B", "Z", 3, 24, "Стандартное обслуживание; предложения по случаю."),
    ("C", "X", 3, 24, "Стандартное обслуживание; перевод на портал."),
    ("C", "Y", 4, 48, "Самообслуживание через портал и базу знаний."),
    ("C", "Z", 4, 48, "Самообслуживание; массовые рассылки."),
]

RULES: list[tuple[str, str, dict[str, object]]] = [
    (
        "Ключевые клиенты под угрозой",
        "A и B с риском оттока от 50",
        {
            "match": "all",
            "conditions": [
                {"field": "abc", "op": "in", "value": ["A", "B"]},
                {"field": "churn_risk", "op": "gte", "value": "50"},
            ],
        },
    ),
    (
        "Растущие средние и крупные",
        "Кандидаты на расширение договора",
        {
            "match": "all",
            "conditions": [
                {"field": "lifecycle", "op": "in", "value": ["growing", "new"]},
                {"field": "size_band", "op": "in", "value": ["medium", "large"]},
            ],
        },
    ),
    (
        "Спящие для реактивации",
        "Аудитория кампании возврата",
        {
            "match": "any",
            "conditions": [
                {"field": "rfm_segment", "op": "in", "value": ["hibernating", "cant_lose"]},
                {"field": "lifecycle", "op": "eq", "value": "dormant"},
            ],
        },
    ),
]


def load_demo(*, seed: int) -> None:
    """Idempotent: policies and rules are created once; each call recomputes three months."""
    del seed  # the recompute is deterministic; the seed is accepted for the demo command's API
    owner = (
        User.objects.filter(kind="staff", role=Role.ANALYST).order_by("id").first()
        or User.objects.filter(is_superuser=True).order_by("id").first()
    )
    with transaction.atomic():
        for abc, xyz, tier, hours, policy in POLICIES:
            if not CellPolicy.objects.filter(abc=abc, xyz=xyz).exists():
                services.cell_policy_set(
                    abc=abc, xyz=xyz, policy=policy, tier=tier, response_hours=hours, by=owner
                )
        if owner is not None:
            for name, description, rules in RULES:
                if not RuleSegment.objects.filter(name=name).exists():
                    services.rule_segment_save(
                        name=name, description=description, rules=rules, shared=True, by=owner
                    )
    last = calc.month_index(services.default_period_end())
    for month in (last - 2, last - 1, last):
        services.recompute_segments(period_end=calc.month_end(month), by=owner)
