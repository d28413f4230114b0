from __future__ import annotations

from typing import Any

from clientdesk.centers.models import Desk, ServiceCenter, ServiceGroup
from clientdesk.service.models import Service
from clientdesk.service.tests.factories import new_service

_seq = iter(range(1, 1_000_000))


def new_center(**kwargs: Any) -> ServiceCenter:
    n = next(_seq)
    # No opening hours: open around the clock, so tests do not depend on the time they run at.
    kwargs.setdefault("week", {})
    kwargs.setdefault("code", f"center{n}")
    kwargs.setdefault("name", f"Центр {n}")
    kwargs.setdefault("address", f"Москва, ул. Тестовая, {n}")
    return ServiceCenter.objects.create(**kwargs)


def new_group(
    center: ServiceCenter, letter: str = "A", service: Service | None = None, **kwargs: Any
) -> ServiceGroup:
    return ServiceGroup.objects.create(
        center=center, letter=letter, service=service or new_service(), **kwargs
    )


def new_desk(center: ServiceCenter, number: str = "1", services: tuple[Service, ...] = ()) -> Desk:
    desk = Desk.objects.create(center=center, number=number)
    desk.services.add(*services)
    return desk
