"""Business-hours maths, checked by hand against the Russian production calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientdesk.service.calendar import (
    BusinessCalendar,
    add_business_minutes,
    business_minutes_between,
    parse_interval,
)
from clientdesk.service.production_calendar import RU

MSK = ZoneInfo("Europe/Moscow")
NINE_TO_SIX = (dt.time(9), dt.time(18))
WEEK = {d: [NINE_TO_SIX] for d in range(5)}


def ru_calendar(**overrides) -> BusinessCalendar:
    days_off = {dt.date(2025, 12, 31)}  # 2025 decree: from Sunday 5 January
    working: dict[dt.date, list] = {}
    shortened: dict[dt.date, int] = {}
    for year in RU.values():
        days_off.update(year.days_off)
        working.update({d: [NINE_TO_SIX] for d in year.working_days})
        shortened.update(dict.fromkeys(year.shortened, 60))
    kwargs: dict[str, Any] = {
        "tz": MSK,
        "weekly": WEEK,
        "days_off": frozenset(days_off),
        "working_days": working,
        "shortened": shortened,
    }
    kwargs.update(overrides)
    return BusinessCalendar(**kwargs)


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=MSK)


def test_friday_evening_target_lands_on_monday_morning() -> None:
    assert add_business_minutes(ru_calendar(), msk(2026, 2, 6, 17), 120) == msk(2026, 2, 9, 10)


def test_new_year_holidays_are_skipped_whole() -> None:
    # 30 Dec 2025 17:00 + 2 h: 31 Dec is a transferred day off, 1–11 January are off.
    assert add_business_minutes(ru_calendar(), msk(2025, 12, 30, 17), 120) == msk(2026, 1, 12, 10)


def test_transferred_working_saturday_counts_and_the_monday_it_moved_to_does_not() -> None:
    cal = ru_calendar()
    assert add_business_minutes(cal, msk(2027, 2, 19, 17, 30), 60) == msk(2027, 2, 20, 9, 30)
    # Saturday 20 Feb worked; Monday 22 (transferred) and Tuesday 23 (holiday) are off.
    assert add_business_minutes(cal, msk(2027, 2, 20, 17), 120) == msk(2027, 2, 24, 10)


def test_pre_holiday_day_is_one_hour_shorter() -> None:
    # 30 April 2026 ends at 17:00; 1 May is a holiday, 2–3 May a weekend.
    assert add_business_minutes(ru_calendar(), msk(2026, 4, 30, 16), 120) == msk(2026, 5, 4, 10)


def test_target_ending_at_closing_time_is_due_at_closing_time() -> None:
    assert add_business_minutes(ru_calendar(), msk(2026, 2, 2, 9), 540) == msk(2026, 2, 2, 18)


def test_zero_minutes_on_a_weekend_is_due_when_work_resumes() -> None:
    assert add_business_minutes(ru_calendar(), msk(2026, 2, 7, 12), 0) == msk(2026, 2, 9, 9)


def test_lunch_break_is_not_counted() -> None:
    cal = ru_calendar(
        weekly={d: [(dt.time(9), dt.time(13)), (dt.time(14), dt.time(18))] for d in range(5)}
    )
    assert add_business_minutes(cal, msk(2026, 2, 2, 12, 30), 60) == msk(2026, 2, 2, 14, 30)
    assert business_minutes_between(cal, msk(2026, 2, 2, 12), msk(2026, 2, 2, 15)) == 120


def test_utc_input_keeps_its_zone_and_moscow_has_no_dst_jump() -> None:
    start = dt.datetime(2026, 3, 30, 6, 0, tzinfo=dt.UTC)  # 09:00 in Moscow, after March
    due = add_business_minutes(ru_calendar(), start, 60)
    assert due == dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)
    assert due.tzinfo == dt.UTC


def test_elapsed_minutes_skip_nights_weekends_and_pauses() -> None:
    cal = ru_calendar()
    start, end = msk(2026, 2, 6, 17), msk(2026, 2, 9, 10)
    assert business_minutes_between(cal, start, end) == 120
    pause = (msk(2026, 2, 9, 9), msk(2026, 2, 9, 9, 30))
    assert business_minutes_between(cal, start, end, pauses=[pause]) == 90
    # A pause over the weekend costs nothing: those minutes were not business minutes anyway.
    weekend = (msk(2026, 2, 7, 0), msk(2026, 2, 9, 0))
    assert business_minutes_between(cal, start, end, pauses=[weekend, pause, pause]) == 90


def test_elapsed_over_new_year_counts_only_working_days() -> None:
    cal = ru_calendar()
    assert business_minutes_between(cal, msk(2025, 12, 29, 9), msk(2026, 1, 13, 9)) == 3 * 540


def test_reversed_range_counts_zero_and_naive_datetimes_are_refused() -> None:
    cal = ru_calendar()
    assert business_minutes_between(cal, msk(2026, 2, 3), msk(2026, 2, 2)) == 0
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(cal, dt.datetime(2026, 2, 2, 9), 10)  # noqa: DTZ001


def test_calendar_without_working_hours_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="no working hours"):
        add_business_minutes(BusinessCalendar(tz=MSK, weekly={}), msk(2026, 2, 2), 1)


def test_interval_parsing_says_what_is_wrong() -> None:
    assert parse_interval("09:00-18:00") == NINE_TO_SIX
    with pytest.raises(ValueError, match="ends before"):
        parse_interval("18:00-09:00")
    with pytest.raises(ValueError, match="time range"):
        parse_interval("nine to six")


# Hypothesis draws naive datetimes between naive bounds; the zone is attached afterwards.
NAIVE_START = dt.datetime(2025, 12, 1)  # noqa: DTZ001
NAIVE_END = dt.datetime(2027, 11, 30)  # noqa: DTZ001


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=NAIVE_START, max_value=NAIVE_END).map(
        lambda d: d.replace(tzinfo=MSK, second=0, microsecond=0)
    ),
    minutes=st.integers(min_value=0, max_value=20_000),
)
def test_adding_then_measuring_gives_back_the_minutes(start: dt.datetime, minutes: int) -> None:
    cal = ru_calendar()
    assert (
        business_minutes_between(cal, start, add_business_minutes(cal, start, minutes)) == minutes
    )
