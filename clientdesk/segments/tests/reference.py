"""Independent computations of ABC, XYZ and RFM from raw revenue records, written without
looking at calculations.py's code, from the rules in its docstring: one in plain pandas, one as
a single DuckDB SQL query. The tests and bench/segments.py compare all three.

Dev-only: pandas and duckdb are not product dependencies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

A, B, X, Y, MIN_MONTHS = 80.0, 15.0, 10.0, 25.0, 3


def _month(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 12 + dates.dt.month - 1


def pandas_segments(records: pd.DataFrame, period_end: dt.date, months: int = 12) -> pd.DataFrame:
    """records: company_id, date (datetime64), amount_base (float). One row per company seen."""
    end_ts = pd.Timestamp(period_end)
    rec = records[records["date"] <= end_ts].copy()
    rec["m"] = _month(rec["date"])
    end = period_end.year * 12 + period_end.month - 1
    start = end - months + 1

    firsts = rec.groupby("company_id")["m"].min()
    buys = rec[rec["amount_base"] > 0]
    last_purchase = buys.groupby("company_id")["date"].max()
    period = rec[rec["m"] >= start]
    revenue = period.groupby("company_id")["amount_base"].sum()
    freq = period[period["amount_base"] > 0].groupby("company_id").size()

    # ABC
    abc = revenue.rename("revenue").reset_index()
    abc = abc.sort_values(["revenue", "company_id"], ascending=[False, True])
    positive = abc["revenue"].clip(lower=0)
    total = positive.sum()
    if total > 0:
        before = (positive.cumsum() - positive) / total * 100
        cls = np.select(
            [abc["revenue"] <= 0, before < A - 1e-9, before < A + B - 1e-9], [3, 1, 2], 3
        )
    else:
        cls = np.full(len(abc), 3)
    abc["cls"] = cls
    abc["cls"] = abc.groupby("revenue")["cls"].transform("min")
    abc["abc"] = abc["cls"].map({1: "A", 2: "B", 3: "C"})

    # XYZ: months from the later of period start and first record, missing months are zero.
    grid = period.groupby(["company_id", "m"])["amount_base"].sum().unstack(fill_value=0.0)
    grid = grid.reindex(columns=range(start, end + 1), fill_value=0.0)
    grid = grid.reindex(abc["company_id"].to_numpy(), fill_value=0.0)
    first = firsts.reindex(grid.index).to_numpy()
    cols = np.arange(start, end + 1)
    mask = cols[None, :] >= np.maximum(first, start)[:, None]
    values = np.where(mask, grid.to_numpy(), 0.0)
    n = mask.sum(axis=1)
    mean = values.sum(axis=1) / n
    var = (np.where(mask, (grid.to_numpy() - mean[:, None]) ** 2, 0.0)).sum(axis=1) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(var) / mean * 100
    xyz = np.where(
        (mean <= 0) | (n < MIN_MONTHS),
        "Z",
        np.where(cv <= X + 1e-9, "X", np.where(cv <= Y + 1e-9, "Y", "Z")),
    )
    xyz_frame = pd.DataFrame({"company_id": grid.index, "xyz": xyz})

    # RFM over companies that ever purchased.
    rfm = pd.DataFrame({"last": last_purchase})
    rfm["recency"] = (end_ts - rfm["last"]).dt.days
    rfm["frequency"] = freq.reindex(rfm.index).fillna(0)
    rfm["monetary"] = revenue.reindex(rfm.index).fillna(0.0)
    count = len(rfm)
    for col, goodness in (("r", -rfm["recency"]), ("f", rfm["frequency"]), ("m", rfm["monetary"])):
        rank = goodness.rank(method="average")
        rfm[col] = np.clip(np.ceil(rank * 5 / count), 1, 5).astype(int)
    rfm = rfm.reset_index()[["company_id", "r", "f", "m"]]

    out = abc[["company_id", "abc"]].merge(xyz_frame, on="company_id", how="left")
    out = out.merge(rfm, on="company_id", how="outer")
    out["abc"] = out["abc"].fillna("")
    out["xyz"] = out["xyz"].fillna("")
    return out.sort_values("company_id").reset_index(drop=True)


DUCKDB_SQL = """
WITH rec AS (
  SELECT company_id, CAST(date AS DATE) AS d, CAST(amount_base AS DOUBLE) AS amt,
         year(CAST(date AS DATE)) * 12 + month(CAST(date AS DATE)) - 1 AS m
  FROM {source} WHERE CAST(date AS DATE) <= DATE '{end_date}'
),
firsts AS (
  SELECT company_id, MIN(m) AS first_m, MAX(CASE WHEN amt > 0 THEN d END) AS last_purchase
  FROM rec GROUP BY company_id
),
per AS (
  SELECT company_id, SUM(amt) AS revenue, SUM(CASE WHEN amt > 0 THEN 1 ELSE 0 END) AS freq
  FROM rec WHERE m >= {start} GROUP BY company_id
),
tot AS (SELECT SUM(GREATEST(revenue, 0)) AS total FROM per),
abc0 AS (
  SELECT per.company_id, per.revenue, tot.total,
    (SUM(GREATEST(revenue, 0)) OVER (ORDER BY revenue DESC, company_id
       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - GREATEST(revenue, 0))
    * 100.0 / NULLIF(tot.total, 0) AS before
  FROM per, tot
),
abc1 AS (
  SELECT company_id, revenue,
    CASE WHEN total IS NULL OR total <= 0 OR revenue <= 0 THEN 3
         WHEN before < {a} - 1e-9 THEN 1 WHEN before < {a} + {b} - 1e-9 THEN 2 ELSE 3 END AS c
  FROM abc0
),
abc AS (
  SELECT company_id,
    CASE MIN(c) OVER (PARTITION BY revenue) WHEN 1 THEN 'A' WHEN 2 THEN 'B' ELSE 'C' END AS abc
  FROM abc1
),
monthly AS (SELECT company_id, m, SUM(amt) AS v FROM rec WHERE m >= {start} GROUP BY 1, 2),
span AS (
  SELECT per.company_id, {end} - GREATEST(f.first_m, {start}) + 1 AS n
  FROM per JOIN firsts f USING (company_id)
),
stats AS (
  SELECT s.company_id, s.n, COALESCE(SUM(mo.v), 0) / s.n AS mean
  FROM span s LEFT JOIN monthly mo USING (company_id) GROUP BY 1, 2
),
var AS (
  SELECT st.company_id, st.n, st.mean,
    (COALESCE(SUM((mo.v - st.mean) * (mo.v - st.mean)), 0)
     + (st.n - COUNT(mo.v)) * st.mean * st.mean)
    / st.n AS var
  FROM stats st LEFT JOIN monthly mo USING (company_id) GROUP BY 1, 2, 3
),
xyz AS (
  SELECT company_id,
    CASE WHEN mean <= 0 OR n < {min_months} THEN 'Z'
         WHEN sqrt(GREATEST(var, 0)) / mean * 100 <= {x} + 1e-9 THEN 'X'
         WHEN sqrt(GREATEST(var, 0)) / mean * 100 <= {y} + 1e-9 THEN 'Y' ELSE 'Z' END AS xyz
  FROM var
),
buyers AS (
  SELECT f.company_id, date_diff('day', f.last_purchase, DATE '{end_date}') AS rec_days,
         COALESCE(per.freq, 0) AS freq, COALESCE(per.revenue, 0) AS mon
  FROM firsts f LEFT JOIN per USING (company_id) WHERE f.last_purchase IS NOT NULL
),
ranked AS (
  SELECT company_id,
    (2 * RANK() OVER (ORDER BY -rec_days) + COUNT(*) OVER (PARTITION BY rec_days) - 1) / 2.0 AS rr,
    (2 * RANK() OVER (ORDER BY freq) + COUNT(*) OVER (PARTITION BY freq) - 1) / 2.0 AS fr,
    (2 * RANK() OVER (ORDER BY mon) + COUNT(*) OVER (PARTITION BY mon) - 1) / 2.0 AS mr,
    COUNT(*) OVER () AS n
  FROM buyers
),
rfm AS (
  SELECT company_id,
    CAST(LEAST(5, GREATEST(1, CEIL(rr * 5 / n))) AS INTEGER) AS r,
    CAST(LEAST(5, GREATEST(1, CEIL(fr * 5 / n))) AS INTEGER) AS f,
    CAST(LEAST(5, GREATEST(1, CEIL(mr * 5 / n))) AS INTEGER) AS m
  FROM ranked
)
SELECT COALESCE(abc.company_id, rfm.company_id) AS company_id,
       COALESCE(abc.abc, '') AS abc, COALESCE(xyz.xyz, '') AS xyz, rfm.r, rfm.f, rfm.m
FROM abc FULL OUTER JOIN rfm ON rfm.company_id = abc.company_id
LEFT JOIN xyz ON xyz.company_id = abc.company_id
ORDER BY 1
"""


def duckdb_sql(source: str, period_end: dt.date, months: int = 12) -> str:
    end = period_end.year * 12 + period_end.month - 1
    return DUCKDB_SQL.format(
        source=source,
        end_date=period_end.isoformat(),
        end=end,
        start=end - months + 1,
        a=A,
        b=B,
        x=X,
        y=Y,
        min_months=MIN_MONTHS,
    )


def duckdb_segments(con: Any, source: str, period_end: dt.date, months: int = 12) -> Any:
    """Runs the one query; returns rows (company_id, abc, xyz, r, f, m)."""
    return con.execute(duckdb_sql(source, period_end, months)).fetchall()


def disagreements(
    ours: dict[int, tuple[Any, ...]], theirs: dict[int, tuple[Any, ...]]
) -> list[Any]:
    """Companies whose (abc, xyz, r, f, m) differ, for a readable failure message."""
    keys = set(ours) | set(theirs)
    return sorted((k, ours.get(k), theirs.get(k)) for k in keys if ours.get(k) != theirs.get(k))[
        :10
    ]
