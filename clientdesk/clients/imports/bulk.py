"""Batch INSERT and UPDATE through one prepared statement each (cursor.executemany).

`bulk_create` and `bulk_update` compile SQL for every few dozen rows (SQLite allows 999
parameters per statement) and `bulk_update` builds a CASE WHEN per field and row; at a million
rows that compiling costs more than the database work. Here each field's value is adapted once by
the backend's own adapter and the statement is prepared once per batch. Like bulk_create, no
signals are sent and save() is not called: the writers fill derived fields themselves.
When the new primary keys are needed, multi-row INSERT ... RETURNING statements of the largest
size the backend takes stand in for executemany, which cannot return rows.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.constants import OnConflict
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


def _prepare_insert(
    model: type[models.Model], objects: Sequence[models.Model]
) -> tuple[list[models.Field[Any, Any]], list[list[Any]]]:
    fields = _columns(model, None)
    now = timezone.now()
    for obj in objects:
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                setattr(obj, f.attname, now)
    adapters = [(f.attname, _adapter(f)) for f in fields]
    rows = [[adapt(getattr(obj, name)) for name, adapt in adapters] for obj in objects]
    return fields, rows


def _insert_sql(model: type[models.Model], fields: Sequence[models.Field[Any, Any]]) -> str:
    qn = connection.ops.quote_name
    # Table and column names come from the model, never from the file: no injection here.
    return "{} {} ({}) VALUES ".format(
        connection.ops.insert_statement(),
        qn(model._meta.db_table),
        ", ".join(qn(_column(f)) for f in fields),
    )


def insert(
    model: type[models.Model], objects: Sequence[models.Model], *, ignore_conflicts: bool = False
) -> None:
    """INSERTs the objects (their primary keys stay unset). With ignore_conflicts a row that
    breaks a unique constraint is skipped, as bulk_create(ignore_conflicts=True) does."""
    if not objects:
        return
    fields, rows = _prepare_insert(model, objects)
    _insert_rows(model, fields, rows, ignore_conflicts=ignore_conflicts)


def insert_values(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERTs rows of values for the named fields, without making model instances: for link
    tables of many small rows. The values must be ready for the database (plain text, numbers,
    booleans, ids); fields not named get their defaults."""
    if not rows:
        return
    fields = _columns(model, None)
    named = [f for f in fields if f.attname in names]
    assert len(named) == len(names), "every name must be a concrete field"
    positions = [list(names).index(f.attname) if f.attname in names else -1 for f in fields]
    defaults = [f.get_db_prep_save(f.get_default(), connection) for f in fields]
    full = [
        [row[i] if i >= 0 else d for i, d in zip(positions, defaults, strict=True)] for row in rows
    ]
    _insert_rows(model, fields, full, ignore_conflicts=ignore_conflicts)


def _insert_rows(
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool,
) -> None:
    ops = connection.ops
    conflict = OnConflict.IGNORE if ignore_conflicts else None
    sql = "{} {} ({}) VALUES ({}) {}".format(
        ops.insert_statement(on_conflict=conflict),
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(_column(f)) for f in fields),
        ", ".join(["%s"] * len(fields)),
        ops.on_conflict_suffix_sql(fields, conflict, None, None) or "",
    ).rstrip()
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def insert_returning_pks(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """INSERTs the objects and sets their primary keys, from multi-row INSERT ... RETURNING
    statements (executemany cannot return rows). Like bulk_create, relies on the rows coming
    back in the order they were given, which SQLite and PostgreSQL do."""
    if not objects:
        return
    if not connection.features.can_return_rows_from_bulk_insert:
        model._default_manager.bulk_create(objects)
        return
    fields, rows = _prepare_insert(model, objects)
    pk = model._meta.pk
    assert pk is not None
    # PostgreSQL reports no limit of its own, but a statement takes at most 65535 parameters.
    size = max(min(connection.ops.bulk_batch_size(fields, objects), 65535 // len(fields)), 1)
    # Every backend that can return rows from a bulk insert defines it; the stubs do not.
    returning, _params = connection.ops.return_insert_columns([pk])  # type: ignore[attr-defined]
    one = "({})".format(", ".join(["%s"] * len(fields)))
    head = _insert_sql(model, fields)
    full = f"{head}{', '.join([one] * size)} {returning}"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            sql = (
                full if len(chunk) == size else f"{head}{', '.join([one] * len(chunk))} {returning}"
            )
            cursor.execute(sql, [v for row in chunk for v in row])
            for obj, (value,) in zip(objects[start : start + size], cursor.fetchall(), strict=True):
                obj.pk = value
                obj._state.adding, obj._state.db = False, connection.alias


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
