"""Demo data: five weeks of service-center and call-center history, and rosters.

Runs after the centers demo. For each demo center, the days before the ones it already has are
filled with tickets from a small queue simulation (arrivals peaking late morning and early
evening, first come first served at the center's desks, exponential patience of 20 minutes,
no-shows, first-contact outcomes; a company whose matter was not settled often comes back for
the same service within two weeks, which the report counts as a repeat visit), so that the
measured-service report and its heat map look alive and the staffing page has history to plan
from (with abandonment, so Erlang A). The call center gets five weeks of inbound calls.
Rosters: for the last week and the next two, shifts that cover most of the day with a thin spot
at the peaks.

Running it again changes nothing: days that have tickets, and teams that have shifts or calls,
are left as they are.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from clientdesk.accounts.models import User
from clientdesk.centers.models import (
    Desk,
    Outcome,
    ServiceCenter,
    ServiceGroup,
    Ticket,
    TicketCounter,
    TicketState,
)
from clientdesk.clients.models import Company
from clientdesk.core.roles import Role
from clientdesk.service.models import CallLog

from .models import Shift

WEEKS = 5
PATIENCE_MINUTES = 20.0
# Visitors per hour by local hour, at a center with four or five desks.
VISIT_PROFILE = {
    9: 6,
    10: 9,
    11: 13,
    12: 14,
    13: 10,
    14: 9,
    15: 9,
    16: 10,
    17: 13,
    18: 12,
    19: 7,
}
SATURDAY_PROFILE = {10: 8, 11: 10, 12: 10, 13: 8, 14: 7, 15: 5}
CALL_PROFILE = {
    9: 40,
    10: 70,
    11: 85,
    12: 75,
    13: 60,
    14: 70,
    15: 75,
    16: 65,
    17: 45,
}
CALL_AHT_SECONDS = 210
DEMO_CALL_PREFIX = "demo-history-"


def _arrivals(
    rng: random.Random, day: dt.date, tz: dt.tzinfo, profile: dict[int, int]
) -> list[dt.datetime]:
    times = []
    for hour, rate in profile.items():
        start = dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
        t = 0.0
        while True:
            t += rng.expovariate(rate / 3600)
            if t >= 3600:
                break
            times.append(start + dt.timedelta(seconds=t))
    return sorted(times)


def _simulate_day(
    rng: random.Random,
    center: ServiceCenter,
    day: dt.date,
    groups: list[ServiceGroup],
    desks: list[Desk],
    operators: list[User],
    companies: list[Company],
    returns: dict[dt.date, list[tuple[Company, ServiceGroup]]],
) -> tuple[list[Ticket], dict[str, int]]:
    profile = SATURDAY_PROFILE if day.weekday() == 5 else VISIT_PROFILE
    free: list[tuple[dt.datetime, int]] = [
        (dt.datetime.combine(day, dt.time(min(profile)), tzinfo=center.tz), i)
        for i in range(len(desks))
    ]
    heapq.heapify(free)
    counters: dict[str, int] = {}
    tickets = []
    coming_back = returns.pop(day, [])
    for issued in _arrivals(rng, day, center.tz, profile):
        company: Company | None
        if coming_back:
            # A client whose matter was not settled last time comes back for the same service.
            company, group = coming_back.pop()
        else:
            group = rng.choices(groups, weights=[len(groups) - i for i in range(len(groups))])[0]
            # Most walk-ins are not tied to a client company in the demo: with a few hundred
            # companies a higher share would make nearly every visit a repeat of another.
            known = min(0.2, len(companies) / 1500)
            company = rng.choice(companies) if companies and rng.random() < known else None
        counters[group.letter] = counters.get(group.letter, 0) + 1
        ticket = Ticket(
            center=center,
            day=day,
            letter=group.letter,
            number=counters[group.letter],
            service=group.service,
            queue_at=issued,
            issued_at=issued,
            company=company,
        )
        desk_free, desk_index = heapq.heappop(free)
        wait = max(0.0, (desk_free - issued).total_seconds())
        patience = rng.expovariate(1 / (PATIENCE_MINUTES * 60))
        if wait > patience:
            ticket.state = TicketState.ABANDONED
            ticket.finished_at = issued + dt.timedelta(seconds=patience)
            heapq.heappush(free, (desk_free, desk_index))
        else:
            called = issued + dt.timedelta(seconds=wait)
            ticket.called_at = called
            ticket.desk = desks[desk_index]
            ticket.operator = operators[desk_index % len(operators)] if operators else None
            if rng.random() < 0.05:
                ticket.state = TicketState.NO_SHOW
                ticket.finished_at = called + dt.timedelta(minutes=2)
            else:
                ticket.state = TicketState.DONE
                ticket.started_at = called + dt.timedelta(seconds=rng.randint(20, 90))
                minutes = group.handling_minutes * math.exp(rng.gauss(-0.1, 0.35))
                ticket.finished_at = ticket.started_at + dt.timedelta(minutes=minutes)
                ticket.first_contact_resolved = rng.random() < 0.78
                ticket.outcome = (
                    Outcome.RESOLVED
                    if ticket.first_contact_resolved
                    else rng.choice([Outcome.FOLLOW_UP, Outcome.DOCUMENTS_MISSING])
                )
                if company is not None and not ticket.first_contact_resolved:
                    back = day + dt.timedelta(days=rng.randint(2, 12))
                    if rng.random() < 0.7 and back.weekday() != 6:
                        returns.setdefault(back, []).append((company, group))
            heapq.heappush(free, (ticket.finished_at, desk_index))
        tickets.append(ticket)
    return tickets, counters


def _center_history(rng: random.Random, center: ServiceCenter, today: dt.date) -> int:
    groups = list(ServiceGroup.objects.filter(center=center).select_related("service"))
    desks = list(Desk.objects.filter(center=center, is_active=True).order_by("number"))
    if not groups or not desks:
        return 0
    operators = list(
        User.objects.filter(role=Role.CENTER_OPERATOR, is_active=True).order_by("pk")[:6]
    )
    companies = list(Company.objects.filter(merged_into__isnull=True).order_by("pk")[:300])
    returns: dict[dt.date, list[tuple[Company, ServiceGroup]]] = {}
    busy = set(Ticket.objects.filter(center=center).values_list("day", flat=True).distinct())
    made = 0
    for back in range(WEEKS * 7, 1, -1):
        day = today - dt.timedelta(days=back)
        if day in busy or day.weekday() == 6:
            continue
        tickets, counters = _simulate_day(
            rng, center, day, groups, desks, operators, companies, returns
        )
        Ticket.objects.bulk_create(tickets, batch_size=1000)
        TicketCounter.objects.bulk_create(
            [
                TicketCounter(center=center, day=day, letter=letter, last_number=last)
                for letter, last in counters.items()
            ]
        )
        made += len(tickets)
    return made


def _call_history(rng: random.Random, tz: dt.tzinfo, today: dt.date) -> int:
    if CallLog.objects.filter(external_id__startswith=DEMO_CALL_PREFIX).exists():
        return 0
    companies = list(Company.objects.filter(merged_into__isnull=True).order_by("pk")[:80])
    calls: list[CallLog] = []
    for back in range(WEEKS * 7, 0, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for at in _arrivals(rng, day, tz, CALL_PROFILE):
            missed = rng.random() < 0.06
            duration = None if missed else max(20, int(rng.expovariate(1 / CALL_AHT_SECONDS)))
            calls.append(
                CallLog(
                    external_id=f"{DEMO_CALL_PREFIX}{len(calls) + 1}",
                    phone=f"+7495{rng.randint(1000000, 9999999)}",
                    direction=CallLog.Direction.INBOUND,
                    company=rng.choice(companies) if companies and rng.random() < 0.7 else None,
                    started_at=at,
                    finished_at=at + dt.timedelta(seconds=duration or 15),
                    duration_seconds=duration,
                    outcome=CallLog.Outcome.MISSED
                    if missed
                    else rng.choice([CallLog.Outcome.RESOLVED, CallLog.Outcome.REQUEST]),
                )
            )
    CallLog.objects.bulk_create(calls, batch_size=2000)
    return len(calls)


def _shifts(
    center: ServiceCenter | None,
    tz: dt.tzinfo,
    today: dt.date,
    pattern: dict[int, list[tuple[int, int, int]]],
) -> int:
    if Shift.objects.filter(center=center).exists():
        return 0
    shifts: list[Shift] = []
    for offset in range(-7, 15):
        day = today + dt.timedelta(days=offset)
        for start, end, people in pattern.get(day.weekday(), []):
            for _n in range(people):
                shifts.append(
                    Shift(
                        center=center,
                        starts_at=dt.datetime.combine(day, dt.time(start), tzinfo=tz),
                        ends_at=dt.datetime.combine(day, dt.time(end), tzinfo=tz),
                        note="demo",
                    )
                )
    Shift.objects.bulk_create(shifts)
    return len(shifts)


# (start hour, end hour, people) per weekday: a thin spot at the noon and evening peaks.
CENTER_ROSTER = {
    **{d: [(9, 15, 3), (14, 20, 3), (11, 17, 1)] for d in range(5)},
    5: [(10, 16, 3)],
}
CALL_ROSTER = {d: [(9, 18, 5), (10, 14, 2), (12, 18, 1)] for d in range(5)}


@transaction.atomic
def load_demo(*, seed: int) -> None:
    rng = random.Random(seed + 6)  # noqa: S311 - demo data, not security
    # Plan around the days the centers demo filled, so that "today" has its own live queue.
    latest = Ticket.objects.aggregate(last=Max("day"))["last"]
    today = latest or timezone.localdate()
    for center in ServiceCenter.objects.filter(is_active=True).order_by("pk"):
        _center_history(rng, center, today)
        _shifts(center, center.tz, today, CENTER_ROSTER)
    local_tz = timezone.get_current_timezone()
    _call_history(rng, local_tz, timezone.localdate())
    _shifts(None, local_tz, timezone.localdate(), CALL_ROSTER)
