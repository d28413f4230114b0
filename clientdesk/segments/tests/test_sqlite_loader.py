"""The fast SQLite reader gives the same monthly figures as a plain aggregation of the records."""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import polars as pl
import pytest

from clientdesk.segments import sqlite_loader


# "auto" is the ADBC driver when installed; "sqlite3" forces the standard module's reader.
@pytest.mark.parametrize(("workers", "reader"), [(1, "auto"), (2, "auto"), (1, "sqlite3")])
def test_monthly_from_sqlite_file_matches_plain_aggregation(
    tmp_path, monkeypatch, workers, reader
) -> None:
    if reader == "sqlite3":
        monkeypatch.setattr(sqlite_loader, "_adbc", lambda: None)
    rng = np.random.default_rng(3)
    n = 5000
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 760, n)]
    amounts = np.round(rng.normal(1000, 800, n), 2)
    # The first 1500 records have no cost: a reader that types columns from the first rows
    # must still take the costs that follow.
    costs = [
        None if i < 1500 or rng.random() < 0.4 else round(float(a) * 0.6, 2)
        for i, a in enumerate(amounts)
    ]
    companies = rng.integers(1, 300, n)
    path = tmp_path / "db.sqlite3"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE clients_revenuerecord (id INTEGER PRIMARY KEY, company_id INT, "
        "date TEXT, amount_base DECIMAL, cost DECIMAL NULL)"
    )
    con.executemany(
        "INSERT INTO clients_revenuerecord VALUES (?, ?, ?, ?, ?)",
        [
            (i + 1, int(companies[i]), days[i].isoformat(), float(amounts[i]), costs[i])
            for i in range(n)
        ],
    )
    con.commit()
    con.close()
    got = sqlite_loader.load_monthly(
        str(path), start="2024-03-01", end="2025-12-31", workers=workers, chunk=2400
    ).sort("company_id", "month")

    raw = pl.DataFrame(
        {"company_id": companies, "date": days, "amount": amounts, "cost": costs},
        schema_overrides={"cost": pl.Float64},
    )
    raw = raw.filter(
        (pl.col("date") >= dt.date(2024, 3, 1)) & (pl.col("date") <= dt.date(2025, 12, 31))
    )
    expected = (
        raw.with_columns(
            month=(pl.col("date").dt.year() * 12 + pl.col("date").dt.month() - 1).cast(pl.Int32)
        )
        .group_by("company_id", "month")
        .agg(
            revenue=pl.col("amount").sum(),
            cost_records=pl.col("cost").is_not_null().sum().cast(pl.Int64),
            purchases=(pl.col("amount") > 0).sum().cast(pl.Int64),
            records=pl.len().cast(pl.Int64),
            last_purchase=pl.col("date").filter(pl.col("amount") > 0).max(),
            margin=(pl.col("amount") - pl.col("cost")).fill_null(0).sum(),
        )
        .sort("company_id", "month")
    )
    assert got.height == expected.height
    for col in ("company_id", "month", "cost_records", "purchases", "records", "last_purchase"):
        assert got[col].to_list() == expected[col].to_list(), col
    assert np.allclose(got["revenue"].to_numpy(), expected["revenue"].to_numpy())
    assert np.allclose(got["margin"].to_numpy(), expected["margin"].to_numpy())


def test_append_writes_every_row_with_nulls_and_empty_strings(tmp_path) -> None:
    pytest.importorskip("adbc_driver_sqlite")
    path = tmp_path / "db.sqlite3"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE seg (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INT NOT NULL, "
        "abc VARCHAR(1) NOT NULL, cv REAL NULL, r SMALLINT NULL, reasons TEXT NOT NULL)"
    )
    con.commit()
    con.close()
    frame = pl.DataFrame(
        {
            "run_id": [7] * 5,
            "abc": ["A", "", "C", "", "B"],
            "cv": [1.5, None, 0.0, 12.25, None],
            "r": pl.Series([5, None, 1, 2, None], dtype=pl.Int8),
            "reasons": ["[]", '[{"code": "silence", "points": 3.5}]', "[]", "[]", "[]"],
        }
    )
    seen: list[int] = []
    assert sqlite_loader.append(str(path), "seg", frame, batch=2, on_batch=seen.append) == 5
    assert seen == [2, 4, 5]
    con = sqlite3.connect(path)
    rows = con.execute("SELECT run_id, abc, cv, r, reasons FROM seg ORDER BY id").fetchall()
    con.close()
    assert rows == list(frame.iter_rows())
