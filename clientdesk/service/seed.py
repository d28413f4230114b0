"""Reference data every installation starts with; the data migration and the demo call these.

They take model classes as arguments so that a migration can pass its historical models.
"""

from __future__ import annotations

from typing import Any

from .production_calendar import RU

DEFAULT_CALENDAR_NAME = "Москва, 5/2, 09:00–18:00"

AVOIDABLE_REASONS: list[tuple[str, str, str]] = [
    ("unclear_invoice", "Непонятный счёт", "Unclear invoice"),
    ("missed_callback", "Не перезвонили", "Missed call-back"),
    ("wrong_information", "Дали неверную информацию", "Wrong information given"),
    ("incomplete_documents", "Не предупредили о документах", "Documents list not given"),
    ("no_status_update", "Не сообщили о ходе работ", "No progress update"),
    ("service_failure", "Сбой в оказании услуги", "Service failure"),
    ("unclear_letter", "Непонятное письмо или уведомление", "Unclear letter or notice"),
]

# The documented default when no policy matches (see services.sla_policy_for).
DEFAULT_POLICY = {
    "name": "По умолчанию / Default",
    "first_response_minutes": 240,
    "resolution_minutes": 3 * 540,
    "warn_at_percent": 80,
    "rank": 1000,
    "is_default": True,
}


def seed_calendar(calendar_model: Any, exception_model: Any) -> Any:
    cal, _ = calendar_model.objects.get_or_create(
        name=DEFAULT_CALENDAR_NAME,
        defaults={
            "timezone": "Europe/Moscow",
            "week": {
                k: (["09:00-18:00"] if i < 5 else [])
                for i, k in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
            },
            "country": "RU",
            "is_default": not calendar_model.objects.filter(is_default=True).exists(),
        },
    )
    rows = []
    for year in RU.values():
        rows += [exception_model(calendar=cal, date=d, kind="day_off") for d in year.days_off]
        rows += [
            exception_model(calendar=cal, date=d, kind="working_day", note="перенос")
            for d in year.working_days
        ]
        rows += [
            exception_model(calendar=cal, date=d, kind="shortened", shortened_by_minutes=60)
            for d in year.shortened
        ]
    exception_model.objects.bulk_create(rows, ignore_conflicts=True)
    return cal


def seed_reasons(reason_model: Any) -> None:
    for code, name, name_en in AVOIDABLE_REASONS:
        reason_model.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})


def seed_default_policy(policy_model: Any) -> None:
    if not policy_model.objects.filter(is_default=True).exists():
        policy_model.objects.create(**DEFAULT_POLICY)
