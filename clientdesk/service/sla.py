"""Choosing an SLA policy and turning its targets into due times.

Matching: a policy's blank fields match anything; every field it sets must equal the request's
(ABC-XYZ cell and rule segment come from the company's current segment). Among the matching
policies the most specific wins (the most fields set), then the lowest rank, then the oldest.

The documented default, which a request gets when nothing matches, is the active policy marked
`is_default` (seeded by migration: first response in 4 business hours, resolution in 3
business days of 9 hours); if an administrator removed it, the same targets built in
(`seed.DEFAULT_POLICY`) apply with no policy recorded. A service's `standard_minutes` is used as
the resolution target of the default when it is longer, so that a 10-day service does not start
its life breached. Opening a request never fails for want of a policy.

Due times are computed from the creation time by adding `target + paused minutes` business
minutes in the policy's calendar (or the default one): time waiting for the client, or resolved
before a reopening, stops the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .calendar import BusinessCalendar, add_business_minutes, business_minutes_between
from .models import (
    CalendarException,
    ServiceRequest,
    SlaPolicy,
    WorkingCalendar,
    _public_holidays,
    calendar_for,
)
from .seed import DEFAULT_POLICY
from .segmenting import SegmentInfo, in_rule_segment


@dataclass(frozen=True)
class Targets:
    policy: SlaPolicy | None
    first_response_minutes: int
    resolution_minutes: int
    warn_at_percent: int
    calendar_id: int | None


def _specificity(
    policy: SlaPolicy,
    *,
    company_id: int | None,
    segment: SegmentInfo | None,
    service_id: int | None,
    channel: str,
    priority: str,
) -> int | None:
    score = 0
    if policy.abc_xyz:
        if segment is None or segment.abc_xyz != policy.abc_xyz.upper():
            return None
        score += 1
    if policy.service_id is not None:
        if policy.service_id != service_id:
            return None
        score += 1
    if policy.channel:
        if policy.channel != channel:
            return None
        score += 1
    if policy.priority:
        if policy.priority != priority:
            return None
        score += 1
    if policy.rule_segment_id is not None:
        # Checked last: it may cost a query, the others are free.
        if company_id is None or not in_rule_segment(company_id, policy.rule_segment_id):
            return None
        score += 1
    return score


def targets_for(
    *,
    company_id: int | None,
    segment: SegmentInfo | None,
    service_id: int | None,
    standard_minutes: int | None,
    channel: str,
    priority: str,
) -> Targets:
    best: tuple[int, int, int] | None = None
    chosen: SlaPolicy | None = None
    default: SlaPolicy | None = None
    for policy in SlaPolicy.objects.filter(is_active=True):
        if policy.is_default:
            default = policy
            continue
        score = _specificity(
            policy,
            company_id=company_id,
            segment=segment,
            service_id=service_id,
            channel=channel,
            priority=priority,
        )
        if score is None:
            continue
        key = (-score, policy.rank, policy.pk)
        if best is None or key < best:
            best, chosen = key, policy
    if chosen is not None:
        return Targets(
            chosen,
            chosen.first_response_minutes,
            chosen.resolution_minutes,
            chosen.warn_at_percent,
            chosen.calendar_id,
        )
    if default is not None:
        first, resolution, warn = (
            default.first_response_minutes,
            default.resolution_minutes,
            default.warn_at_percent,
        )
    else:
        first = int(DEFAULT_POLICY["first_response_minutes"])  # type: ignore[call-overload]
        resolution = int(DEFAULT_POLICY["resolution_minutes"])  # type: ignore[call-overload]
        warn = int(DEFAULT_POLICY["warn_at_percent"])  # type: ignore[call-overload]
    if standard_minutes and standard_minutes > resolution:
        resolution = standard_minutes
    return Targets(default, first, resolution, warn, default.calendar_id if default else None)


_BUILTIN_WEEK = {d: [(dt.time(9), dt.time(18))] for d in range(5)}


# Built calendars by id, with the `updated_at` they were built from: the calendar row is read on
# every use (one indexed query), its exceptions and holidays only when it changed. Saving or
# deleting an exception touches the calendar's `updated_at` (see CalendarException.save).
_built: dict[int, tuple[dt.datetime, BusinessCalendar]] = {}


def load_calendar(calendar_id: int | None) -> BusinessCalendar:
    """The calendar by id, else the default one, else Mon–Fri 09:00–18:00 Moscow time."""
    cal = None
    if calendar_id is not None:
        cal = WorkingCalendar.objects.filter(pk=calendar_id).first()
    if cal is None:
        cal = WorkingCalendar.objects.filter(is_default=True).first()
    if cal is None:
        year = dt.date.today().year  # noqa: DTZ011 - a range of years, the zone is irrelevant
        return BusinessCalendar(
            tz=ZoneInfo("Europe/Moscow"),
            weekly=_BUILTIN_WEEK,
            days_off=_public_holidays("RU", tuple(range(year - 1, year + 3))),
        )
    cached = _built.get(cal.pk)
    if cached is not None and cached[0] == cal.updated_at:
        return cached[1]
    built = calendar_for(cal, list(CalendarException.objects.filter(calendar=cal)))
    _built[cal.pk] = (cal.updated_at, built)
    return built


class CalendarCache:
    """Calendars loaded once per job run (the SLA job touches many requests of few policies)."""

    def __init__(self) -> None:
        self._by_id: dict[int | None, BusinessCalendar] = {}

    def get(self, calendar_id: int | None) -> BusinessCalendar:
        if calendar_id not in self._by_id:
            self._by_id[calendar_id] = load_calendar(calendar_id)
        return self._by_id[calendar_id]


def calendar_id_of(request: ServiceRequest) -> int | None:
    return request.sla_policy.calendar_id if request.sla_policy_id and request.sla_policy else None


def apply_due_times(request: ServiceRequest, cal: BusinessCalendar, warn_at_percent: int) -> None:
    """(Re)computes due and warning times from creation, targets and paused minutes."""
    start = request.created_at
    paused = request.sla_paused_minutes
    first, resolution = request.sla_first_response_minutes, request.sla_resolution_minutes
    request.first_response_due = add_business_minutes(cal, start, first + paused)
    request.resolution_due = add_business_minutes(cal, start, resolution + paused)
    request.response_warn_at = add_business_minutes(
        cal, start, first * warn_at_percent // 100 + paused
    )
    request.resolution_warn_at = add_business_minutes(
        cal, start, resolution * warn_at_percent // 100 + paused
    )


def warn_percent_of(request: ServiceRequest) -> int:
    if request.sla_policy_id and request.sla_policy:
        return request.sla_policy.warn_at_percent
    return int(DEFAULT_POLICY["warn_at_percent"])  # type: ignore[call-overload]


def paused_minutes(cal: BusinessCalendar, since: dt.datetime, until: dt.datetime) -> int:
    return business_minutes_between(cal, since, until)
