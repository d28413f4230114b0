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
import sqlite3
from collections.abc import Callable, Sequence
from operator import attrgetter, itemgetter
from typing import Any

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.constants import OnConflict
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

Adapter = Callable[[Any], Any]


def _adapter(field: models.Field[Any, Any]) -> Adapter:
    ops = connection.ops
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: ops.adapt_decimalfield_value(v, digits, places)
    if isinstance(field, models.DateTimeField):
        return _last_value_cached(ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    plain = models.CharField | models.TextField | models.IntegerField | models.BooleanField
    if isinstance(field, plain | models.ForeignKey):
        return _identity
    return lambda v: field.get_db_prep_save(v, connection)


def _identity(value: Any) -> Any:
    return value


def _last_value_cached(adapt: Adapter) -> Adapter:
    """The writers stamp every row of a batch with the same `now` object: converting it to the
    database's text once, not once per row, saves a time-zone conversion per row and field."""
    last: list[Any] = [object(), None]

    def cached(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, adapt(value)
        return last[1]

    return cached


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
    """Makes unsaved instances from {attname: value}.

    Model(**kwargs) looks up every field's default for every row, and even Model(*args) sends
    two signals and calls setattr per field: at 300,000 rows that is seconds. When the model
    has no pre_init/post_init receivers and its fields are plain attributes (no file or other
    descriptor that converts on assignment), the instance's __dict__ is filled directly, which
    leaves it exactly as Model(*args) would."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.index = {f.attname: i for i, f in enumerate(fields)}
        self.attnames = [f.attname for f in fields]
        self.defaults: list[Any] = [None if f.primary_key else f.get_default() for f in fields]
        self.mutable = [i for i, v in enumerate(self.defaults) if isinstance(v, list | dict)]
        self.direct = (
            not pre_init.has_listeners(model)
            and not post_init.has_listeners(model)
            and all(_plain_attribute(model, f) for f in fields)
        )

    def __call__(self, values: dict[str, Any]) -> Any:
        args = list(self.defaults)
        for i in self.mutable:
            args[i] = copy.copy(args[i])
        index = self.index
        for name, value in values.items():
            args[index[name]] = value
        if not self.direct:
            return self.model(*args)
        obj = self.model.__new__(self.model)
        obj._state = ModelState()
        obj.__dict__.update(zip(self.attnames, args, strict=True))
        return obj


def _plain_attribute(model: type[models.Model], field: models.Field[Any, Any]) -> bool:
    """True when setattr(obj, attname, v) just stores v in obj.__dict__ for a new object:
    no descriptor, Django's DeferredAttribute (read-only), or a foreign key's id attribute
    (whose setter only forgets a cached related object, which a new object has not)."""
    descriptor = None
    for klass in model.__mro__:
        if field.attname in klass.__dict__:
            descriptor = klass.__dict__[field.attname]
            break
    if descriptor is None:
        return True
    return type(descriptor) is DeferredAttribute or (
        isinstance(field, models.ForeignKey) and isinstance(descriptor, DeferredAttribute)
    )


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
    return fields, _rows(fields, objects)


def _rows(
    fields: Sequence[models.Field[Any, Any]], objects: Sequence[models.Model]
) -> list[list[Any]]:
    """The objects' values of `fields`, adapted for the database. Most adapters pass the value
    through: the values are read with one attrgetter call per object (in C), and only the
    fields whose adapter converts (dates, decimals) are adapted one by one."""
    adapters = [_adapter(f) for f in fields]
    converted = [(i, a) for i, a in enumerate(adapters) if a is not _identity]
    get = attrgetter(*(f.attname for f in fields))
    single = len(fields) == 1  # attrgetter of one name returns the value, not a tuple
    rows = []
    for obj in objects:
        values = get(obj)
        row = [values] if single else list(values)
        for i, adapt in converted:
            row[i] = adapt(row[i])
        rows.append(row)
    return rows


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
    # Each row, followed by the defaults of the fields not named, is picked into column order
    # by one itemgetter call (in C).
    names = list(names)
    unnamed = [f for f in fields if f.attname not in names]
    tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in unnamed)
    index = {name: i for i, name in enumerate(names)}
    index.update({f.attname: len(names) + i for i, f in enumerate(unnamed)})
    pick = itemgetter(*(index[f.attname] for f in fields))
    if len(fields) == 1:
        full: list[Any] = [(pick((*row, *tail)),) for row in rows]
    else:
        full = [pick((*row, *tail)) for row in rows]
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


MAX_ROWS_PER_STATEMENT = 2000


def max_params() -> int:
    """Parameters one statement may carry. Django assumes SQLite's old compile-time default of
    999, which makes a multi-row INSERT of 24 columns carry 41 rows; the SQLite library in use
    says its real limit (32,766 since 3.32, often 250,000). PostgreSQL takes at most 65,535."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        if raw is not None and hasattr(raw, "getlimit"):
            return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        return int(connection.features.max_query_params or 999)
    if connection.vendor == "postgresql":
        return 65535
    return int(connection.features.max_query_params or 999)


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
    size = max(min(max_params() // len(fields), MAX_ROWS_PER_STATEMENT), 1)
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
    rows = [[*row, obj.pk] for row, obj in zip(_rows(fields, objects), objects, strict=True)]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
