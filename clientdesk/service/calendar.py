"""Business-hours arithmetic: pure functions over a `BusinessCalendar`, free of the database.

An SLA target is counted in business minutes: minutes that fall inside the working hours of a
working day in the calendar's time zone. A day is decided in this order:

1. an explicit exception for that date (the production calendar: a day off, a transferred
   working day such as a working Saturday, or a shortened pre-holiday day);
2. a public holiday from `holidays` (kept for years no production calendar was entered for);
3. the weekly schedule (e.g. Monday to Friday, 09:00–18:00).

Moscow time has had no daylight-saving change since 2014, but the maths works on local wall
clock intervals converted to aware datetimes, so a calendar in a zone with DST stays right.
Every function returns aware datetimes and whole minutes (seconds are truncated once, at the end).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[dt.time, dt.time]
Span = tuple[dt.datetime, dt.datetime]

# A calendar with no working hours at all would make `add_business_minutes` loop forever.
MAX_SEARCH_DAYS = 3 * 366


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo
    # weekday (0 = Monday) -> working intervals of that weekday; a missing weekday is a day off.
    weekly: Mapping[int, Sequence[Interval]]
    # Dates that are days off whatever the weekday (public holidays, transferred days off).
    days_off: frozenset[dt.date] = frozenset()
    # Dates that are working days whatever the weekday, with their hours (a working Saturday
    # works the hours of the weekday it replaces; the caller decides which).
    working_days: Mapping[dt.date, Sequence[Interval]] = field(default_factory=dict)
    # Pre-holiday days: minutes cut from the end of the day's last interval.
    shortened: Mapping[dt.date, int] = field(default_factory=dict)

    def intervals_on(self, day: dt.date) -> list[Span]:
        """The working spans of one local date, as aware datetimes in increasing order."""
        if day in self.working_days:
            local = list(self.working_days[day])
        elif day in self.days_off:
            return []
        else:
            local = list(self.weekly.get(day.weekday(), ()))
        spans = [
            (
                dt.datetime.combine(day, start, tzinfo=self.tz),
                dt.datetime.combine(day, end, tzinfo=self.tz),
            )
            for start, end in sorted(local)
            if end > start
        ]
        cut = self.shortened.get(day, 0)
        if cut and spans:
            start, end = spans[-1]
            spans[-1] = (start, max(start, end - dt.timedelta(minutes=cut)))
        return [(s, e) for s, e in spans if e > s]

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.intervals_on(day))


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def add_business_minutes(cal: BusinessCalendar, start: dt.datetime, minutes: int) -> dt.datetime:
    """The moment `minutes` business minutes after `start`.

    Zero minutes from outside working hours is the start of the next working span: a request
    that arrives on Saturday with a zero target is due when work resumes.
    """
    _require_aware(start, "start")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    remaining = dt.timedelta(minutes=minutes)
    local_start = start.astimezone(cal.tz)
    day = local_start.date()
    for _ in range(MAX_SEARCH_DAYS):
        for span_start, span_end in cal.intervals_on(day):
            if span_end <= local_start:
                continue
            begin = max(span_start, local_start)
            available = span_end - begin
            # `<=`: a target that ends exactly at closing time is due then, not next morning.
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError("The calendar has no working hours within three years: check its schedule.")


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same time (empty spans dropped)."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(a: Span, b: Span) -> dt.timedelta:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return end - start if end > start else dt.timedelta(0)


def business_minutes_between(
    cal: BusinessCalendar,
    start: dt.datetime,
    end: dt.datetime,
    *,
    pauses: Iterable[Span] = (),
) -> int:
    """Business minutes from `start` to `end`, not counting time inside `pauses`.

    A pause still open is passed with its end set to `end`. Negative ranges count as zero.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return 0
    paused = merge_spans(pauses)
    total = dt.timedelta(0)
    day = start.astimezone(cal.tz).date()
    last = end.astimezone(cal.tz).date()
    while day <= last:
        for span in cal.intervals_on(day):
            working = (max(span[0], start), min(span[1], end))
            if working[1] <= working[0]:
                continue
            total += working[1] - working[0]
            for pause in paused:
                total -= _overlap(working, pause)
        day += dt.timedelta(days=1)
    return int(total.total_seconds() // 60)


def parse_interval(text: str) -> Interval:
    """'09:00-18:00' -> (09:00, 18:00); used by the calendar model and its admin form."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-", 1))
        start, end = dt.time.fromisoformat(start_text), dt.time.fromisoformat(end_text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time range such as 09:00-18:00") from None
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end
