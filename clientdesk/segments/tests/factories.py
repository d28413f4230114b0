from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from clientdesk.clients.models import RevenueRecord


def revenue(company: Any, day: dt.date, amount: float, cost: float | None = None) -> RevenueRecord:
    return RevenueRecord.objects.create(
        company=company,
        date=day,
        amount=Decimal(str(amount)),
        amount_base=Decimal(str(amount)),
        cost=None if cost is None else Decimal(str(cost)),
    )


def monthly(company: Any, year: int, months: range | list[int], amount: float, **kw) -> None:
    for m in months:
        y, mm = year + (m - 1) // 12, (m - 1) % 12 + 1
        revenue(company, dt.date(y, mm, 15), amount, **kw)
