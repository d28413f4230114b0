"""Every statistic against an independent computation on generated data with known properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from clientdesk.surveys import statistics as st

RNG = np.random.default_rng(20261127)


def test_nps_matches_mean_of_plus_minus_variable_and_its_z_interval() -> None:
    scores = RNG.choice(11, size=2_000, p=[0.03] * 7 + [0.1, 0.15, 0.25, 0.29]).astype(float)
    scores[:50] = np.nan
    result = st.nps(scores)
    x = np.where(scores >= 9, 1.0, np.where(scores <= 6, -1.0, 0.0))[50:]
    # The population variance of x is the NPS variance formula; scipy's normal interval on it.
    low, high = sps.norm.interval(0.95, loc=x.mean(), scale=x.std(ddof=0) / np.sqrt(x.size))
    assert result.n == 1_950
    assert result.nps == pytest.approx(100 * x.mean())
    assert result.low == pytest.approx(100 * low, abs=1e-6)
    assert result.high == pytest.approx(100 * high, abs=1e-6)
    assert result.promoters + result.passives + result.detractors == result.n


def test_nps_interval_covers_the_true_value_about_95_percent_of_the_time() -> None:
    p = np.array([0.05] * 7 + [0.1, 0.1, 0.2, 0.25])
    true = 100 * (p[9:].sum() - p[:7].sum())
    hits = 0
    for _ in range(400):
        r = st.nps(RNG.choice(11, size=400, p=p).astype(float))
        hits += r.low <= true <= r.high
    assert 0.92 <= hits / 400 <= 0.98


def test_csat_is_top_two_box_share_with_wilson_interval() -> None:
    scores = RNG.integers(1, 6, size=777).astype(float)
    result = st.csat(scores)
    hits = int((scores >= 4).sum())
    low, high = proportion_confint(hits, 777, alpha=0.05, method="wilson")
    assert result.value == pytest.approx(100 * hits / 777)
    assert result.low == pytest.approx(100 * low)
    assert result.high == pytest.approx(100 * high)


def test_mean_ci_matches_statsmodels_t_interval() -> None:
    values = RNG.integers(1, 8, size=300).astype(float)
    result = st.mean_ci(values)
    low, high = DescrStatsW(values).tconfint_mean()
    assert result.value == pytest.approx(values.mean())
    assert (result.low, result.high) == pytest.approx((low, high))


def test_distribution_lists_every_scale_point() -> None:
    d = st.distribution(np.array([1, 1, 5, np.nan]), scale=[1, 2, 3, 4, 5])
    assert d.counts == [2, 0, 0, 0, 1]
    assert d.n == 3
    assert st.bit_counts(np.array([0b101, 0b001, np.nan]), 3).counts == [2, 0, 1]


def test_chi_square_matches_pingouin_and_cramers_v() -> None:
    groups = RNG.choice(["a", "b", "c"], size=900)
    answer = np.where(groups == "a", RNG.choice(3, 900, p=[0.6, 0.2, 0.2]), RNG.choice(3, 900))
    tab = st.crosstab(answer.astype(float), groups)
    result = st.compare(tab, ordinal=False)
    df = pd.DataFrame({"g": groups, "v": answer})
    _, _, pg_stats = pg.chi2_independence(df, x="g", y="v", correction=False)
    pearson = pg_stats.set_index("test").loc["pearson"]
    assert result.test == "chi2"
    assert result.statistic == pytest.approx(pearson["chi2"])
    assert result.p == pytest.approx(pearson["pval"])
    assert result.effect == pytest.approx(pearson["cramer"])
    assert result.p < 0.001  # the difference was built in


def test_sparse_two_by_two_uses_fisher_exact() -> None:
    table = np.array([[3, 1], [1, 3]])
    result = st.chi_square(table)
    _odds, p = sps.fisher_exact(table)
    assert result.test == "fisher"
    assert result.p == pytest.approx(p)


def test_sparse_larger_table_carries_a_warning() -> None:
    result = st.chi_square(np.array([[1, 2, 0, 30], [2, 1, 1, 28], [0, 1, 2, 25]]))
    assert result.warning == "sparse"


def test_mann_whitney_from_counts_matches_scipy_and_pingouin() -> None:
    a = RNG.choice(5, size=300, p=[0.1, 0.1, 0.2, 0.3, 0.3]) + 1
    b = RNG.choice(5, size=250, p=[0.2, 0.2, 0.2, 0.2, 0.2]) + 1
    values = np.concatenate([a, b]).astype(float)
    groups = np.array(["a"] * 300 + ["b"] * 250)
    result = st.compare(st.crosstab(values, groups), ordinal=True)
    ref = sps.mannwhitneyu(a, b, method="asymptotic", use_continuity=True)
    pg_ref = pg.mwu(a, b)
    assert result.test == "mannwhitney"
    assert result.statistic == pytest.approx(ref.statistic)
    assert result.p == pytest.approx(ref.pvalue, rel=1e-6)
    assert result.effect == pytest.approx(pg_ref["RBC"].iloc[0])
    assert result.effect > 0


def test_kruskal_from_counts_matches_scipy_and_pingouin() -> None:
    samples = [RNG.integers(0, 11, size=n) + shift for n, shift in ((200, 0), (150, 1), (90, 0))]
    samples = [np.clip(s, 0, 10) for s in samples]
    values = np.concatenate(samples).astype(float)
    groups = np.repeat(["x", "y", "z"], [200, 150, 90])
    result = st.compare(st.crosstab(values, groups), ordinal=True)
    ref = sps.kruskal(*samples)
    pg_ref = pg.kruskal(pd.DataFrame({"v": values, "g": groups}), dv="v", between="g")
    assert result.statistic == pytest.approx(ref.statistic)
    assert result.statistic == pytest.approx(pg_ref["H"].iloc[0])
    assert result.p == pytest.approx(ref.pvalue)
    assert result.effect == pytest.approx(ref.statistic / (len(values) - 1))


def test_bh_and_holm_match_statsmodels() -> None:
    p = [*RNG.uniform(0, 0.2, size=40).tolist(), np.nan]
    bh = st.benjamini_hochberg(p)
    hm = st.holm(p)
    ref_bh = multipletests(p[:-1], method="fdr_bh")[1]
    ref_holm = multipletests(p[:-1], method="holm")[1]
    assert bh[:-1] == pytest.approx(ref_bh.tolist())
    assert hm[:-1] == pytest.approx(ref_holm.tolist())
    assert np.isnan(bh[-1])


def test_cronbach_alpha_matches_pingouin_and_rises_with_correlation() -> None:
    latent = RNG.normal(size=500)
    items = np.column_stack([latent + RNG.normal(scale=0.6, size=500) for _ in range(4)])
    alpha, n = st.cronbach_alpha(items)
    ref, _ = pg.cronbach_alpha(pd.DataFrame(items))
    assert n == 500
    assert alpha == pytest.approx(ref)
    noise, _ = st.cronbach_alpha(RNG.normal(size=(500, 4)))
    assert alpha > 0.8 > noise


def test_servqual_gap_is_mean_p_minus_e_with_paired_t_test() -> None:
    e = RNG.integers(5, 8, size=(200, 3)).astype(float)
    p = np.clip(e - RNG.integers(0, 3, size=(200, 3)), 1, 7).astype(float)
    (gap,) = st.servqual_gaps({"reliability": (e, p)})
    assert gap.gap == pytest.approx((p - e).mean(axis=1).mean())
    assert gap.gap < 0
    ref = pg.ttest(p.mean(axis=1), e.mean(axis=1), paired=True)
    assert gap.p == pytest.approx(ref["p_val"].iloc[0])


def test_spearman_matches_scipy() -> None:
    x = RNG.integers(1, 6, size=300).astype(float)
    y = x + RNG.integers(-1, 2, size=300)
    x[:10] = np.nan
    rho, n = st.spearman(x, y)
    ref = sps.spearmanr(x[10:], y[10:])
    assert n == 290
    assert rho == pytest.approx(ref.statistic)


def test_ipa_quadrants_follow_the_cross_hairs() -> None:
    points, imp_cut, _perf_cut = st.ipa(
        ["speed", "price", "manners", "reports"],
        [4.8, 4.6, 3.0, 3.1],
        [3.0, 4.5, 4.6, 3.2],
        [9] * 4,
    )
    by = {p.attribute: p.quadrant for p in points}
    assert by == {
        "speed": st.Quadrant.CONCENTRATE,
        "price": st.Quadrant.KEEP_UP,
        "manners": st.Quadrant.OVERKILL,
        "reports": st.Quadrant.LOW_PRIORITY,
    }
    assert imp_cut == pytest.approx(3.875)


def test_drivers_match_statsmodels_ols_and_weights_add_up_to_r2() -> None:
    n = 1_000
    x = RNG.normal(size=(n, 3))
    x[:, 1] += 0.5 * x[:, 0]  # correlated predictors
    y = 0.6 * x[:, 0] + 0.3 * x[:, 1] + 0.0 * x[:, 2] + RNG.normal(scale=0.8, size=n)
    result = st.drivers(x, y, ["a", "b", "c"])
    zx = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    ols = sm.OLS(zy, sm.add_constant(zx)).fit()
    assert result.betas == pytest.approx(ols.params[1:].tolist(), abs=1e-9)
    assert result.p_values == pytest.approx(ols.pvalues[1:].tolist(), rel=1e-6, abs=1e-12)
    assert result.r2 == pytest.approx(ols.rsquared)
    assert sum(result.weights) == pytest.approx(ols.rsquared)
    assert result.weights[0] > result.weights[1] > result.weights[2]


def test_relative_weights_equal_squared_correlations_for_orthogonal_predictors() -> None:
    n = 2_000
    x = np.linalg.qr(RNG.normal(size=(n, 2)))[0]
    y = 2 * x[:, 0] + x[:, 1] + RNG.normal(scale=0.01, size=n)
    result = st.drivers(x, y, ["a", "b"])
    r = [sps.pearsonr(x[:, j], y).statistic ** 2 for j in range(2)]
    assert result.weights == pytest.approx(r, rel=1e-2)


def test_nps_difference_between_waves_is_significant_when_built_in() -> None:
    a = st.nps(RNG.choice(11, size=600, p=[0.05] * 7 + [0.1, 0.1, 0.2, 0.25]).astype(float))
    b = st.nps(RNG.choice(11, size=600, p=[0.09] * 7 + [0.1, 0.1, 0.08, 0.09]).astype(float))
    diff, p = st.nps_difference(a, b)
    assert diff == pytest.approx(b.nps - a.nps)
    assert p < 0.001
