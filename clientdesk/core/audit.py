"""Recording the audit trail. Services call `record` inside their own transaction."""

from __future__ import annotations

import contextvars
import datetime
import decimal
import functools
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Field
from django.utils import timezone

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


def columns_for_raw_insert(
    *,
    actor: Any,
    action: str,
    target_model: type[models.Model],
    changes: Mapping[str, Any] | None,
    filled_by_sql: Iterable[str] = ("target_id", "target_repr"),
) -> tuple[list[str], list[Any]]:
    """Column names and values of the row `record` would write, for a hand-written INSERT.

    For hot paths that write their target and its audit row in one SQL statement (a ticket
    issued at a kiosk): the statement fills `filled_by_sql` itself (the target's id and text,
    known only inside it); every other column holds what `record` writes, prepared for the
    default database (the time, the actor, the IP of the request, the JSON of the changes).
    The names come quoted, in the same order as the values.

    Called once per ticket, so it builds no model instance and looks the connection up once:
    that keeps it at a fraction of the cost of `AuditEvent(...)` plus a prepare per field.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    fields, names = _raw_columns(conn.alias, conn.vendor, tuple(sorted(filled_by_sql)))
    kwargs = _event_kwargs(actor, action, None, changes)
    user = kwargs["actor"]
    by_attname: dict[str, Any] = {
        "at": timezone.now(),  # what auto_now_add would put
        "actor_id": user.pk if user is not None else None,
        "action": action,
        "target_type_id": ContentType.objects.get_for_model(
            target_model, for_concrete_model=False
        ).pk,
        "target_id": "",
        "target_repr": "",
        "changes": kwargs["changes"],
        "ip_address": kwargs["ip_address"],
    }
    # A column added to AuditEvent later gets its default, as a new instance would have it.
    values = [
        f.get_db_prep_save(
            by_attname[f.attname] if f.attname in by_attname else f.get_default(), conn
        )
        for f in fields
    ]
    return list(names), values


@functools.cache
def _raw_columns(
    alias: str, vendor: str, skip: tuple[str, ...]
) -> tuple[tuple[Field[Any, Any], ...], tuple[str, ...]]:
    conn = connections[alias]
    fields = tuple(
        f for f in AuditEvent._meta.concrete_fields if not f.primary_key and f.attname not in skip
    )
    return fields, tuple(conn.ops.quote_name(str(f.column)) for f in fields)


def history_of(target: models.Model) -> models.QuerySet[AuditEvent]:
    ct = ContentType.objects.get_for_model(target, for_concrete_model=False)
    return AuditEvent.objects.filter(target_type=ct, target_id=str(target.pk)).select_related(
        "actor"
    )
