"""Recording the audit trail. Services call `record` inside their own transaction."""

from __future__ import annotations

import contextvars
import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEvent

# Set per request by AuditContextMiddleware: services are not handed the request itself.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of `instance`, for computing a diff after a change."""
    return {name: _jsonable(getattr(instance, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(**_event_kwargs(actor, action, target, changes))


def record_many(
    *, actor: Any, action: str, targets: Iterable[models.Model], changes: Mapping[str, Any] | None
) -> None:
    """Bulk writes skip signals and save(); they record their audit rows here, in bulk."""
    AuditEvent.objects.bulk_create(
        [AuditEvent(**_event_kwargs(actor, action, t, changes)) for t in targets], batch_size=1000
    )


def _event_kwargs(
    actor: Any, action: str, target: models.Model | None, changes: Mapping[str, Any] | None
) -> dict[str, Any]:
    user = actor if getattr(actor, "is_authenticated", False) else None
    kwargs: dict[str, Any] = {
        "actor": user,
        "action": action,
        "changes": _jsonable(dict(changes or {})),
        "ip_address": current_ip.get(),
    }
    if target is not None:
        kwargs["target_type"] = ContentType.objects.get_for_model(target, for_concrete_model=False)
        kwargs["target_id"] = str(target.pk)
        kwargs["target_repr"] = str(target)[:255]
    return kwargs


def history_of(target: models.Model) -> models.QuerySet[AuditEvent]:
    ct = ContentType.objects.get_for_model(target, for_concrete_model=False)
    return AuditEvent.objects.filter(target_type=ct, target_id=str(target.pk)).select_related(
        "actor"
    )
