from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events(*, action: str = "", actor_id: int | None = None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor", "target_type")
    if action:
        qs = qs.filter(action__startswith=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    return qs


def audit_actions() -> list[Any]:
    return list(AuditEvent.objects.order_by().values_list("action", flat=True).distinct()[:200])
