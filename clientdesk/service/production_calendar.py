"""The Russian production calendar (производственный календарь) as data.

`holidays` knows the public holidays and the days off they were transferred to, but not the
working Saturdays a transfer creates, nor the pre-holiday days shortened by one hour (Labour
Code art. 95). These tables are the official calendars, written out day by day; a data migration
copies them into `CalendarException` rows of the default calendar, where an administrator can
correct them in the admin when the Government publishes a change.

Sources: Government decree No. 1466 of 24.09.2025 (2026) and the decree on transfers of days
off in 2027 (Saturday 20 February worked, Monday 22 February off; 2 and 3 January moved to
5 November and 31 December). Years not listed fall back to `holidays` with no working
Saturdays: enter the next year's decree in the admin when it is published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

D = dt.date


@dataclass(frozen=True)
class YearCalendar:
    days_off: tuple[dt.date, ...]  # non-working weekdays: holidays and transferred days off
    working_days: tuple[dt.date, ...]  # weekend days that are worked (transfers)
    shortened: tuple[dt.date, ...]  # pre-holiday working days, one hour shorter


RU: dict[int, YearCalendar] = {
    2026: YearCalendar(
        days_off=(
            D(2026, 1, 1),
            D(2026, 1, 2),
            D(2026, 1, 5),
            D(2026, 1, 6),
            D(2026, 1, 7),
            D(2026, 1, 8),
            D(2026, 1, 9),  # from Saturday 3 January
            D(2026, 2, 23),
            D(2026, 3, 9),  # 8 March falls on a Sunday
            D(2026, 5, 1),
            D(2026, 5, 11),  # 9 May falls on a Saturday
            D(2026, 6, 12),
            D(2026, 11, 4),
            D(2026, 12, 31),  # from Sunday 4 January
        ),
        working_days=(),
        shortened=(D(2026, 4, 30), D(2026, 5, 8), D(2026, 6, 11), D(2026, 11, 3)),
    ),
    2027: YearCalendar(
        days_off=(
            D(2027, 1, 1),
            D(2027, 1, 4),
            D(2027, 1, 5),
            D(2027, 1, 6),
            D(2027, 1, 7),
            D(2027, 1, 8),
            D(2027, 2, 22),  # from working Saturday 20 February
            D(2027, 2, 23),
            D(2027, 3, 8),
            D(2027, 5, 3),  # 1 May falls on a Saturday
            D(2027, 5, 10),  # 9 May falls on a Sunday
            D(2027, 6, 14),  # 12 June falls on a Saturday
            D(2027, 11, 4),
            D(2027, 11, 5),  # from Saturday 2 January
            D(2027, 12, 31),  # from Sunday 3 January
        ),
        working_days=(D(2027, 2, 20),),
        shortened=(D(2027, 4, 30), D(2027, 6, 11), D(2027, 11, 3)),
    ),
}
