"""Reads of the centers app: queues, open desks, the board."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from clientdesk.service.models import Service

from .models import (
    Appointment,
    Desk,
    OperatorSession,
    ServiceCenter,
    ServiceGroup,
    Ticket,
    TicketState,
)

# Called tickets stay on the board this long, so that a client who looked away still sees them.
BOARD_MINUTES = 10
BOARD_SIZE = 12


def active_centers() -> QuerySet[ServiceCenter]:
    return ServiceCenter.objects.filter(is_active=True)


def kiosk_groups(center: ServiceCenter) -> QuerySet[ServiceGroup]:
    return (
        ServiceGroup.objects.filter(center=center, service__is_active=True)
        .select_related("service")
        .order_by("position", "letter")
    )


def group_of(center: ServiceCenter, service: Service) -> ServiceGroup | None:
    # Ordered by pk, not by the model's ordering: that joins the center only to sort one row.
    return ServiceGroup.objects.filter(center=center, service=service).order_by("pk").first()


def open_session_of(operator: Any) -> OperatorSession | None:
    return (
        OperatorSession.objects.filter(operator=operator, ended_at__isnull=True)
        .select_related("desk__center")
        .first()
    )


def desks_serving(center: ServiceCenter, service: Service) -> QuerySet[Desk]:
    """Active desks taking this service: named for it, or serving everything."""
    return (
        Desk.objects.filter(center=center, is_active=True)
        .filter(Q(services=service) | Q(services__isnull=True))
        .distinct()
    )


def open_desk_count(center: ServiceCenter, service: Service) -> int:
    # A subquery, not `sessions__ended_at__isnull`: that would also match desks never staffed.
    staffed = OperatorSession.objects.filter(ended_at__isnull=True).values("desk_id")
    return desks_serving(center, service).filter(pk__in=staffed).count()


def today_of(center: ServiceCenter, now: dt.datetime | None = None) -> dt.date:
    return center.local_day(now or timezone.now())


def waiting(center: ServiceCenter, day: dt.date) -> QuerySet[Ticket]:
    """The queue in calling order: priority first, then who stands in line longer."""
    return Ticket.objects.filter(center=center, day=day, state=TicketState.WAITING).order_by(
        "-priority", "queue_at", "pk"
    )


def queue_for_desk(desk: Desk, day: dt.date) -> QuerySet[Ticket]:
    qs = waiting(desk.center, day).filter(Q(for_desk__isnull=True) | Q(for_desk=desk))
    service_ids = list(desk.services.values_list("pk", flat=True))
    if service_ids:
        qs = qs.filter(service_id__in=service_ids)
    return qs.select_related("service")


def ahead_of(ticket: Ticket) -> int:
    """Waiting tickets of the same service that will be called before this one."""
    before = Q(priority__gt=ticket.priority) | Q(
        priority=ticket.priority, queue_at__lt=ticket.queue_at
    )
    before |= Q(priority=ticket.priority, queue_at=ticket.queue_at, pk__lt=ticket.pk)
    return (
        waiting(ticket.center, ticket.day)
        .filter(service_id=ticket.service_id)
        .filter(before)
        .exclude(pk=ticket.pk)
        .count()
    )


def board(center: ServiceCenter, now: dt.datetime | None = None) -> list[Ticket]:
    """Tickets called recently and those at a desk: code and desk number only, no names."""
    now = now or timezone.now()
    since = now - dt.timedelta(minutes=BOARD_MINUTES)
    qs = (
        Ticket.objects.filter(center=center, day=today_of(center, now))
        .filter(Q(state=TicketState.CALLED) | Q(state=TicketState.SERVING, called_at__gte=since))
        .select_related("desk")
        .only("letter", "number", "state", "called_at", "desk__number")
        .order_by("-called_at")
    )
    return list(qs[:BOARD_SIZE])


def desk_tickets(desk: Desk, day: dt.date) -> QuerySet[Ticket]:
    """Tickets at this desk now (called or being served)."""
    return (
        Ticket.objects.filter(
            desk=desk, day=day, state__in=[TicketState.CALLED, TicketState.SERVING]
        )
        .select_related("service", "company", "contact")
        .order_by("called_at")
    )


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


def slots(
    center: ServiceCenter, service: Service, day: dt.date, *, now: dt.datetime | None = None
) -> list[Slot]:
    """Bookable times of one day: the opening hours cut into standard visits of the service,
    each holding as many clients as there are desks serving it. Past times are left out."""
    from .services import center_calendar_of  # services import selectors, not the reverse

    group = group_of(center, service)
    if group is None or group.handling_minutes <= 0:
        return []
    capacity = desks_serving(center, service).count()
    if capacity == 0:
        return []
    now = now or timezone.now()
    step = dt.timedelta(minutes=group.handling_minutes)
    booked = Counter(
        Appointment.objects.filter(
            center=center,
            service=service,
            state__in=[Appointment.State.BOOKED, Appointment.State.CHECKED_IN],
            starts_at__date__gte=day - dt.timedelta(days=1),
            starts_at__date__lte=day + dt.timedelta(days=1),
        ).values_list("starts_at", flat=True)
    )
    if any((center.week or {}).values()):
        spans = center_calendar_of(center).intervals_on(day)
    else:
        # A center without hours is open around the clock (as for the kiosk): the whole day.
        midnight = dt.datetime.combine(day, dt.time.min, tzinfo=center.tz)
        spans = [
            (
                midnight,
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=center.tz),
            )
        ]
    result = []
    for span_start, span_end in spans:
        start = span_start
        while start + step <= span_end:
            if start > now:
                result.append(Slot(starts_at=start, capacity=capacity, booked=booked[start]))
            start += step
    return result


@dataclass(frozen=True)
class DayFigures:
    issued: int
    served: int
    no_show: int
    abandoned: int
    transferred: int
    waiting_now: int
    avg_wait_minutes: float | None  # issue to call, of tickets called
    avg_handling_seconds: float | None  # start to finish, of tickets served
    first_contact_share: float | None  # of tickets served
    arrivals_by_hour: dict[int, int]
    handling_by_hour: dict[int, float]  # mean seconds of tickets started in that hour


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def day_figures(center: ServiceCenter, day: dt.date) -> DayFigures:
    """Measured figures of one day, from one query over that day's tickets."""
    rows = list(
        Ticket.objects.filter(center=center, day=day).values_list(
            "state", "issued_at", "called_at", "started_at", "finished_at", "first_contact_resolved"
        )
    )
    states = Counter(r[0] for r in rows)
    waits = [(r[2] - r[1]).total_seconds() / 60 for r in rows if r[2] is not None]
    served = [
        (r[3], r[4], bool(r[5]))
        for r in rows
        if r[0] == TicketState.DONE and r[3] is not None and r[4] is not None
    ]
    handling = [(end - start).total_seconds() for start, end, _fcr in served]
    arrivals = Counter(r[1].astimezone(center.tz).hour for r in rows)
    by_hour: dict[int, list[float]] = {}
    for start, end, _fcr in served:
        by_hour.setdefault(start.astimezone(center.tz).hour, []).append(
            (end - start).total_seconds()
        )
    return DayFigures(
        issued=len(rows),
        served=states[TicketState.DONE],
        no_show=states[TicketState.NO_SHOW],
        abandoned=states[TicketState.ABANDONED],
        transferred=states[TicketState.TRANSFERRED],
        waiting_now=states[TicketState.WAITING],
        avg_wait_minutes=_mean(waits),
        avg_handling_seconds=_mean(handling),
        first_contact_share=_mean([1.0 if fcr else 0.0 for _s, _e, fcr in served]),
        arrivals_by_hour=dict(sorted(arrivals.items())),
        handling_by_hour={h: sum(v) / len(v) for h, v in sorted(by_hour.items())},
    )


def standard_handling_seconds(center: ServiceCenter) -> float:
    """The mean standard visit of the center's services, for hours nothing was measured in."""
    minutes = list(
        ServiceGroup.objects.filter(center=center).values_list("handling_minutes", flat=True)
    )
    return 60.0 * (sum(minutes) / len(minutes) if minutes else 15)


# --- appointments ----------------------------------------------------------------------------
def appointments() -> QuerySet[Appointment]:
    """Appointments with what every list and e-mail shows of them."""
    return Appointment.objects.select_related("center", "service", "company", "contact")


def appointments_of_day(center: ServiceCenter, day: dt.date) -> QuerySet[Appointment]:
    """One center's appointments of one local day, in time order (cancelled ones included)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=center.tz)
    return (
        appointments()
        .filter(center=center, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        .order_by("starts_at", "pk")
    )


def appointments_to_check_in(center: ServiceCenter, now: dt.datetime | None = None) -> list[Any]:
    """Booked appointments of the center's today, for the reception at the desk page."""
    day = today_of(center, now)
    return list(appointments_of_day(center, day).filter(state=Appointment.State.BOOKED))


def reminders_due(
    *, now: dt.datetime, ahead: dt.timedelta, min_lead: dt.timedelta
) -> QuerySet[Appointment]:
    """Booked visits starting within `ahead` whose reminder is not sent, booked (or moved) at
    least `min_lead` before the visit."""
    return (
        appointments()
        .filter(
            state=Appointment.State.BOOKED,
            reminded_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + ahead,
            changed_at__lte=F("starts_at") - min_lead,
        )
        .order_by("starts_at", "pk")
    )


def bookable_groups(center: ServiceCenter | None = None) -> QuerySet[ServiceGroup]:
    """Services that can be booked, per center: active, at an active center, in person."""
    qs = ServiceGroup.objects.filter(center__is_active=True, service__is_active=True)
    if center is not None:
        qs = qs.filter(center=center)
    return qs.select_related("center", "service").order_by("center__name", "position", "letter")


def bookable_services() -> list[Service]:
    """Services offered at some active center, for the first step of booking."""
    seen: dict[int, Service] = {}
    for group in bookable_groups():
        if not group.service.channels or "visit" in group.service.channels:
            seen.setdefault(group.service.pk, group.service)
    return sorted(seen.values(), key=lambda s: s.display_name)


def centers_offering(service: Service) -> list[ServiceCenter]:
    return [g.center for g in bookable_groups().filter(service=service)]


def day_slots(
    center: ServiceCenter, service: Service, day: dt.date, *, now: dt.datetime | None = None
) -> list[Slot]:
    """The free places of one day (full slots are left out)."""
    return [s for s in slots(center, service, day, now=now) if s.free > 0]
