"""Background work of the centers: closing the queues of days that are over, appointment
e-mails and the reminders before a visit."""

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


@task()
def send_appointment_email(*, appointment_id: int, kind: str) -> bool:
    """Confirmation (booked/rescheduled/cancelled) or reminder, queued after commit."""
    from .notifications import send_appointment_email as send

    return send(appointment_id, kind)


@task(every=timedelta(minutes=10))
def remind_appointments() -> int:
    """Reminders of tomorrow's visits; each is claimed once, so two runners never send twice."""
    from .services import appointment_remind_due

    return appointment_remind_due()
