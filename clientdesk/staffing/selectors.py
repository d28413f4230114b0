"""Reads for the staffing page: teams, arrivals and handling times from history, the roster.

History is the same weekday over the last `weeks` weeks before the planned day: arrivals are the
mean per interval over the days that have any record (a new center is not diluted by weeks
before it opened). Service centers read their tickets; the call center reads inbound calls
(`service.CallLog`), or, without any, requests that came in by phone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from clientdesk.centers.calculations import erlang_a, interval_plan, patience_mle, service_level
from clientdesk.centers.models import ServiceCenter, Ticket, TicketState
from clientdesk.centers.selectors import active_centers
from clientdesk.clients.models import Channel
from clientdesk.service.models import CallLog, ServiceRequest

from .models import Shift

CALL_CENTER = "call"


@dataclass(frozen=True)
class Team:
    key: str
    label: str
    center: ServiceCenter | None
    tz: ZoneInfo

    @property
    def is_call_center(self) -> bool:
        return self.center is None


def teams() -> list[Team]:
    found = [Team(c.code, c.name, c, c.tz) for c in active_centers()]
    return [*found, Team(CALL_CENTER, _("Call center"), None, ZoneInfo(settings.TIME_ZONE))]


@dataclass(frozen=True)
class History:
    arrivals: list[float]
    aht_seconds: list[float | None]
    patience_seconds: float | None
    abandon_share: float | None
    days: list[dt.date]
    source: str


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


def _slot(at: dt.datetime, tz: ZoneInfo, minutes: int) -> int:
    local = at.astimezone(tz)
    return (local.hour * 60 + local.minute) // minutes


def _mean_per_interval(
    records: list[tuple[dt.date, int]], days: list[dt.date], size: int
) -> list[float]:
    counts = [0] * size
    for _day, slot in records:
        counts[slot] += 1
    return [c / len(days) for c in counts] if days else [0.0] * size


def _means(values: dict[int, list[float]], size: int) -> list[float | None]:
    return [sum(values[i]) / len(values[i]) if values.get(i) else None for i in range(size)]


def _center_history(team: Team, days: list[dt.date], minutes: int, size: int) -> History:
    rows = list(
        Ticket.objects.filter(center=team.center, day__in=days)
        .filter(transferred_from__isnull=True)  # a transfer is the same visitor, not an arrival
        .values_list(
            "day", "issued_at", "queue_at", "called_at", "started_at", "finished_at", "state"
        )
        .order_by()
    )
    used = sorted({r[0] for r in rows})
    arrivals = _mean_per_interval([(r[0], _slot(r[1], team.tz, minutes)) for r in rows], used, size)
    handling: dict[int, list[float]] = defaultdict(list)
    abandoned, waited = 0, 0.0
    for _day, _issued, queued, called, started, finished, state in rows:
        if state == TicketState.DONE and started and finished:
            handling[_slot(started, team.tz, minutes)].append((finished - started).total_seconds())
        if called is not None:
            waited += max(0.0, (called - queued).total_seconds())
        elif state == TicketState.ABANDONED and finished is not None:
            abandoned += 1
            waited += max(0.0, (finished - queued).total_seconds())
    return History(
        arrivals=arrivals,
        aht_seconds=_means(handling, size),
        patience_seconds=patience_mle(abandoned=abandoned, total_wait_seconds=waited),
        abandon_share=abandoned / len(rows) if rows else None,
        days=used,
        source=_("tickets") if rows else "",
    )


def _spans(field: str, days: list[dt.date], tz: ZoneInfo) -> Q:
    spans = Q()
    for day in days:
        start, end = day_bounds(day, tz)
        spans |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return spans


def _call_history(team: Team, days: list[dt.date], minutes: int, size: int) -> History:
    calls = list(
        CallLog.objects.filter(
            _spans("started_at", days, team.tz), direction=CallLog.Direction.INBOUND
        )
        .values_list("started_at", "duration_seconds", "outcome")
        .order_by()
    )
    if calls:
        used = sorted({c[0].astimezone(team.tz).date() for c in calls})
        handling: dict[int, list[float]] = defaultdict(list)
        missed = 0
        for started, duration, outcome in calls:
            if outcome == CallLog.Outcome.MISSED:
                missed += 1
            elif duration:
                handling[_slot(started, team.tz, minutes)].append(float(duration))
        return History(
            arrivals=_mean_per_interval(
                [(c[0].date(), _slot(c[0], team.tz, minutes)) for c in calls], used, size
            ),
            aht_seconds=_means(handling, size),
            # Calls keep no waiting time, so patience cannot be estimated: it is entered.
            patience_seconds=None,
            abandon_share=missed / len(calls),
            days=used,
            source=_("inbound calls"),
        )
    created = list(
        ServiceRequest.objects.filter(_spans("created_at", days, team.tz), channel=Channel.PHONE)
        .values_list("created_at", flat=True)
        .order_by()
    )
    used = sorted({at.astimezone(team.tz).date() for at in created})
    return History(
        arrivals=_mean_per_interval(
            [(at.date(), _slot(at, team.tz, minutes)) for at in created], used, size
        ),
        aht_seconds=[None] * size,
        patience_seconds=None,
        abandon_share=None,
        days=used,
        source=_("requests by phone") if created else "",
    )


def history(team: Team, day: dt.date, *, interval_minutes: int, weeks: int = 4) -> History:
    size = 1440 // interval_minutes
    days = [day - dt.timedelta(weeks=k) for k in range(1, weeks + 1)]
    if team.center is not None:
        return _center_history(team, days, interval_minutes, size)
    return _call_history(team, days, interval_minutes, size)


def shifts_on(team: Team, day: dt.date) -> list[Shift]:
    start, end = day_bounds(day, team.tz)
    qs = Shift.objects.filter(starts_at__lt=end, ends_at__gt=start)
    qs = qs.filter(center=team.center) if team.center else qs.filter(center__isnull=True)
    return list(qs.select_related("person").order_by("starts_at", "pk"))


def scheduled(
    shifts: list[Shift], team: Team, day: dt.date, *, interval_minutes: int
) -> list[float]:
    """Staff on the roster per interval: the mean number present over the interval (a shift
    ending at 09:15 counts as half a person in the 09:00-09:30 interval)."""
    start, _end = day_bounds(day, team.tz)
    size = 1440 // interval_minutes
    step = dt.timedelta(minutes=interval_minutes)
    result = [0.0] * size
    for shift in shifts:
        for i in range(size):
            lo, hi = start + i * step, start + (i + 1) * step
            overlap = (min(hi, shift.ends_at) - max(lo, shift.starts_at)).total_seconds()
            if overlap > 0:
                result[i] += overlap / step.total_seconds()
    return result


@dataclass(frozen=True)
class PlanRow:
    label: str
    arrivals: float
    aht_seconds: float
    traffic: float
    needed: int
    scheduled: float
    model: str
    service_level: float  # with the staff needed
    abandon: float
    asa_seconds: float
    occupancy: float
    # What the roster as planned gives (None when nobody is needed and nobody scheduled).
    scheduled_level: float | None

    @property
    def gap(self) -> float:
        return self.scheduled - self.needed

    @property
    def short(self) -> bool:
        return self.scheduled + 1e-9 < self.needed


@dataclass(frozen=True)
class Plan:
    rows: list[PlanRow]
    needed_hours: float
    scheduled_hours: float
    short_intervals: int
    model: str


def staffing_plan(
    arrivals: list[float],
    aht_seconds: list[float | None],
    scheduled_staff: list[float],
    *,
    interval_minutes: int,
    target_level: float,
    target_seconds: float,
    patience_seconds: float | None,
    max_abandon: float,
) -> Plan:
    """Needed (Erlang A with a patience, else Erlang C) against scheduled, interval by interval;
    only the span from the first to the last interval with arrivals or staff is kept."""
    plans = interval_plan(
        arrivals,
        interval_minutes=interval_minutes,
        aht_seconds=aht_seconds,
        target_seconds=target_seconds,
        target_level=target_level,
        patience_seconds=patience_seconds,
        max_abandon=max_abandon,
    )
    busy = [i for i, p in enumerate(plans) if p.arrivals > 0 or scheduled_staff[i] > 0]
    rows = []
    for p in plans[busy[0] : busy[-1] + 1] if busy else []:
        on_roster = scheduled_staff[p.index]
        present = int(on_roster + 1e-9)  # a part-time person is not a whole desk
        level: float | None
        if p.traffic == 0:
            level = None
        elif patience_seconds:
            level = erlang_a(
                p.traffic,
                present,
                aht_seconds=p.aht_seconds,
                patience_seconds=patience_seconds,
                target_seconds=target_seconds,
            ).service_level
        else:
            level = service_level(
                p.traffic, present, aht_seconds=p.aht_seconds, target_seconds=target_seconds
            )
        rows.append(
            PlanRow(
                label=p.label,
                arrivals=p.arrivals,
                aht_seconds=p.aht_seconds,
                traffic=p.traffic,
                needed=p.staffing.agents,
                scheduled=on_roster,
                model=p.staffing.model,
                service_level=p.staffing.service_level,
                abandon=p.staffing.probability_of_abandon,
                asa_seconds=p.staffing.asa_seconds,
                occupancy=p.staffing.occupancy,
                scheduled_level=level,
            )
        )
    hours = interval_minutes / 60
    return Plan(
        rows=rows,
        needed_hours=sum(r.needed for r in rows) * hours,
        scheduled_hours=sum(r.scheduled for r in rows) * hours,
        short_intervals=sum(1 for r in rows if r.short),
        model="A" if patience_seconds else "C",
    )
