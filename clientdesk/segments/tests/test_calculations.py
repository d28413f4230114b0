"""Each method on small examples computed by hand (ties, zero revenue, single-month clients,
refunds). The rules themselves are written out in calculations.py's docstring."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from clientdesk.segments import calculations as calc

END = dt.date(2025, 12, 31)
E = calc.month_index(END)


def values(pairs):
    return pl.DataFrame(
        {"company_id": [p[0] for p in pairs], "value": [float(p[1]) for p in pairs]}
    )


def classes(frame):
    return dict(zip(frame["company_id"], frame["cls"], strict=True))


# --- ABC ---------------------------------------------------------------------------------------
def test_abc_company_crossing_the_threshold_is_still_a() -> None:
    # shares 50, 30, 10, 6, 4: before-shares 0, 50, 80, 90, 96 → A, A, B, B, C
    out = abc_of([(1, 50), (2, 30), (3, 10), (4, 6), (5, 4)])
    assert out == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C"}


def abc_of(pairs, **kw):
    return classes(calc.abc_classes(values(pairs), **kw))


def test_abc_single_dominant_client_is_a_not_b() -> None:
    assert abc_of([(1, 90), (2, 10)]) == {1: "A", 2: "B"}


def test_abc_ties_share_the_better_class_whatever_the_order() -> None:
    # 40, 40, 10, 10: before 0, 40, 80, 90 → A, A, B, B; the ids decide nothing.
    assert abc_of([(2, 40), (1, 40), (4, 10), (3, 10)]) == {1: "A", 2: "A", 3: "B", 4: "B"}
    # 70, 10, 10, 10: by position A, A(before 70), B(80), B(90) → the tie of 10s is all A.
    assert abc_of([(1, 70), (2, 10), (3, 10), (4, 10)]) == {1: "A", 2: "A", 3: "A", 4: "A"}


def test_abc_zero_and_net_negative_revenue_are_c() -> None:
    out = abc_of([(1, 100), (2, 0), (3, -50)])
    assert out == {1: "A", 2: "C", 3: "C"}


def test_abc_when_nobody_has_positive_revenue_everybody_is_c() -> None:
    assert abc_of([(1, 0), (2, -5)]) == {1: "C", 2: "C"}


def test_abc_configured_thresholds() -> None:
    # 50/30/20 with A = 50 %: before 0 → A, 50 → B (below 50+15=65), 80 → C
    assert abc_of([(1, 50), (2, 30), (3, 20)], a=50, b=15) == {1: "A", 2: "B", 3: "C"}


# --- XYZ ---------------------------------------------------------------------------------------
def xyz_of(series: dict[int, list[float | None]], first: dict[int, int], months=12, **kw):
    rows = [
        (cid, E - len(vals) + 1 + i, v)
        for cid, vals in series.items()
        for i, v in enumerate(vals)
        if v is not None
    ]
    monthly = pl.DataFrame(
        rows,
        schema={"company_id": pl.Int64, "month": pl.Int32, "revenue": pl.Float64},
        orient="row",
    )
    firsts = pl.DataFrame(
        {"company_id": list(first), "first": list(first.values())},
        schema={"company_id": pl.Int64, "first": pl.Int32},
    )
    out = calc.xyz_classes(monthly, firsts, start_month=E - months + 1, end_month=E, **kw)
    return {r["company_id"]: (r["xyz"], r["cv"]) for r in out.iter_rows(named=True)}


def test_xyz_constant_revenue_is_x_and_missing_months_count_as_zero() -> None:
    out = xyz_of({1: [100.0] * 12, 2: [100.0, None] * 6}, {1: E - 20, 2: E - 20})
    assert out[1] == ("X", 0.0)
    # 2: six months of 100 and six of 0 → mean 50, sd 50 → CV 100 %
    assert out[2][0] == "Z" and out[2][1] == pytest.approx(100.0)


def test_xyz_cv_by_hand_is_y() -> None:
    # 80, 120 alternating: mean 100, population sd 20 → CV 20 % → Y
    out = xyz_of({1: [80.0, 120.0] * 6}, {1: E - 30})
    assert out[1][0] == "Y" and out[1][1] == pytest.approx(20.0)


def test_xyz_counts_only_months_since_first_purchase() -> None:
    # First purchase three months before the end: series is 3 months of 100 → CV 0 → X.
    out = xyz_of({1: [100.0, 100.0, 100.0]}, {1: E - 2})
    assert out[1] == ("X", 0.0)


def test_xyz_single_month_client_is_z() -> None:
    out = xyz_of({1: [500.0]}, {1: E})
    assert out[1][0] == "Z"


def test_xyz_refunds_making_mean_non_positive_is_z() -> None:
    out = xyz_of({1: [100.0, -100.0, 0.0]}, {1: E - 2})
    assert out[1][0] == "Z" and out[1][1] is None


# --- RFM ---------------------------------------------------------------------------------------
def rfm(rows, **kw):
    frame = pl.DataFrame(
        rows,
        schema={
            "company_id": pl.Int64,
            "recency_days": pl.Int64,
            "frequency": pl.Int64,
            "monetary": pl.Float64,
        },
        orient="row",
    )
    return {r["company_id"]: r for r in calc.rfm_scores(frame, **kw).iter_rows(named=True)}


def test_rfm_quintiles_by_rank_five_clients_get_one_to_five() -> None:
    out = rfm([(i, 10 * i, 6 - i, 100.0 * (6 - i)) for i in range(1, 6)])
    assert [out[i]["r"] for i in range(1, 6)] == [5, 4, 3, 2, 1]
    assert [out[i]["f"] for i in range(1, 6)] == [5, 4, 3, 2, 1]
    assert out[1]["rfm_segment"] == "champions" and out[5]["rfm_segment"] == "lost"


def test_rfm_ties_share_a_score() -> None:
    # Four clients, F = 1, 1, 1, 9: the three ties have average rank 2 → ceil(5·2/4) = 3.
    out = rfm([(1, 5, 1, 10.0), (2, 5, 1, 20.0), (3, 5, 1, 30.0), (4, 5, 9, 40.0)])
    assert [out[i]["f"] for i in (1, 2, 3)] == [3, 3, 3] and out[4]["f"] == 5
    # Everybody tied on recency: average rank 2.5 → ceil(3.125) = 4.
    assert {out[i]["r"] for i in out} == {4}


def test_rfm_configured_bins() -> None:
    out = rfm(
        [(1, 20, 1, 5.0), (2, 100, 5, 5000.0), (3, 400, 20, 50.0)],
        r_bins=[30, 90, 180, 365],
        f_bins=[2, 4, 8, 16],
        m_bins=[10, 100, 1000, 10000],
    )
    assert (out[1]["r"], out[1]["f"], out[1]["m"]) == (5, 1, 1)
    assert (out[2]["r"], out[2]["f"], out[2]["m"]) == (3, 3, 4)
    assert (out[3]["r"], out[3]["f"], out[3]["m"]) == (1, 5, 2)


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 4, "champions"),
        (3, 3, 3, "loyal"),
        (4, 1, 2, "promising"),
        (1, 5, 5, "cant_lose"),
        (2, 3, 3, "at_risk"),
        (1, 3, 3, "at_risk"),
        (2, 1, 2, "hibernating"),
        (1, 2, 1, "lost"),
    ],
)
def test_rfm_named_segments(r, f, m, segment) -> None:
    frame = pl.DataFrame(
        {"company_id": [1], "recency_days": [0], "frequency": [0], "monetary": [0.0]}
    )
    scored = calc.rfm_scores(
        frame, r_bins=_bins_for(r, "r"), f_bins=_bins_for(f, "f"), m_bins=_bins_for(m, "m")
    )
    assert (scored["r"][0], scored["f"][0], scored["m"][0]) == (r, f, m)
    assert scored["rfm_segment"][0] == segment


def _bins_for(score: int, kind: str) -> list[float]:
    """Bins that give the one-row frame (recency 0, frequency 0, monetary 0) the score wanted."""
    if kind == "r":  # 5 - number of limits below 0
        return [-1.0] * (5 - score) + [1.0] * (score - 1)
    return [-1.0] * (score - 1) + [1.0] * (5 - score)  # 1 + number of edges ≤ 0


# --- lifecycle, trend ---------------------------------------------------------------------
def test_trend_compares_last_six_months_with_six_before() -> None:
    rows = [(1, E - 11 + i, 100.0 if i < 6 else 150.0) for i in range(12)]
    rows += [(2, E - 11 + i, 100.0 if i < 6 else 50.0) for i in range(12)]
    rows += [(3, E - 2, 10.0)]  # nothing earlier → +100 %
    monthly = pl.DataFrame(
        rows,
        schema={"company_id": pl.Int64, "month": pl.Int32, "revenue": pl.Float64},
        orient="row",
    )
    out = {
        r["company_id"]: r["trend_pct"]
        for r in calc.trend_frame(monthly, end_month=E, months=6).iter_rows(named=True)
    }
    assert out == {1: pytest.approx(50.0), 2: pytest.approx(-50.0), 3: 100.0}


def make_monthly(rows):
    """rows: (company_id, months_before_end, amount); a positive amount is one purchase."""
    data = []
    for cid, back, amount in rows:
        m = E - back
        day = calc.month_start(m) + dt.timedelta(days=14)
        data.append(
            {
                "company_id": cid,
                "month": m,
                "revenue": amount,
                "margin": 0.0,
                "contribution": amount,
                "cost_records": 0,
                "purchases": int(amount > 0),
                "records": 1,
                "last_purchase": day if amount > 0 else None,
            }
        )
    return pl.DataFrame(data, schema=calc.MONTHLY_SCHEMA)


def test_lifecycle_stages_by_hand() -> None:
    rows = []
    rows += [(1, b, 100.0) for b in range(0, 12)]  # stable
    rows += [(2, b, 200.0 if b < 6 else 100.0) for b in range(0, 12)]  # growing (+100 %)
    rows += [(3, b, 50.0 if b < 6 else 100.0) for b in range(0, 12)]  # declining (−50 %)
    rows += [(4, b, 100.0) for b in range(0, 3)]  # new: first purchase 2 months ago
    rows += [(5, b, 100.0) for b in range(5, 12)]  # dormant: nothing for 5 months
    rows += [(6, 14, 100.0)]  # lost: 14 months ago
    rows += [(7, 0, -100.0)]  # only a refund: never purchased → lost
    companies = pl.DataFrame({"company_id": [1, 2, 3, 4, 5, 6, 7, 8]})
    out, _ = calc.compute(
        make_monthly(rows), companies, calc.Params(period_end=END), with_clusters=False
    )
    stages = dict(zip(out["company_id"], out["lifecycle"], strict=True))
    assert stages == {
        1: "stable",
        2: "growing",
        3: "declining",
        4: "new",
        5: "dormant",
        6: "lost",
        7: "lost",
        8: "prospect",
    }
    # Company 6 bought 14 months ago, outside the 12-month period: no ABC, still RFM-scored.
    six = out.filter(pl.col("company_id") == 6).row(0, named=True)
    assert six["abc"] == "" and six["r"] is not None


def test_history_beyond_loaded_window_makes_a_returning_client_not_new() -> None:
    rows = [(1, b, 100.0) for b in range(0, 3)]
    history = pl.DataFrame(
        {"company_id": [1], "first_date": [dt.date(2019, 5, 1)], "last_date": [END]}
    )
    out, _ = calc.compute(
        make_monthly(rows),
        pl.DataFrame({"company_id": [1]}),
        calc.Params(period_end=END),
        history=history,
        with_clusters=False,
    )
    assert out["lifecycle"][0] != "new"


# --- churn risk and value ----------------------------------------------------------------------
def test_churn_risk_weights_and_reasons_by_hand() -> None:
    p = calc.Params(period_end=END)
    frame = pl.DataFrame(
        {
            "company_id": [1, 2, 3],
            "trend_pct": [-50.0, 10.0, None],
            "silence_days": [105, 10, 400],
            "has_history": [True, True, False],
        }
    )
    out = calc.churn_risk(frame, p)
    # 1: drop 0.5 × 35 + silence (105 − 30)/150 = 0.5 × 30 → 32.5 of 65 → 50
    assert out["churn_risk"].to_list() == [50, 0, 0]
    parts = out["risk_parts"][0]
    assert parts["revenue_drop"] == pytest.approx(0.5 * 35 * 100 / 65)
    reasons = calc.risk_reasons(parts, {"trend_pct": -50.0, "silence_days": 105})
    assert [r["code"] for r in reasons] == ["revenue_drop", "silence"]


def test_churn_risk_counts_complaints_and_satisfaction_when_provided() -> None:
    p = calc.Params(period_end=END)
    frame = pl.DataFrame(
        {
            "company_id": [1],
            "trend_pct": [0.0],
            "silence_days": [0],
            "has_history": [True],
            "complaints": [3],
            "satisfaction": [0.0],
        }
    )
    out = calc.churn_risk(frame, p, optional=["complaints", "satisfaction"])
    # (20 + 15) of 100
    assert out["churn_risk"][0] == 35


def test_expected_value_closed_form_matches_the_sum() -> None:
    factor = calc.expected_value_factor(churn_risk=30, horizon_months=36, annual_discount_pct=15)
    r = 0.7 ** (1 / 12)
    d = 1.15 ** (1 / 12) - 1
    assert factor == pytest.approx(sum((r / (1 + d)) ** t for t in range(1, 37)))
    # No risk and no discounting: exactly the horizon.
    assert calc.expected_value_factor(churn_risk=0, horizon_months=12, annual_discount_pct=0) == 12
    # Certain churn: nothing expected.
    assert (
        calc.expected_value_factor(churn_risk=100, horizon_months=12, annual_discount_pct=15) == 0
    )


def test_values_in_compute_use_margin_where_cost_is_known() -> None:
    monthly = make_monthly([(1, b, 1000.0) for b in range(12)]).with_columns(
        contribution=pl.lit(400.0), margin=pl.lit(400.0), cost_records=pl.lit(1, pl.Int64)
    )
    out, _ = calc.compute(
        monthly, pl.DataFrame({"company_id": [1]}), calc.Params(period_end=END), with_clusters=False
    )
    row = out.row(0, named=True)
    assert row["value_historic"] == pytest.approx(4800.0)
    assert row["abc_margin"] == "A" and row["margin"] == pytest.approx(4800.0)
    factor = calc.expected_value_factor(
        churn_risk=row["churn_risk"], horizon_months=36, annual_discount_pct=15
    )
    assert row["value_expected"] == pytest.approx(400.0 * factor)


# --- clusters ----------------------------------------------------------------------------------
def test_clusters_find_two_obvious_groups_and_describe_them() -> None:
    import numpy as np

    rng = np.random.default_rng(1)
    big = np.column_stack(
        [
            rng.normal(14, 0.2, 60),
            rng.normal(3, 0.1, 60),
            rng.normal(10, 3, 60),
            rng.normal(5, 1, 60),
            rng.normal(0, 2, 60),
        ]
    )
    small = np.column_stack(
        [
            rng.normal(8, 0.2, 60),
            rng.normal(0.7, 0.1, 60),
            rng.normal(200, 10, 60),
            rng.normal(150, 10, 60),
            rng.normal(0, 2, 60),
        ]
    )
    result = calc.clusters(np.vstack([big, small]), sample=1000)
    assert result is not None and result.k == 2
    assert result.sizes == [60, 60]
    assert set(result.labels[:60]) == {1}  # the high-revenue group is numbered 1
    words = dict(result.words[0])
    assert words["revenue"] is True and words.get("recency") is False


def test_clusters_need_more_than_a_handful_of_clients() -> None:
    import numpy as np

    assert calc.clusters(np.zeros((2, 5))) is None
    assert calc.clusters(np.ones((50, 5))) is None  # all alike: nothing to separate


def test_month_helpers_round_trip() -> None:
    assert calc.month_start(calc.month_index(dt.date(2024, 2, 29))) == dt.date(2024, 2, 1)
    assert calc.month_end(calc.month_index(dt.date(2024, 2, 10))) == dt.date(2024, 2, 29)
    assert not math.isnan(
        calc.expected_value_factor(churn_risk=50, horizon_months=1, annual_discount_pct=0)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_silhouette_is_scikit_learns(seed) -> None:
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    z = np.vstack([rng.normal(c, 1.0, (60, 3)) for c in (0, 4, 9)])
    labels = rng.integers(0, 4, len(z))
    labels[:3] = 7  # a small cluster; and one of a single point below
    labels[3] = 9
    got = calc.silhouette(calc.pairwise_distances(z), labels)
    assert got == pytest.approx(silhouette_score(z, labels), abs=1e-9)
