"""Erlang C against an independent log-space formula and the classic worked example; Erlang A
against a birth-death chain and a matrix exponential solved numerically (numpy/scipy), which share
no formula with the closed forms in calculations.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientdesk.centers.calculations import (
    agents_needed,
    agents_needed_a,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    estimated_wait_minutes,
    interval_plan,
    occupancy,
    patience_mle,
    service_level,
    traffic_erlangs,
)


def _erlang_c_by_logs(a: float, n: int) -> float:
    """The textbook formula, A^N/N! · N/(N-A) over the sum, evaluated with logarithms."""
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(n)]
    top = n * math.log(a) - math.lgamma(n + 1) + math.log(n / (n - a))
    peak = max([*logs, top])
    total = sum(math.exp(x - peak) for x in logs) + math.exp(top - peak)
    return math.exp(top - peak) / total


def test_traffic_of_100_calls_per_half_hour_at_180_s_is_10_erlangs() -> None:
    assert traffic_erlangs(arrivals=100, period_seconds=1800, aht_seconds=180) == 10.0


def test_worked_example_13_agents_reach_about_80_percent_in_20_s() -> None:
    # The classic example: 10 Erlangs, AHT 180 s, 13 agents: P(wait) 28.5 %, SL 79.6 %, ASA 17 s.
    assert erlang_c(10, 13) == pytest.approx(_erlang_c_by_logs(10, 13), rel=1e-12)
    assert erlang_c(10, 13) == pytest.approx(0.2853, abs=1e-4)
    assert service_level(10, 13, aht_seconds=180, target_seconds=20) == pytest.approx(
        0.7956, abs=1e-4
    )
    assert average_speed_of_answer(10, 13, aht_seconds=180) == pytest.approx(17.12, abs=0.01)
    assert occupancy(10, 13) == pytest.approx(10 / 13)


def test_agents_needed_for_80_in_20_is_14_for_the_worked_example() -> None:
    staffing = agents_needed(10, aht_seconds=180, target_seconds=20, target_level=0.8)
    assert staffing.agents == 14
    assert staffing.service_level == pytest.approx(0.8884, abs=1e-4)


def test_large_traffic_does_not_overflow_where_factorials_would() -> None:
    with pytest.raises(OverflowError):
        float(500**510) / math.factorial(510)  # what the naive formula would attempt
    c = erlang_c(500, 510)
    assert c == pytest.approx(_erlang_c_by_logs(500, 510), rel=1e-9)
    staffing = agents_needed(500, aht_seconds=180, target_seconds=20, target_level=0.8)
    assert staffing.agents == 510
    assert staffing.service_level >= 0.8
    assert service_level(500, 509, aht_seconds=180, target_seconds=20) < 0.8


def test_overloaded_desk_always_waits() -> None:
    assert erlang_c(10, 10) == 1.0
    assert service_level(10, 9, aht_seconds=180, target_seconds=20) == 0.0
    assert average_speed_of_answer(10, 9, aht_seconds=180) == math.inf


def test_agents_needed_rejects_impossible_targets() -> None:
    with pytest.raises(ValueError):
        agents_needed(10, aht_seconds=180, target_seconds=20, target_level=1.0)


@given(
    a=st.floats(min_value=0.1, max_value=300, allow_nan=False),
    extra=st.integers(min_value=1, max_value=40),
)
def test_recursion_matches_log_formula(a: float, extra: int) -> None:
    n = math.floor(a) + extra
    assert erlang_c(a, n) == pytest.approx(_erlang_c_by_logs(a, n), rel=1e-9)
    assert 0 <= erlang_b(a, n) <= 1


def test_estimated_wait_is_unknown_without_an_open_desk() -> None:
    assert estimated_wait_minutes(ahead=4, handling_minutes=15, open_desks=0) is None
    assert estimated_wait_minutes(ahead=4, handling_minutes=15, open_desks=2) == 30
    assert estimated_wait_minutes(ahead=0, handling_minutes=15, open_desks=1) == 0


def _erlang_a_by_chain(
    a: float, n: int, *, aht: float, patience: float, t: float, size: int = 400, level: bool = True
) -> tuple[float, float, float, float]:
    """M/M/n+M solved as a truncated birth-death chain, and the tagged arrival's fate (answered,
    abandoned, waiting) after t seconds by the matrix exponential of its own small chain."""
    from scipy.linalg import expm

    lam, mu, theta = a / aht, 1 / aht, 1 / patience
    logs = np.zeros(size)
    for k in range(1, size):
        logs[k] = logs[k - 1] + math.log(lam / (min(k, n) * mu + max(k - n, 0) * theta))
    p = np.exp(logs - logs.max())
    p /= p.sum()
    p_wait = float(p[n:].sum())
    queue = float(sum((k - n) * p[k] for k in range(n, size)))
    p_abandon = theta * queue / lam
    mean_wait = queue / lam
    if not level:
        return p_wait, p_abandon, mean_wait, math.nan
    ahead = size - n
    answered, gave_up = ahead, ahead + 1
    q = np.zeros((ahead + 2, ahead + 2))
    for m in range(ahead):
        front = n * mu + m * theta
        q[m, answered if m == 0 else m - 1] += front
        q[m, gave_up] += theta
        q[m, m] -= front + theta
    within = float(p[n:size] @ expm(q * t)[:ahead, answered])
    return p_wait, p_abandon, mean_wait, 1 - p_wait + within


@pytest.mark.parametrize(
    ("a", "n", "aht", "patience", "t"),
    [
        (10.0, 13, 180, 120, 20),  # the Erlang C worked example, callers with 2 min patience
        (10.0, 8, 180, 300, 20),  # understaffed: Erlang C would be unstable, Erlang A is not
        (2.0, 3, 900, 1200, 600),  # a service center: 15-min visits, 20-min patience, 10 min
        (45.0, 50, 60, 30, 10),
    ],
)
def test_erlang_a_matches_a_numerically_solved_birth_death_chain(
    a: float, n: int, aht: float, patience: float, t: float
) -> None:
    figures = erlang_a(a, n, aht_seconds=aht, patience_seconds=patience, target_seconds=t)
    p_wait, p_abandon, mean_wait, level = _erlang_a_by_chain(a, n, aht=aht, patience=patience, t=t)
    assert figures.model == "A"
    assert figures.probability_of_wait == pytest.approx(p_wait, rel=1e-7)
    assert figures.probability_of_abandon == pytest.approx(p_abandon, rel=1e-7)
    assert figures.asa_seconds == pytest.approx(mean_wait, rel=1e-7)
    assert figures.service_level == pytest.approx(level, abs=1e-7)


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    a = erlang_a(10, 13, aht_seconds=180, patience_seconds=1e9, target_seconds=20)
    assert a.probability_of_wait == pytest.approx(erlang_c(10, 13), rel=1e-5)
    assert a.service_level == pytest.approx(
        service_level(10, 13, aht_seconds=180, target_seconds=20), rel=1e-5
    )
    assert a.probability_of_abandon < 1e-6


def test_abandonment_lowers_the_staff_needed_and_is_stable_when_understaffed() -> None:
    c = agents_needed(10, aht_seconds=180, target_seconds=20, target_level=0.8)
    a = agents_needed_a(
        10, aht_seconds=180, patience_seconds=60, target_seconds=20, target_level=0.8
    )
    assert a.agents <= c.agents and a.service_level >= 0.8
    below = erlang_a(10, 9, aht_seconds=180, patience_seconds=60, target_seconds=20)
    assert 0 < below.probability_of_abandon < 1 and math.isfinite(below.asa_seconds)
    nobody = erlang_a(10, 0, aht_seconds=180, patience_seconds=60, target_seconds=20)
    assert (nobody.probability_of_abandon, nobody.service_level) == (1.0, 0.0)


def test_erlang_a_at_large_traffic_and_light_load_stays_finite() -> None:
    lax = agents_needed_a(
        2000, aht_seconds=180, patience_seconds=90, target_seconds=20, target_level=0.8
    )
    # Heavy traffic: 80 % in 20 s is met below the traffic, with one caller in seven hanging up.
    assert lax.agents < 2000 and lax.probability_of_abandon > 0.1
    big = agents_needed_a(
        2000,
        aht_seconds=180,
        patience_seconds=90,
        target_seconds=20,
        target_level=0.8,
        max_abandon=0.02,
    )
    assert 1950 < big.agents < 2100 and big.service_level >= 0.8
    assert big.probability_of_abandon <= 0.02
    light = erlang_a(0.5, 400, aht_seconds=180, patience_seconds=60, target_seconds=20)
    assert light.probability_of_wait == 0.0 and light.service_level == 1.0


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(min_value=0.5, max_value=60, allow_nan=False),
    extra=st.integers(min_value=-3, max_value=10),
    patience=st.floats(min_value=10, max_value=2000),
)
def test_erlang_a_chain_agreement_everywhere(a: float, extra: int, patience: float) -> None:
    n = max(1, math.floor(a) + extra)
    figures = erlang_a(a, n, aht_seconds=120, patience_seconds=patience, target_seconds=20)
    p_wait, p_abandon, _mean, _level = _erlang_a_by_chain(
        a, n, aht=120, patience=patience, t=20, size=n + 400, level=False
    )
    assert figures.probability_of_wait == pytest.approx(p_wait, rel=1e-6, abs=1e-12)
    assert figures.probability_of_abandon == pytest.approx(p_abandon, rel=1e-6, abs=1e-12)


def test_patience_is_total_wait_over_abandonments() -> None:
    assert patience_mle(abandoned=4, total_wait_seconds=4800) == 1200
    assert patience_mle(abandoned=0, total_wait_seconds=4800) is None


def test_interval_plan_picks_erlang_a_only_with_a_patience() -> None:
    plan_c = interval_plan(
        [0, 50, 100], interval_minutes=30, aht_seconds=180, target_seconds=20, target_level=0.8
    )
    assert [p.staffing.model for p in plan_c] == ["C", "C", "C"]
    assert plan_c[2].traffic == 10.0 and plan_c[2].staffing.agents == 14
    assert plan_c[1].label == "00:30"
    plan_a = interval_plan(
        [0, 50, 100],
        interval_minutes=30,
        aht_seconds=[None, 180, None],
        target_seconds=20,
        target_level=0.8,
        patience_seconds=120,
    )
    assert plan_a[2].aht_seconds == 180 and plan_a[2].staffing.model == "A"
    assert plan_a[0].staffing.agents == 0
    with pytest.raises(ValueError):
        interval_plan([1], interval_minutes=7, aht_seconds=60, target_seconds=20, target_level=0.8)
