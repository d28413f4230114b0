"""Queue maths for staffing: Erlang C and Erlang A, free of the database and of the request.

Erlang C is usually written with A^N / N!, which overflows a float from about N = 170. Here the
probability of waiting comes from the Erlang B recursion

    B(0) = 1,   B(n) = A·B(n-1) / (n + A·B(n-1))

which only ever holds numbers between 0 and 1, and then C = N·B / (N - A·(1 - B)). It is exact
(no approximation) and stable for thousands of agents.

Erlang A (M/M/n+M, Palm's model as analysed by Garnett, Mandelbaum and Reiman 2002) adds
impatience: each waiting contact abandons after an exponential patience with mean
`patience_seconds` (estimated from history by `patience_mle`). With θ = 1/patience, μ = 1/AHT,
x = nμ/θ, y = λ/θ and the regularised lower incomplete gamma P(x, y):

    J     = Σ_j y^j / ((x+1)…(x+j)) = Γ(x+1)·e^y·y^-x·P(x, y)
    P(W>0) = 1 / (1 + (1 - B)/(B·J))                  B = Erlang B(n, A)
    P(Ab)  = P(W>0)·(1 + (n/A)(1/J − 1))
    E[W]   = P(Ab)·patience                             (Little's law on the queue, all arrivals)
    answered within t = 1 − P(W>0) + P(W>0)·(n/A)·[P(x+1, y) − P(x+1, y·e^−θt)] / P(x, y)

The last one was derived for this module from the density of the offered wait,
f(τ) ∝ nμ·e^−nμτ·exp((λ/θ)(1 − e^−θτ)), and is checked in the tests against a birth-death chain
and a matrix exponential solved with numpy/scipy.

Units: traffic A in Erlangs (arrival rate × average handling time), times in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.special import gammainc, gammaln

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
    # Erlang A only: the share of contacts that hang up or leave the queue before being served.
    probability_of_abandon: float = 0.0
    model: str = "C"


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


# Below this, P(x, y) has lost its precision (or underflowed): J is summed as a series instead.
_TINY = 1e-250


def _log_j(x: float, y: float) -> float:
    """log J, J = Σ_j y^j / ((x+1)…(x+j)), the queue part of Erlang A relative to π_n."""
    if y <= 0:
        return 0.0
    p = float(gammainc(x, y))
    if p > _TINY:
        return float(gammaln(x + 1)) + y - x * math.log(y) + math.log(p)
    # P underflows only when y is far below x: then the terms shrink fast and few are needed.
    term = total = 1.0
    j = 1
    while term > 1e-17 * total and j < 1_000_000:
        term *= y / (x + j)
        total += term
        j += 1
    return math.log(total)


def _answered_within_by_quadrature(
    rate: float, theta: float, y: float, log_j: float, target_seconds: float
) -> float:
    """Of the contacts that wait, the share answered within the target: the offered wait has
    density rate·e^(−rate·τ)·exp(y(1 − e^(−θτ)))/J, and one answered at τ had patience > τ."""
    from scipy.integrate import quad

    def density(tau: float) -> float:
        return rate * math.exp(-(rate + theta) * tau - y * math.expm1(-theta * tau) - log_j)

    value, _error = quad(density, 0.0, target_seconds, limit=200)
    return min(1.0, max(0.0, float(value)))


def _erlang_a(
    traffic: float,
    agents: int,
    b: float,
    *,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
) -> Staffing:
    """Erlang A figures for `agents`; b = Erlang B(traffic, agents), carried by the search."""
    if traffic == 0:
        return Staffing(agents, 0.0, 1.0, 0.0, 0.0, 0.0, "A")
    if agents == 0:
        # Nobody answers: every contact waits until it gives up.
        return Staffing(0, 1.0, 0.0, patience_seconds, 1.0, 1.0, "A")
    x = agents * patience_seconds / aht_seconds
    y = traffic * patience_seconds / aht_seconds
    if b <= 0:
        p_wait = 0.0  # B underflowed: so few contacts for so many agents that nobody waits
    else:
        log_ratio = math.log1p(-b) - math.log(b) - _log_j(x, y)
        p_wait = 0.0 if log_ratio > 700 else 1.0 / (1.0 + math.exp(log_ratio))
    j = math.exp(min(_log_j(x, y), 700.0))
    p_abandon = min(1.0, max(0.0, p_wait * (1.0 + (agents / traffic) * (1.0 / j - 1.0))))
    p_xy = float(gammainc(x, y))
    if p_xy > 1e-12:
        decay = y * math.exp(-target_seconds / patience_seconds)
        within = (agents / traffic) * (gammainc(x + 1, y) - gammainc(x + 1, decay)) / p_xy
    else:
        # P(x, y) is too small for the difference above to keep its digits (light load, or a
        # patience so long that x and y run into millions): integrate the density instead.
        within = _answered_within_by_quadrature(
            agents / aht_seconds, 1.0 / patience_seconds, y, _log_j(x, y), target_seconds
        )
    answered = 1.0 - p_wait + p_wait * float(within)
    return Staffing(
        agents=agents,
        probability_of_wait=p_wait,
        service_level=min(1.0, max(0.0, answered)),
        asa_seconds=p_abandon * patience_seconds,
        occupancy=min(1.0, traffic * (1.0 - p_abandon) / agents),
        probability_of_abandon=p_abandon,
        model="A",
    )


def _check_a(aht_seconds: float, patience_seconds: float, target_seconds: float) -> None:
    if aht_seconds <= 0 or patience_seconds <= 0:
        raise ValueError("handling time and mean patience must be positive")
    if target_seconds < 0:
        raise ValueError("the target answer time must not be negative")


def erlang_a(
    traffic: float,
    agents: int,
    *,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
) -> Staffing:
    """Erlang A: waiting, abandoning, answered within `target_seconds` (of all contacts), the
    mean wait of all contacts (those who give up count their time until they left) and the
    occupancy of the agents by the contacts actually served."""
    _check(traffic, agents)
    _check_a(aht_seconds, patience_seconds, target_seconds)
    return _erlang_a(
        traffic,
        agents,
        erlang_b(traffic, agents),
        aht_seconds=aht_seconds,
        patience_seconds=patience_seconds,
        target_seconds=target_seconds,
    )


def agents_needed_a(
    traffic: float,
    *,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
    target_level: float,
    max_occupancy: float = 1.0,
    max_abandon: float = 1.0,
) -> Staffing:
    """The fewest agents for which Erlang A answers `target_level` within `target_seconds`
    and no more than `max_abandon` of the contacts give up.

    Unlike Erlang C, a queue with abandonment is stable below `traffic` agents, so the search
    starts at one agent (the service level rises with every agent added). The abandonment cap
    matters with heavy traffic: there a level like 80 % in 20 s can be met with fewer agents
    than the traffic, everyone waiting a little and one in six hanging up."""
    if not 0 < target_level < 1:
        raise ValueError("the target service level must be between 0 and 1 (e.g. 0.8)")
    if not 0 < max_occupancy <= 1:
        raise ValueError("the maximum occupancy must be above 0 and at most 1")
    _check(traffic, 0)
    _check_a(aht_seconds, patience_seconds, target_seconds)
    if traffic == 0:
        return Staffing(0, 0.0, 1.0, 0.0, 0.0, 0.0, "A")
    b = 1.0
    for agents in range(1, MAX_AGENTS + 1):
        b = traffic * b / (agents + traffic * b)
        figures = _erlang_a(
            traffic,
            agents,
            b,
            aht_seconds=aht_seconds,
            patience_seconds=patience_seconds,
            target_seconds=target_seconds,
        )
        if (
            figures.service_level >= target_level
            and figures.occupancy <= max_occupancy
            and figures.probability_of_abandon <= max_abandon
        ):
            return figures
    raise ValueError(f"no staffing level up to {MAX_AGENTS} agents reaches the target")


def patience_mle(*, abandoned: int, total_wait_seconds: float) -> float | None:
    """Mean patience of an exponential model, estimated from history by maximum likelihood.

    Every contact that waited is an observation: those who gave up show their patience, those
    served show only that their patience was longer than their wait (censored). The estimate is
    the total time all of them waited divided by the number who gave up; None without any."""
    if abandoned <= 0 or total_wait_seconds <= 0:
        return None
    return total_wait_seconds / abandoned


@dataclass(frozen=True)
class IntervalPlan:
    """Staff needed in one interval of a day (the index counts intervals from midnight)."""

    index: int
    start_minute: int
    minutes: int
    arrivals: float
    aht_seconds: float
    traffic: float
    staffing: Staffing

    @property
    def label(self) -> str:
        return f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}"


def interval_plan(
    arrivals: Sequence[float],
    *,
    interval_minutes: int,
    aht_seconds: Sequence[float | None] | float,
    target_seconds: float,
    target_level: float,
    patience_seconds: float | None = None,
    max_abandon: float = 1.0,
) -> list[IntervalPlan]:
    """Agents needed per interval: Erlang A when a patience is known, else Erlang C.

    `arrivals[i]` contacts arrive in interval i (of `interval_minutes`); `aht_seconds` is one
    figure or one per interval (None where nothing was measured: the mean of the others)."""
    if interval_minutes <= 0 or 1440 % interval_minutes:
        raise ValueError("the interval must divide a day (15, 30 or 60 minutes)")
    if isinstance(aht_seconds, int | float):
        ahts: list[float | None] = [float(aht_seconds)] * len(arrivals)
    else:
        ahts = list(aht_seconds)
    known = [a for a in ahts if a]
    fallback = sum(known) / len(known) if known else None
    plans = []
    for index, count in enumerate(arrivals):
        aht = ahts[index] if index < len(ahts) and ahts[index] else fallback
        if count < 0:
            raise ValueError("arrivals must not be negative")
        if aht is None:
            if count:
                raise ValueError("a handling time is needed where contacts arrive")
            aht = 1.0
        traffic = traffic_erlangs(
            arrivals=count, period_seconds=interval_minutes * 60, aht_seconds=aht
        )
        if patience_seconds:
            staffing = agents_needed_a(
                traffic,
                aht_seconds=aht,
                patience_seconds=patience_seconds,
                target_seconds=target_seconds,
                target_level=target_level,
                max_abandon=max_abandon,
            )
        else:
            staffing = agents_needed(
                traffic, aht_seconds=aht, target_seconds=target_seconds, target_level=target_level
            )
        plans.append(
            IntervalPlan(
                index=index,
                start_minute=index * interval_minutes,
                minutes=interval_minutes,
                arrivals=count,
                aht_seconds=aht,
                traffic=traffic,
                staffing=staffing,
            )
        )
    return plans


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
