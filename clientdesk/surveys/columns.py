"""Reading answers as columns: one numpy array per question, aligned on submitted responses.

A million responses × 20 questions are 20 million answer rows; fetching them as Python tuples
alone would take longer than the whole analysis may. The database concatenates each question's
response ids and values into two strings instead (group_concat / string_agg in one pass of the
question index), and numpy parses them: a few Python objects per question, not per answer.
The two aggregates walk the same rows in the same order, so ids and values stay paired.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection, connections
from django.utils import timezone

ATTRIBUTES = ("segment", "industry", "size_band", "role", "channel")
PARALLEL_READS = 4


@dataclass
class Columns:
    response_ids: np.ndarray  # sorted, int64
    attributes: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict)
    values: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    texts: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.response_ids.size)

    def column(self, question_id: int, item: int = 0) -> np.ndarray:
        found = self.values.get((question_id, item))
        return found if found is not None else np.full(self.n, np.nan)

    def groups(self, attribute: str) -> tuple[list[str], np.ndarray]:
        return self.attributes.get(attribute, ([], np.full(self.n, -1, dtype=np.int32)))


def _concat(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"string_agg(({expr})::text, ',')"
    return f"group_concat({expr}, ',')"


def _parse(text: str | None, dtype: type) -> np.ndarray:
    if not text:
        return np.empty(0, dtype=dtype)
    # Text mode of fromstring (sep given) parses in C, ten times faster than split().
    return np.fromstring(text, dtype=dtype, sep=",")


def _values_sql(count: int) -> str:
    placeholders = ", ".join(["%s"] * count)
    return (
        f"SELECT question_id, item, {_concat('response_id')}, {_concat('value')} "  # noqa: S608
        f"FROM surveys_answer WHERE question_id IN ({placeholders}) "
        "AND value IS NOT NULL GROUP BY question_id, item"
    )


Raw = tuple[int, int, np.ndarray, np.ndarray]


def _fetch(question_ids: list[int]) -> list[Raw]:
    with connection.cursor() as cur:
        cur.execute(_values_sql(len(question_ids)), question_ids)
        return [
            (int(q), int(i), _parse(r, np.int64), _parse(v, np.int64))
            for q, i, r, v in cur.fetchall()
        ]


def _fetch_in_thread(question_ids: list[int]) -> list[Raw]:
    try:
        return _fetch(question_ids)
    finally:
        connections.close_all()  # this thread's own connection


def _read_values(question_ids: list[int]) -> list[Raw]:
    """Each question's values. Questions are read in parallel threads, each with its own
    connection (the database does the work with the GIL released), unless the caller is inside
    a transaction: other connections could not see its uncommitted rows."""
    workers = min(PARALLEL_READS, len(question_ids), os.cpu_count() or 1)
    if workers < 2 or connection.in_atomic_block:
        return _fetch(question_ids)
    chunks = [question_ids[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [raw for part in pool.map(_fetch_in_thread, chunks) for raw in part]


def _read_sql(
    survey_id: int,
    question_ids: Sequence[int],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Columns:
    """Columns of the responses submitted in (since, until], straight from the tables."""
    where = "survey_id = %s AND submitted_at IS NOT NULL"
    params: list[Any] = [survey_id]
    if since is not None:
        where, params = where + " AND submitted_at > %s", [*params, since]
    if until is not None:
        where, params = where + " AND submitted_at <= %s", [*params, until]
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {', '.join(ATTRIBUTES)}, {_concat('id')} FROM surveys_response "  # noqa: S608
            f"WHERE {where} GROUP BY {', '.join(ATTRIBUTES)}",
            params,
        )
        combos = cur.fetchall()
    parts = [_parse(row[-1], np.int64) for row in combos]
    if parts:
        flat = np.concatenate(parts)
        combo = np.repeat(np.arange(len(parts)), [p.size for p in parts])
        order = np.argsort(flat, kind="stable")
        ids, combo = flat[order], combo[order]
    else:
        ids, combo = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    cols = Columns(ids)
    for a, name in enumerate(ATTRIBUTES):
        labels = sorted({row[a] or "" for row in combos} - {""})
        index = {label: i for i, label in enumerate(labels)}
        # Code of this attribute for each combination, then for each response.
        per_combo = np.array(
            [index.get(row[a] or "", -1) for row in combos] or [-1], dtype=np.int32
        )
        cols.attributes[name] = (labels, per_combo[combo])
    if not question_ids or not ids.size:
        return cols
    raws = (
        _read_values(list(question_ids))
        if since is None
        else _read_delta(survey_id, list(question_ids), where, params)
    )
    for qid, item, rids, vals in raws:
        pos = np.searchsorted(ids, rids).clip(max=ids.size - 1)
        ok = ids[pos] == rids  # drops answers of responses outside the set
        column = np.full(ids.size, np.nan)
        column[pos[ok]] = vals[ok]
        cols.values[(qid, item)] = column
    return cols


def _read_delta(
    survey_id: int, question_ids: list[int], where: str, params: list[Any]
) -> list[Raw]:
    """Answers of the few responses submitted since the snapshot, found through the responses
    (their index on submission time), not by scanning each question's million answers."""
    placeholders = ", ".join(["%s"] * len(question_ids))
    where_r = where.replace("survey_id", "r.survey_id").replace("submitted_at", "r.submitted_at")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.question_id, a.item, a.response_id, a.value FROM surveys_response r "  # noqa: S608
            "JOIN surveys_answer a ON a.response_id = r.id "
            f"WHERE {where_r} AND a.question_id IN ({placeholders}) AND a.value IS NOT NULL",
            [*params, *question_ids],
        )
        grouped: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
        for qid, item, rid, value in cur.fetchall():
            entry = grouped.setdefault((int(qid), int(item)), ([], []))
            entry[0].append(int(rid))
            entry[1].append(int(value))
    return [
        (q, i, np.asarray(r, dtype=np.int64), np.asarray(v, dtype=np.int64))
        for (q, i), (r, v) in grouped.items()
    ]


def _merge(a: Columns, b: Columns) -> Columns:
    """Responses of both, sorted by id; attribute codes re-mapped onto the union of labels."""
    ids = np.concatenate([a.response_ids, b.response_ids])
    order = np.argsort(ids, kind="stable")
    out = Columns(ids[order])
    for name in ATTRIBUTES:
        la, ca = a.groups(name)
        lb, cb = b.groups(name)
        labels = sorted(set(la) | set(lb))
        index = {label: i for i, label in enumerate(labels)}
        map_a = np.array([index[x] for x in la] + [-1], dtype=np.int32)
        map_b = np.array([index[x] for x in lb] + [-1], dtype=np.int32)
        # Code -1 (no value) indexes the trailing -1 of each map.
        codes = np.concatenate([map_a[ca], map_b[cb]])
        out.attributes[name] = (labels, codes[order])
    for key in set(a.values) | set(b.values):
        out.values[key] = np.concatenate([a.column(*key), b.column(*key)])[order]
    return out


# --- the columnar snapshot -------------------------------------------------------------------
# Submitted responses never change, so a survey's columns up to a cut-off time are kept as one
# binary snapshot (numpy arrays, the smallest integer type that holds each column); an analysis
# reads the snapshot and only the responses submitted after it. A deleted response changes the
# count before the cut-off, and a new question is missing from it: either makes it stale.
SNAPSHOT_MIN = 50_000  # responses; below this, reading the tables is fast enough
MISSING = -1


def _pack(cols: Columns) -> bytes:
    arrays: dict[str, np.ndarray] = {"ids": cols.response_ids}
    for name in ATTRIBUTES:
        arrays[f"attr_{name}"] = cols.groups(name)[1].astype(np.int16)
    for (qid, item), column in cols.values.items():
        present = ~np.isnan(column)
        top = float(np.nanmax(column)) if present.any() else 0.0
        low = float(np.nanmin(column)) if present.any() else 0.0
        dtype = np.int8 if low >= 0 and top < 127 else np.int64
        packed = np.where(present, column, MISSING).astype(dtype)
        arrays[f"q_{qid}_{item}"] = packed
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _unpack(data: bytes, labels: dict[str, list[str]]) -> Columns:
    with np.load(io.BytesIO(data)) as npz:
        cols = Columns(npz["ids"])
        for key in npz.files:
            if key.startswith("attr_"):
                name = key[5:]
                cols.attributes[name] = (labels.get(name, []), npz[key].astype(np.int32))
            elif key.startswith("q_"):
                _q, qid, item = key.split("_")
                arr = npz[key]
                column = arr.astype(float)
                column[arr == MISSING] = np.nan
                cols.values[(int(qid), int(item))] = column
    return cols


def _snapshot_save(survey_id: int, cols: Columns, cutoff: dt.datetime) -> None:
    from .models import ColumnSnapshot

    ColumnSnapshot.objects.update_or_create(
        survey_id=survey_id,
        defaults={
            "cutoff": cutoff,
            "n": cols.n,
            "columns": sorted([q, i] for q, i in cols.values),
            "labels": {name: cols.groups(name)[0] for name in ATTRIBUTES},
            "data": _pack(cols),
        },
    )


def _snapshot_for(survey_id: int, question_ids: Sequence[int]) -> tuple[Columns, Any] | None:
    from .models import ColumnSnapshot, Response

    snap = ColumnSnapshot.objects.filter(survey_id=survey_id).first()
    if snap is None:
        return None
    covered = {q for q, _i in snap.columns}
    if not set(question_ids) <= covered:
        return None
    before = Response.objects.filter(
        survey_id=survey_id, submitted_at__isnull=False, submitted_at__lte=snap.cutoff
    ).count()
    if before != snap.n:
        return None
    return _unpack(bytes(snap.data), snap.labels), snap.cutoff


def load(
    survey_id: int,
    question_ids: Sequence[int],
    text_ids: Sequence[int] = (),
    *,
    use_snapshot: bool = True,
) -> Columns:
    """Every numeric question as a column over the submitted responses (and open answers)."""
    now = timezone.now()
    found = _snapshot_for(survey_id, question_ids) if use_snapshot else None
    if found is not None:
        snap, cutoff = found
        delta = _read_sql(survey_id, question_ids, since=cutoff, until=now)
        cols = _merge(snap, delta) if delta.n else snap
        if delta.n >= SNAPSHOT_MIN // 5:
            _snapshot_save(survey_id, cols, now)
    else:
        cols = _read_sql(survey_id, question_ids, until=now)
        if use_snapshot and cols.n >= SNAPSHOT_MIN:
            _snapshot_save(survey_id, cols, now)
    # The snapshot's columns cover at least the questions asked; keep only those.
    wanted = set(question_ids)
    cols.values = {k: v for k, v in cols.values.items() if k[0] in wanted}
    if text_ids and cols.n:
        cols.texts = _read_texts(list(text_ids))
    return cols


def _read_texts(text_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {}
    placeholders = ", ".join(["%s"] * len(text_ids))
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.question_id, a.response_id, a.text FROM surveys_answer a "  # noqa: S608
            "JOIN surveys_response r ON r.id = a.response_id "
            f"WHERE a.question_id IN ({placeholders}) AND a.text <> '' "
            "AND r.submitted_at IS NOT NULL ORDER BY a.response_id",
            text_ids,
        )
        for qid, rid, text in cur.fetchall():
            out.setdefault(int(qid), []).append((int(rid), str(text)))
    return out


def value_counts(question_id: int) -> dict[float, int]:
    """Counts of each value of one question among submitted responses (trend waves)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.value, COUNT(*) FROM surveys_answer a "
            "JOIN surveys_response r ON r.id = a.response_id "
            "WHERE a.question_id = %s AND a.item = 0 AND a.value IS NOT NULL "
            "AND r.submitted_at IS NOT NULL GROUP BY a.value",
            [question_id],
        )
        return {float(v): int(c) for v, c in cur.fetchall()}
