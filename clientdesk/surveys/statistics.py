"""Survey statistics as pure functions on numpy arrays: no Django, no database.

Every function takes plain arrays (NaN = no answer) and returns plain dataclasses, so that the
web page, the PDF and the benchmark share one implementation, and the tests can compare each
figure with an independent computation (scipy, statsmodels, pingouin).

Ordinal tests (Mann-Whitney, Kruskal-Wallis) are computed from the group × value count table
with mid-ranks for ties: survey answers take a handful of distinct values, so a million answers
reduce to a table of a few dozen cells and the tests stay exact (same tie correction as scipy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

FloatArray = np.ndarray

Z95 = 1.959963984540054
# A chi-square test is unreliable when more than this share of expected counts is below 5.
SPARSE_SHARE = 0.2


# --- headline scores -------------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class NpsResult:
    nps: float  # -100 .. 100
    low: float
    high: float
    n: int
    promoters: int
    passives: int
    detractors: int

    @property
    def margin(self) -> float:
        return (self.high - self.low) / 2


def _clean(values: FloatArray) -> FloatArray:
    arr = np.asarray(values, dtype=float)
    return arr[~np.isnan(arr)]


def nps(scores: FloatArray, *, z: float = Z95) -> NpsResult:
    """Net Promoter Score with a Wald interval.

    Each respondent scores +1 (promoter, 9-10), 0 (passive, 7-8) or -1 (detractor, 0-6); NPS is
    the mean of that variable × 100. Its variance is E[x²] − E[x]² = p_P + p_D − (p_P − p_D)²,
    so Var(NPS) = (p_P + p_D − (p_P − p_D)²) / n. The Wald interval is adequate from n ≈ 30;
    below that the page shows n next to the figure so the reader can judge.
    """
    s = _clean(scores)
    n = int(s.size)
    promoters = int(np.count_nonzero(s >= 9))
    detractors = int(np.count_nonzero(s <= 6))
    passives = n - promoters - detractors
    if n == 0:
        return NpsResult(math.nan, math.nan, math.nan, 0, 0, 0, 0)
    p_p, p_d = promoters / n, detractors / n
    value = p_p - p_d
    se = math.sqrt(max(p_p + p_d - value**2, 0.0) / n)
    return NpsResult(
        nps=100 * value,
        low=100 * max(value - z * se, -1.0),
        high=100 * min(value + z * se, 1.0),
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
    )


def wilson(successes: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion (behaves at 0 % and 100 %, unlike Wald)."""
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


def csat(scores: FloatArray, *, top: Sequence[int] = (4, 5)) -> Interval:
    """CSAT: percentage of satisfied answers (4 or 5 on a 1-5 scale), Wilson 95 % interval."""
    s = _clean(scores)
    n = int(s.size)
    hits = int(np.isin(s, np.asarray(top, dtype=float)).sum())
    low, high = wilson(hits, n)
    return Interval(100 * hits / n if n else math.nan, 100 * low, 100 * high, n)


def mean_ci(values: FloatArray) -> Interval:
    """Mean with a t interval (CES and any scale treated as interval data)."""
    s = _clean(values)
    n = int(s.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    m = float(s.mean())
    if n < 2:
        return Interval(m, math.nan, math.nan, n)
    half = float(sps.t.ppf(0.975, n - 1) * s.std(ddof=1) / math.sqrt(n))
    return Interval(m, m - half, m + half, n)


@dataclass(frozen=True)
class Distribution:
    values: list[float]
    counts: list[int]
    n: int

    @property
    def shares(self) -> list[float]:
        return [c / self.n if self.n else 0.0 for c in self.counts]


def distribution(values: FloatArray, *, scale: Sequence[float] | None = None) -> Distribution:
    """Counts of each value; with `scale`, every point of the scale appears, even unanswered."""
    s = _clean(values)
    if s.size and np.all(s == np.round(s)) and s.min() >= 0 and s.max() < 100_000:
        counts_all = np.bincount(s.astype(np.int64))
        present = np.nonzero(counts_all)[0]
        found = {float(v): int(counts_all[v]) for v in present.tolist()}
    else:
        uniq, counts = np.unique(s, return_counts=True)
        found = dict(zip(uniq.tolist(), counts.tolist(), strict=True))
    keys = list(scale) if scale is not None else uniq.tolist()
    return Distribution(
        values=[float(k) for k in keys],
        counts=[int(found.get(float(k), 0)) for k in keys],
        n=int(s.size),
    )


def bit_counts(masks: FloatArray, n_options: int) -> Distribution:
    """Multiple choice stored as a bit mask: how many respondents chose each option."""
    m = _clean(masks).astype(np.int64)
    counts = [int(np.count_nonzero(m & (1 << i))) for i in range(n_options)]
    return Distribution(values=[float(i) for i in range(n_options)], counts=counts, n=int(m.size))


# --- cross-tabulation and tests --------------------------------------------------------------
@dataclass
class CrossTab:
    groups: list[str]
    values: list[float]
    counts: np.ndarray  # groups × values

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def group_sizes(self) -> np.ndarray:
        return np.asarray(self.counts.sum(axis=1))


def crosstab(values: FloatArray, groups: np.ndarray) -> CrossTab:
    """Count table of `values` by `groups` (labels, or integer codes with -1 for none); rows
    with no value or no group are left out.

    Survey answers are small whole numbers and groups are codes, so the table is one bincount
    over the array (linear) instead of two sorts; other inputs fall back to np.unique."""
    vals = np.asarray(values, dtype=float)
    grp = np.asarray(groups)
    keep = ~np.isnan(vals)
    keep &= (grp != "") if grp.dtype.kind in "OUS" else (grp >= 0)
    vals, grp = vals[keep], grp[keep]
    if grp.dtype.kind in "iu" and vals.size and np.all(vals == np.round(vals)):
        v_int = vals.astype(np.int64)
        low, span = int(v_int.min()), int(v_int.max() - v_int.min()) + 1
        n_groups = int(grp.max()) + 1
        if span * n_groups <= 1_000_000:
            flat = np.bincount(
                grp.astype(np.int64) * span + (v_int - low), minlength=n_groups * span
            )
            full = flat.reshape(n_groups, span)
            rows = np.nonzero(full.sum(axis=1))[0]
            cols = np.nonzero(full.sum(axis=0))[0]
            return CrossTab(
                [str(g) for g in rows.tolist()],
                [float(low + c) for c in cols.tolist()],
                full[np.ix_(rows, cols)],
            )
    g_labels, g_idx = np.unique(grp, return_inverse=True)
    v_labels, v_idx = np.unique(vals, return_inverse=True)
    table = np.zeros((g_labels.size, v_labels.size), dtype=np.int64)
    np.add.at(table, (g_idx, v_idx), 1)
    return CrossTab([str(g) for g in g_labels.tolist()], v_labels.tolist(), table)


@dataclass(frozen=True)
class TestResult:
    test: str  # "chi2", "fisher", "mannwhitney", "kruskal", "none"
    statistic: float
    p: float
    effect: float
    effect_name: str  # "cramers_v", "odds_ratio", "rank_biserial", "epsilon_squared"
    n: int
    dof: int = 0
    warning: str = ""
    p_adjusted: float = math.nan


def chi_square(table: np.ndarray) -> TestResult:
    """Nominal × nominal: Pearson chi-square with Cramér's V; Fisher's exact test for a 2×2 table
    with an expected count below 5; a warning when over 20 % of expected counts are below 5."""
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    n = int(t.sum())
    if t.shape[0] < 2 or t.shape[1] < 2:
        return TestResult("none", math.nan, math.nan, math.nan, "", n, warning="one category")
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    sparse = float((expected < 5).mean())
    if t.shape == (2, 2) and (expected < 5).any():
        odds, p = sps.fisher_exact(t.astype(np.int64))
        return TestResult("fisher", float(odds), float(p), float(odds), "odds_ratio", n, 1)
    chi2 = float(((t - expected) ** 2 / expected).sum())
    dof = (t.shape[0] - 1) * (t.shape[1] - 1)
    p = float(sps.chi2.sf(chi2, dof))
    v = math.sqrt(chi2 / (n * (min(t.shape) - 1)))
    warning = "sparse" if sparse > SPARSE_SHARE else ""
    return TestResult("chi2", chi2, p, v, "cramers_v", n, dof, warning)


def _midranks(column_totals: np.ndarray) -> tuple[np.ndarray, float]:
    """Mid-rank of each distinct value and the tie term Σ(t³ − t)."""
    t = column_totals.astype(float)
    before = np.concatenate([[0.0], np.cumsum(t)[:-1]])
    return before + (t + 1) / 2, float((t**3 - t).sum())


def mann_whitney(table: np.ndarray) -> TestResult:
    """Two groups × ordered values: Mann-Whitney U (normal approximation with tie and continuity
    correction, as scipy's asymptotic method) and the rank-biserial correlation
    r = 2·U₁/(n₁n₂) − 1, positive when the first group answers higher."""
    t = np.asarray(table, dtype=float)
    n1, n2 = float(t[0].sum()), float(t[1].sum())
    n = n1 + n2
    if n1 == 0 or n2 == 0:
        return TestResult("none", math.nan, math.nan, math.nan, "", int(n), warning="empty group")
    ranks, ties = _midranks(t.sum(axis=0))
    u1 = float((t[0] * ranks).sum() - n1 * (n1 + 1) / 2)
    mu = n1 * n2 / 2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        p = 1.0
    else:
        z = (abs(u1 - mu) - 0.5) / sigma
        p = float(min(2 * sps.norm.sf(max(z, 0.0)), 1.0))
    return TestResult("mannwhitney", u1, p, 2 * u1 / (n1 * n2) - 1, "rank_biserial", int(n), 1)


def kruskal(table: np.ndarray) -> TestResult:
    """Three or more groups × ordered values: Kruskal-Wallis H with tie correction and
    epsilon² = H / (n − 1) as the effect size."""
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0]
    sizes = t.sum(axis=1)
    n = float(sizes.sum())
    k = t.shape[0]
    if k < 2:
        return TestResult("none", math.nan, math.nan, math.nan, "", int(n), warning="one group")
    ranks, ties = _midranks(t.sum(axis=0))
    rank_sums = t @ ranks
    h = 12 / (n * (n + 1)) * float((rank_sums**2 / sizes).sum()) - 3 * (n + 1)
    correction = 1 - ties / (n**3 - n)
    h = h / correction if correction > 0 else 0.0
    p = float(sps.chi2.sf(h, k - 1))
    return TestResult("kruskal", h, p, h / (n - 1), "epsilon_squared", int(n), k - 1)


def compare(tab: CrossTab, *, ordinal: bool) -> TestResult:
    """The right test for the table: chi-square for nominal answers, Mann-Whitney for ordinal
    answers in two groups, Kruskal-Wallis for three or more."""
    counts = tab.counts[tab.counts.sum(axis=1) > 0]
    if not ordinal:
        return chi_square(counts)
    if counts.shape[0] == 2:
        return mann_whitney(counts)
    return kruskal(counts)


# --- multiple comparisons --------------------------------------------------------------------
def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """False-discovery-rate adjusted p-values (step-up, monotone, capped at 1). NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out.tolist()
    order = np.argsort(q)
    scaled = q[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1.0)
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out.tolist()


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down family-wise adjusted p-values."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out.tolist()
    order = np.argsort(q)
    scaled = q[order] * (m - np.arange(m))
    adjusted = np.maximum.accumulate(scaled).clip(max=1.0)
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out.tolist()


# --- scales ----------------------------------------------------------------------------------
def cronbach_alpha(items: np.ndarray) -> tuple[float, int]:
    """Cronbach's alpha of a respondents × items matrix (complete rows only) and that n."""
    x = np.asarray(items, dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if n < 2 or k < 2:
        return math.nan, int(n)
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return math.nan, int(n)
    return float(k / (k - 1) * (1 - item_var / total_var)), int(n)


@dataclass(frozen=True)
class Gap:
    dimension: str
    expectation: float
    perception: float
    gap: float  # P − E; negative means expectations are not met
    low: float
    high: float
    n: int
    p: float  # paired t-test of P against E


def servqual_gaps(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[Gap]:
    """SERVQUAL gap per dimension. `pairs[dim] = (E, P)`: respondents × items matrices of that
    dimension. Each respondent's gap is the mean of P − E over the items they answered in both."""
    out: list[Gap] = []
    for dim, (e, p) in pairs.items():
        e_arr, p_arr = np.atleast_2d(e).astype(float), np.atleast_2d(p).astype(float)
        with np.errstate(invalid="ignore"):
            diff = p_arr - e_arr
            person = np.nanmean(np.where(np.isnan(diff), np.nan, diff), axis=1)
            e_mean = np.nanmean(np.where(np.isnan(diff), np.nan, e_arr), axis=1)
            p_mean = np.nanmean(np.where(np.isnan(diff), np.nan, p_arr), axis=1)
        keep = ~np.isnan(person)
        g = mean_ci(person[keep])
        p_value = (
            float(sps.ttest_rel(p_mean[keep], e_mean[keep]).pvalue) if keep.sum() > 1 else math.nan
        )
        out.append(
            Gap(
                dim,
                float(e_mean[keep].mean()) if keep.any() else math.nan,
                float(p_mean[keep].mean()) if keep.any() else math.nan,
                g.value,
                g.low,
                g.high,
                g.n,
                p_value,
            )
        )
    return out


# --- importance-performance and drivers ------------------------------------------------------
def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Spearman's rho on pairs where both are present: Pearson's r of the mid-ranks."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    n = int(a.size)
    if n < 3:
        return math.nan, n
    ra, rb = sps.rankdata(a), sps.rankdata(b)
    if ra.std() == 0 or rb.std() == 0:
        return math.nan, n
    return float(np.corrcoef(ra, rb)[0, 1]), n


class Quadrant:
    CONCENTRATE = "concentrate"
    KEEP_UP = "keep_up"
    LOW_PRIORITY = "low_priority"
    OVERKILL = "overkill"


@dataclass(frozen=True)
class IpaPoint:
    attribute: str
    importance: float
    performance: float
    quadrant: str
    n: int


def ipa(
    attributes: Sequence[str],
    importance: Sequence[float],
    performance: Sequence[float],
    n: Sequence[int],
) -> tuple[list[IpaPoint], float, float]:
    """Places attributes in the four quadrants, split at the mean importance and the mean
    performance of the attributes (the data-centred cross-hairs of Martilla & James)."""
    imp, perf = np.asarray(importance, dtype=float), np.asarray(performance, dtype=float)
    ok = ~(np.isnan(imp) | np.isnan(perf))
    if not ok.any():
        return [], math.nan, math.nan
    imp_cut, perf_cut = float(imp[ok].mean()), float(perf[ok].mean())
    points = []
    for name, i, p, k, good in zip(attributes, imp, perf, n, ok, strict=True):
        if not good:
            continue
        if i >= imp_cut:
            quadrant = Quadrant.KEEP_UP if p >= perf_cut else Quadrant.CONCENTRATE
        else:
            quadrant = Quadrant.OVERKILL if p >= perf_cut else Quadrant.LOW_PRIORITY
        points.append(IpaPoint(name, float(i), float(p), quadrant, int(k)))
    return points, imp_cut, perf_cut


@dataclass
class DriverResult:
    names: list[str]
    betas: list[float]  # standardised OLS coefficients
    p_values: list[float]
    weights: list[float]  # Johnson's relative weights; they add up to R²
    r2: float
    n: int
    shares: list[float] = field(default_factory=list)  # weights / R²


def drivers(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> DriverResult:
    """What moves the outcome: standardised OLS betas (with p-values) and Johnson's relative
    weights, which split R² among correlated predictors where betas mislead.

    Complete cases only. Relative weights: X = PΔQᵀ, Z = PQᵀ is the orthogonal matrix closest
    to X; regress y on Z (β) and X on Z (Λ = QΔQᵀ); weight_j = Σ_k Λ²_jk β²_k."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(xa).any(axis=1) | np.isnan(ya))
    xa, ya = xa[keep], ya[keep]
    n, k = xa.shape
    names = list(names)
    if n <= k + 1:
        nan = [math.nan] * k
        return DriverResult(names, nan, nan, nan, math.nan, int(n))
    sx, sy = xa.std(axis=0, ddof=1), ya.std(ddof=1)
    sx[sx == 0] = 1.0
    zx = (xa - xa.mean(axis=0)) / sx
    zy = (ya - ya.mean()) / (sy or 1.0)
    betas, *_ = np.linalg.lstsq(zx, zy, rcond=None)
    resid = zy - zx @ betas
    dof = n - k - 1
    sigma2 = float(resid @ resid) / dof
    xtx_inv = np.linalg.pinv(zx.T @ zx)
    se = np.sqrt(np.clip(np.diag(xtx_inv) * sigma2, 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        tvals = betas / se
    p_values = 2 * sps.t.sf(np.abs(tvals), dof)
    r2 = 1 - float(resid @ resid) / float(zy @ zy)
    # Relative weights on the correlation matrices.
    rxx = np.corrcoef(zx, rowvar=False) if k > 1 else np.ones((1, 1))
    rxy = (zx.T @ zy) / (n - 1)
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 0, None)
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T
    beta_z = np.linalg.pinv(lam) @ rxy
    weights = (lam**2) @ (beta_z**2)
    total = float(weights.sum())
    return DriverResult(
        names,
        [float(b) for b in betas],
        [float(p) for p in p_values],
        [float(w) for w in weights],
        r2,
        int(n),
        [float(w / total) if total else math.nan for w in weights],
    )


# --- trends ----------------------------------------------------------------------------------
def nps_difference(a: NpsResult, b: NpsResult) -> tuple[float, float]:
    """Change of NPS from wave a to wave b and its two-sided p-value (independent samples)."""
    if a.n == 0 or b.n == 0:
        return math.nan, math.nan

    def var(r: NpsResult) -> float:
        pp, pd = r.promoters / r.n, r.detractors / r.n
        return (pp + pd - (pp - pd) ** 2) / r.n

    se = math.sqrt(var(a) + var(b))
    diff = (b.nps - a.nps) / 100
    if se == 0:
        return 100 * diff, math.nan if diff == 0 else 0.0
    return 100 * diff, float(2 * sps.norm.sf(abs(diff) / se))
