"""Background work of the centers: closing the queues of days that are over."""

from __future__ import annotations

from datetime import timedelta

from clientdesk.core.tasks import task


@task(every=timedelta(hours=1))
def close_past_queues() -> int:
    """Tickets still waiting from an earlier day are marked as left; safe to run twice."""
    from . import selectors, services
    from .models import Ticket, TicketState

    closed = 0
    for center in selectors.active_centers():
        today = selectors.today_of(center)
        days = (
            Ticket.objects.filter(center=center, state=TicketState.WAITING, day__lt=today)
            .values_list("day", flat=True)
            .distinct()
        )
        for day in list(days):
            closed += services.tickets_abandon_day(center=center, day=day, by=None)
    return closed
