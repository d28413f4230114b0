"""The roster: services that add and remove shifts, and staff scheduled per interval."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from clientdesk.centers.tests.factories import new_center
from clientdesk.core.audit import AuditEvent
from clientdesk.core.roles import Role
from clientdesk.staffing import selectors, services
from clientdesk.staffing.models import Shift

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
DAY = dt.date(2026, 3, 2)  # a Monday


def _at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=MSK)


def test_shift_add_writes_audit_and_rejects_bad_times(make_staff) -> None:
    supervisor = make_staff(Role.SUPERVISOR)
    center = new_center(timezone="Europe/Moscow")
    shift = services.shift_add(center=center, starts_at=_at(9), ends_at=_at(18), by=supervisor)
    assert AuditEvent.objects.filter(action="staffing.shift_add", target_id=str(shift.pk)).exists()
    with pytest.raises(ValidationError, match="end after it starts"):
        services.shift_add(center=center, starts_at=_at(18), ends_at=_at(9), by=supervisor)
    with pytest.raises(ValidationError, match="24 hours"):
        services.shift_add(
            center=None, starts_at=_at(9), ends_at=_at(10) + dt.timedelta(days=1), by=supervisor
        )
    services.shift_delete(shift=shift, by=supervisor)
    assert not Shift.objects.exists()
    assert AuditEvent.objects.filter(action="staffing.shift_delete").count() == 1


def test_weekly_pattern_makes_shifts_on_the_weekdays_and_past_midnight(make_staff) -> None:
    supervisor = make_staff(Role.SUPERVISOR)
    created = services.shifts_add_weekly(
        center=None,
        first_day=DAY,
        last_day=DAY + dt.timedelta(days=13),
        weekdays={0, 2},
        start=dt.time(22),
        end=dt.time(6),
        tz=MSK,
        count=2,
        by=supervisor,
    )
    assert len(created) == 8  # two Mondays, two Wednesdays, two people each
    assert all(s.ends_at - s.starts_at == dt.timedelta(hours=8) for s in created)
    assert AuditEvent.objects.filter(action="staffing.shift_add").count() == 8
    with pytest.raises(ValidationError, match="weekday"):
        services.shifts_add_weekly(
            center=None,
            first_day=DAY,
            last_day=DAY,
            weekdays=set(),
            start=dt.time(9),
            end=dt.time(18),
            tz=MSK,
            by=supervisor,
        )
    assert Shift.objects.count() == 8  # the failed call wrote nothing


def test_scheduled_counts_the_part_of_an_interval_worked_and_keeps_teams_apart() -> None:
    center = new_center(timezone="Europe/Moscow")
    other = new_center(timezone="Europe/Moscow")
    Shift.objects.create(center=center, starts_at=_at(9), ends_at=_at(10, 15))
    Shift.objects.create(center=center, starts_at=_at(9, 30), ends_at=_at(12))
    Shift.objects.create(center=other, starts_at=_at(9), ends_at=_at(18))
    Shift.objects.create(center=None, starts_at=_at(9), ends_at=_at(18))
    team = next(t for t in selectors.teams() if t.key == center.code)
    shifts = selectors.shifts_on(team, DAY)
    assert len(shifts) == 2
    staff = selectors.scheduled(shifts, team, DAY, interval_minutes=30)
    assert staff[18] == 1.0  # 09:00-09:30
    assert staff[19] == 2.0  # 09:30-10:00
    assert staff[20] == 1.5  # 10:00-10:30: the first shift ends at 10:15
    assert staff[24] == 0.0
    call = next(t for t in selectors.teams() if t.is_call_center)
    assert len(selectors.shifts_on(call, DAY)) == 1
