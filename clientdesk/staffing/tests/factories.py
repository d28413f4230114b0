from __future__ import annotations

import datetime as dt
from typing import Any

from clientdesk.centers.models import ServiceCenter, Ticket, TicketState
from clientdesk.service.models import Service

_numbers = iter(range(1, 1_000_000))


def new_ticket(
    center: ServiceCenter,
    service: Service,
    issued: dt.datetime,
    *,
    wait_s: float | None = 300,
    service_s: float = 600,
    state: str = TicketState.DONE,
    **kwargs: Any,
) -> Ticket:
    """A ticket with its times: called after `wait_s`, served for `service_s` if done; an
    abandoned ticket (wait_s None) left after `kwargs['left_s']` seconds."""
    left_s = kwargs.pop("left_s", 600)
    called = issued + dt.timedelta(seconds=wait_s) if wait_s is not None else None
    started = called if state == TicketState.DONE else None
    finished = started + dt.timedelta(seconds=service_s) if started is not None else None
    if state == TicketState.ABANDONED:
        finished = issued + dt.timedelta(seconds=left_s)
    return Ticket.objects.create(
        center=center,
        day=center.local_day(issued),
        letter="A",
        number=next(_numbers),
        service=service,
        state=state,
        queue_at=issued,
        issued_at=issued,
        called_at=called,
        started_at=started,
        finished_at=finished,
        **kwargs,
    )
