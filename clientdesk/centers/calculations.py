"""Queue maths for staffing: Erlang C, free of the database and of the request.

Erlang C is usually written with A^N / N!, which overflows a float from about N = 170. Here the
probability of waiting comes from the Erlang B recursion

    B(0) = 1,   B(n) = A·B(n-1) / (n + A·B(n-1))

which only ever holds numbers between 0 and 1, and then C = N·B / (N - A·(1 - B)). It is exact
(no approximation) and stable for thousands of agents.

Units: traffic A in Erlangs (arrival rate × average handling time), times in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Beyond this many agents the search for a staffing level gives up: a target that needs more
# is a typo (a service level of 1.0, an answer time of zero with a huge traffic).
MAX_AGENTS = 100_000


def traffic_erlangs(*, arrivals: float, period_seconds: float, aht_seconds: float) -> float:
    """Offered traffic: `arrivals` contacts per `period_seconds`, each taking `aht_seconds`."""
    if period_seconds <= 0 or aht_seconds <= 0 or arrivals < 0:
        raise ValueError("arrivals must not be negative; period and handling time must be positive")
    return arrivals * aht_seconds / period_seconds


def _check(traffic: float, agents: int) -> None:
    if traffic < 0:
        raise ValueError("traffic must not be negative")
    if agents < 0:
        raise ValueError("agents must not be negative")


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability with `agents` servers and no queue."""
    _check(traffic, agents)
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a contact waits at all (1.0 when agents cannot keep up with traffic)."""
    _check(traffic, agents)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(traffic, agents)
    return agents * b / (agents - traffic * (1 - b))


def service_level(
    traffic: float, agents: int, *, aht_seconds: float, target_seconds: float
) -> float:
    """Share of contacts answered within `target_seconds`."""
    if agents <= traffic:
        return 0.0 if traffic > 0 else 1.0
    c = erlang_c(traffic, agents)
    return 1.0 - c * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def average_speed_of_answer(traffic: float, agents: int, *, aht_seconds: float) -> float:
    """Mean wait over all contacts (those answered at once count as zero); inf if overloaded."""
    if agents <= traffic:
        return math.inf if traffic > 0 else 0.0
    return erlang_c(traffic, agents) * aht_seconds / (agents - traffic)


def occupancy(traffic: float, agents: int) -> float:
    """Share of agents' time spent handling contacts (capped at 1 when overloaded)."""
    if agents <= 0:
        return 1.0 if traffic > 0 else 0.0
    return min(1.0, traffic / agents)


@dataclass(frozen=True)
class Staffing:
    agents: int
    probability_of_wait: float
    service_level: float
    asa_seconds: float
    occupancy: float


def staffing_for(
    traffic: float,
    agents: int,
    *,
    aht_seconds: float,
    target_seconds: float,
) -> Staffing:
    return Staffing(
        agents=agents,
        probability_of_wait=erlang_c(traffic, agents),
        service_level=service_level(
            traffic, agents, aht_seconds=aht_seconds, target_seconds=target_seconds
        ),
        asa_seconds=average_speed_of_answer(traffic, agents, aht_seconds=aht_seconds),
        occupancy=occupancy(traffic, agents),
    )


def agents_needed(
    traffic: float,
    *,
    aht_seconds: float,
    target_seconds: float,
    target_level: float,
    max_occupancy: float = 1.0,
) -> Staffing:
    """The fewest agents reaching `target_level` within `target_seconds` (e.g. 80 % in 20 s),
    and, if given, keeping occupancy at or under `max_occupancy`."""
    if not 0 < target_level < 1:
        raise ValueError("the target service level must be between 0 and 1 (e.g. 0.8)")
    if not 0 < max_occupancy <= 1:
        raise ValueError("the maximum occupancy must be above 0 and at most 1")
    if traffic == 0:
        return staffing_for(0.0, 0, aht_seconds=aht_seconds, target_seconds=target_seconds)
    agents = max(1, math.floor(traffic) + 1, math.ceil(traffic / max_occupancy))
    # The B recursion is carried along instead of restarted: the search is O(N), not O(N²).
    b = erlang_b(traffic, agents - 1)
    while agents <= MAX_AGENTS:
        b = traffic * b / (agents + traffic * b)
        c = agents * b / (agents - traffic * (1 - b))
        level = 1.0 - c * math.exp(-(agents - traffic) * target_seconds / aht_seconds)
        if level >= target_level:
            return Staffing(
                agents=agents,
                probability_of_wait=c,
                service_level=level,
                asa_seconds=c * aht_seconds / (agents - traffic),
                occupancy=traffic / agents,
            )
        agents += 1
    raise ValueError(f"no staffing level up to {MAX_AGENTS} agents reaches the target")


def estimated_wait_minutes(*, ahead: int, handling_minutes: int, open_desks: int) -> int | None:
    """A kiosk's promise: the people ahead served by the desks open, at the standard pace.

    None when no desk serving the service is open: the wait is unknown, not zero.
    """
    if open_desks <= 0:
        return None
    return math.ceil(ahead * handling_minutes / open_desks)


@dataclass(frozen=True)
class HourPlan:
    hour: int
    arrivals: int
    aht_seconds: float
    traffic: float
    staffing: Staffing


def hourly_plan(
    arrivals_by_hour: dict[int, int],
    *,
    aht_by_hour: dict[int, float],
    default_aht_seconds: float,
    target_seconds: float,
    target_level: float,
) -> list[HourPlan]:
    """Desks needed hour by hour to serve `target_level` of visitors within `target_seconds`.

    An hour without measured handling times uses `default_aht_seconds` (the day's mean or the
    services' standard)."""
    plans = []
    for hour, arrivals in sorted(arrivals_by_hour.items()):
        aht = aht_by_hour.get(hour) or default_aht_seconds
        traffic = traffic_erlangs(arrivals=arrivals, period_seconds=3600, aht_seconds=aht)
        plans.append(
            HourPlan(
                hour=hour,
                arrivals=arrivals,
                aht_seconds=aht,
                traffic=traffic,
                staffing=agents_needed(
                    traffic,
                    aht_seconds=aht,
                    target_seconds=target_seconds,
                    target_level=target_level,
                ),
            )
        )
    return plans
