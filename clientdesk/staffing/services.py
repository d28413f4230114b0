"""Writes of the roster: one shift, a weekly pattern of shifts, removing a shift."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientdesk.centers.models import ServiceCenter
from clientdesk.core import audit

from .models import Shift

MAX_SHIFT = dt.timedelta(hours=24)
MAX_PATTERN_DAYS = 92


def _check(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The shift must end after it starts.")})
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationError({"ends_at": _("A shift lasts at most 24 hours.")})


@transaction.atomic
def shift_add(
    *,
    center: ServiceCenter | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    by: Any,
    person: Any | None = None,
    note: str = "",
) -> Shift:
    """A shift of a service center's desks, or of the call center (`center` None)."""
    _check(starts_at, ends_at)
    shift = Shift.objects.create(
        center=center, person=person, starts_at=starts_at, ends_at=ends_at, note=note[:200]
    )
    audit.record(
        actor=by,
        action="staffing.shift_add",
        target=shift,
        changes={"starts_at": [None, starts_at], "ends_at": [None, ends_at]},
    )
    return shift


@transaction.atomic
def shifts_add_weekly(
    *,
    center: ServiceCenter | None,
    first_day: dt.date,
    last_day: dt.date,
    weekdays: set[int],
    start: dt.time,
    end: dt.time,
    tz: dt.tzinfo,
    by: Any,
    count: int = 1,
    person: Any | None = None,
) -> list[Shift]:
    """`count` shifts from `start` to `end` (local time in `tz`; an end before the start runs
    past midnight) on each of `weekdays` (0 = Monday) from `first_day` to `last_day`."""
    if last_day < first_day:
        raise ValidationError({"last_day": _("The last day must not be before the first.")})
    if (last_day - first_day).days >= MAX_PATTERN_DAYS:
        raise ValidationError({"last_day": _("Plan at most 92 days at once.")})
    if not weekdays or not weekdays <= set(range(7)):
        raise ValidationError({"weekdays": _("Choose at least one weekday.")})
    if start == end:
        raise ValidationError({"end": _("The shift must end after it starts.")})
    if not 1 <= count <= 500:
        raise ValidationError({"count": _("Enter a number of people from 1 to 500.")})
    shifts: list[Shift] = []
    day = first_day
    while day <= last_day:
        if day.weekday() in weekdays:
            starts_at = dt.datetime.combine(day, start, tzinfo=tz)
            ends_at = dt.datetime.combine(day, end, tzinfo=tz)
            if ends_at <= starts_at:
                ends_at += dt.timedelta(days=1)
            _check(starts_at, ends_at)
            shifts.extend(
                Shift(center=center, person=person, starts_at=starts_at, ends_at=ends_at)
                for _n in range(count)
            )
        day += dt.timedelta(days=1)
    created = Shift.objects.bulk_create(shifts)
    # bulk_create skips save(): the audit rows are written here, in bulk.
    audit.record_many(actor=by, action="staffing.shift_add", targets=created, changes=None)
    return created


@transaction.atomic
def shift_delete(*, shift: Shift, by: Any) -> None:
    audit.record(
        actor=by,
        action="staffing.shift_delete",
        target=shift,
        changes={"starts_at": [shift.starts_at, None], "ends_at": [shift.ends_at, None]},
    )
    shift.delete()
