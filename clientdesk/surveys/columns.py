"""Reading answers as columns: one numpy array per question, aligned on submitted responses.

A million responses × 20 questions are 20 million answer rows; fetching them as Python tuples
alone would take longer than the whole analysis may. The database concatenates each question's
response ids and values into two strings instead (group_concat / string_agg in one pass of the
question index), and numpy parses them: a few Python objects per question, not per answer.
The two aggregates walk the same rows in the same order, so ids and values stay paired.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, connections

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


def load(survey_id: int, question_ids: Sequence[int], text_ids: Sequence[int] = ()) -> Columns:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {', '.join(ATTRIBUTES)}, {_concat('id')} FROM surveys_response "  # noqa: S608
            "WHERE survey_id = %s AND submitted_at IS NOT NULL "
            f"GROUP BY {', '.join(ATTRIBUTES)}",
            [survey_id],
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
        if question_ids and ids.size:
            for qid, item, rids, vals in _read_values(list(question_ids)):
                pos = np.searchsorted(ids, rids).clip(max=ids.size - 1)
                ok = ids[pos] == rids  # drops answers of unsubmitted responses
                column = np.full(ids.size, np.nan)
                column[pos[ok]] = vals[ok]
                cols.values[(qid, item)] = column
        if text_ids and ids.size:
            placeholders = ", ".join(["%s"] * len(text_ids))
            cur.execute(
                "SELECT a.question_id, a.response_id, a.text FROM surveys_answer a "  # noqa: S608
                "JOIN surveys_response r ON r.id = a.response_id "
                f"WHERE a.question_id IN ({placeholders}) AND a.text <> '' "
                "AND r.submitted_at IS NOT NULL ORDER BY a.response_id",
                list(text_ids),
            )
            for qid, rid, text in cur.fetchall():
                cols.texts.setdefault(int(qid), []).append((int(rid), str(text)))
    return cols


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
