"""COPY in and out of PostgreSQL keeps every value: NULL apart from "", quotes, commas, many
slices. Runs only on PostgreSQL (DATABASE_URL); the recompute tests cover the rest there."""

from __future__ import annotations

import polars as pl
import pytest
from django.db import connection

from clientdesk.segments import pg_loader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]

SCHEMA = {"id": pl.Int64, "label": pl.String, "value": pl.Float64, "n": pl.Int16}


def test_copy_out_and_back_keeps_nulls_empty_strings_and_quotes(monkeypatch) -> None:
    # Tiny slices: the CSV is cut at line ends many times while it streams.
    monkeypatch.setattr(pg_loader, "SLICE", 64)
    frame = pl.DataFrame(
        {
            "id": range(1, 301),
            "label": ["", None, 'a "quoted", comma', "строка\nс переводом"] * 75,
            "value": [1.25, None, -0.0, 1e-12] * 75,
            "n": [1, None, 3, 4] * 75,
        },
        schema=SCHEMA,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE seg_copy (id BIGINT, label TEXT, value DOUBLE PRECISION, "
            "n SMALLINT)"
        )
    connection.ensure_connection()
    seen: list[int] = []
    written = pg_loader.write_frame(
        connection.connection, "seg_copy", frame, batch=128, on_batch=seen.append
    )
    assert written == 300
    assert seen == [128, 256, 300]

    back = pg_loader.read_frame(
        connection.connection,
        "SELECT id, label, value, n FROM seg_copy WHERE id > %s ORDER BY id",
        [0],
        SCHEMA,
    )
    assert back.equals(frame)
    empty = pg_loader.read_frame(
        connection.connection, "SELECT id, label, value, n FROM seg_copy WHERE id < 0", [], SCHEMA
    )
    assert empty.height == 0
    assert empty.schema == pl.Schema(SCHEMA)
