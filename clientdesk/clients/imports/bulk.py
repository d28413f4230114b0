"""Batch INSERT and UPDATE through one prepared statement each (cursor.executemany).

`bulk_create` and `bulk_update` compile SQL for every few dozen rows (SQLite allows 999
parameters per statement) and `bulk_update` builds a CASE WHEN per field and row; at a million
rows that compiling costs more than the database work. Here each field's value is adapted once by
the backend's own adapter and the statement is prepared once per batch. Like bulk_create, no
signals are sent and save() is not called: the writers fill derived fields themselves.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

Adapter = Callable[[Any], Any]


def _adapter(field: models.Field[Any, Any]) -> Adapter:
    ops = connection.ops
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: ops.adapt_decimalfield_value(v, digits, places)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    plain = models.CharField | models.TextField | models.IntegerField | models.BooleanField
    if isinstance(field, plain | models.ForeignKey):
        return lambda v: v
    return lambda v: field.get_db_prep_save(v, connection)


def _columns(
    model: type[models.Model], names: Sequence[str] | None
) -> list[models.Field[Any, Any]]:
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and (names is None or f.attname in names or f.name in names)
    ]
    return fields


class Builder:
    """Makes unsaved instances from {attname: value} the way Model.from_db does, positionally:
    Model(**kwargs) looks up every field's default for every row."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.index = {f.attname: i for i, f in enumerate(fields)}
        self.defaults: list[Any] = [None if f.primary_key else f.get_default() for f in fields]
        self.mutable = [i for i, v in enumerate(self.defaults) if isinstance(v, list | dict)]

    def __call__(self, values: dict[str, Any]) -> Any:
        args = list(self.defaults)
        for i in self.mutable:
            args[i] = copy.copy(args[i])
        index = self.index
        for name, value in values.items():
            args[index[name]] = value
        return self.model(*args)


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None  # concrete fields always have one
    return field.column


def insert(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """INSERTs the objects (their primary keys stay unset)."""
    if not objects:
        return
    fields = _columns(model, None)
    now = timezone.now()
    for obj in objects:
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                setattr(obj, f.attname, now)
    qn = connection.ops.quote_name
    # Table and column names come from the model, never from the file: no injection here.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        qn(model._meta.db_table),
        ", ".join(qn(_column(f)) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    adapters = [(f.attname, _adapter(f)) for f in fields]
    rows = [[adapt(getattr(obj, name)) for name, adapt in adapters] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update(
    model: type[models.Model], objects: Sequence[models.Model], names: Sequence[str]
) -> None:
    """UPDATEs the named fields of the objects, by primary key."""
    if not objects or not names:
        return
    fields = _columns(model, names)
    qn = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        qn(model._meta.db_table),
        ", ".join(f"{qn(_column(f))} = %s" for f in fields),
        qn(_column(pk)),
    )
    adapters = [(f.attname, _adapter(f)) for f in fields]
    rows = [[*(adapt(getattr(obj, name)) for name, adapt in adapters), obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
