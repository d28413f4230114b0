"""Erlang C against an independent log-space formula and the classic worked example."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientdesk.centers.calculations import (
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    estimated_wait_minutes,
    occupancy,
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
