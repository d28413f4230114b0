"""Demo data: two service centers with desks, a day of tickets in every state, and
appointments for the coming days (booked by the portal users client1/client2 and by the call
center; some moved, cancelled, reminded or already checked in).

Runs after the service demo (it offers that catalogue's in-person services). Running it again
changes nothing: centers that exist are left as they are, and a center with appointments gets
no more.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clientdesk.accounts.models import User
from clientdesk.clients.models import Channel, Company, Contact
from clientdesk.core import audit
from clientdesk.service.models import Service

from . import selectors, services
from .models import (
    Appointment,
    Desk,
    OperatorSession,
    Outcome,
    ServiceCenter,
    ServiceGroup,
    Ticket,
    TicketCounter,
    TicketState,
)

CENTERS = [
    (
        "msk-tverskaya",
        "Центр обслуживания на Тверской",
        "Москва, ул. Тверская, 12",
        "Europe/Moscow",
    ),
    (
        "ekb-lenina",
        "Центр обслуживания на Ленина",
        "Екатеринбург, пр. Ленина, 50",
        "Asia/Yekaterinburg",
    ),
]
LETTERS = "ABCDEFGH"


def _visit_services() -> list[Service]:
    catalogue = list(Service.objects.filter(is_active=True).select_related("unit"))
    return [s for s in catalogue if not s.channels or Channel.VISIT in s.channels][:6]


def _day_of_tickets(
    rng: random.Random,
    center: ServiceCenter,
    groups: list[ServiceGroup],
    desks: list[Desk],
    operator: User | None,
    companies: list[Company],
) -> None:
    now = timezone.now()
    local_now = now.astimezone(center.tz)
    opening = local_now.replace(hour=9, minute=0, second=0, microsecond=0)
    if local_now < opening + dt.timedelta(hours=1):
        # Early in the morning: show yesterday, a whole day of work, instead of an empty hall.
        opening -= dt.timedelta(days=1)
        local_now = opening + dt.timedelta(hours=11)
    day = opening.date()
    span = (local_now - opening).total_seconds()
    times = sorted(opening + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(80))
    counters: dict[str, int] = {}
    tickets: list[Ticket] = []
    for n, issued in enumerate(times):
        group = rng.choice(groups)
        counters[group.letter] = counters.get(group.letter, 0) + 1
        age = (local_now - issued).total_seconds() / 60
        ticket = Ticket(
            center=center,
            day=day,
            letter=group.letter,
            number=counters[group.letter],
            service=group.service,
            queue_at=issued,
            issued_at=issued,
            company=rng.choice(companies) if companies and rng.random() < 0.6 else None,
        )
        left = len(times) - n
        if left <= 6:
            ticket.state = TicketState.WAITING
            ticket.company = None
        else:
            called = issued + dt.timedelta(minutes=min(age, rng.uniform(2, 25)))
            ticket.called_at = called
            ticket.desk = rng.choice(desks)
            ticket.operator = operator
            roll = rng.random()
            if left <= 8:
                ticket.state = TicketState.SERVING if left == 7 else TicketState.CALLED
                ticket.started_at = called if left == 7 else None
                ticket.desk = desks[left - 7]
                ticket.operator = operator if left == 7 else None
            elif roll < 0.08:
                ticket.state = TicketState.NO_SHOW
                ticket.finished_at = called + dt.timedelta(minutes=2)
            elif roll < 0.12:
                ticket.state = TicketState.ABANDONED
                ticket.called_at = ticket.desk = ticket.operator = None
                ticket.finished_at = issued + dt.timedelta(minutes=20)
            else:
                ticket.state = TicketState.DONE
                ticket.started_at = called + dt.timedelta(seconds=rng.randint(20, 90))
                ticket.finished_at = ticket.started_at + dt.timedelta(
                    minutes=rng.uniform(0.5, 2) * group.handling_minutes
                )
                ticket.first_contact_resolved = rng.random() < 0.75
                ticket.outcome = (
                    Outcome.RESOLVED
                    if ticket.first_contact_resolved
                    else rng.choice([Outcome.FOLLOW_UP, Outcome.DOCUMENTS_MISSING])
                )
        tickets.append(ticket)
    Ticket.objects.bulk_create(tickets)
    TicketCounter.objects.bulk_create(
        [
            TicketCounter(center=center, day=day, letter=letter, last_number=last)
            for letter, last in counters.items()
        ]
    )


@transaction.atomic
def load_demo(*, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    catalogue = _visit_services()
    if not catalogue:
        return
    operator = User.objects.filter(username="center").first()
    companies = list(Company.objects.filter(merged_into__isnull=True).order_by("pk")[:100])
    for index, (code, name, address, tz) in enumerate(CENTERS):
        if ServiceCenter.objects.filter(code=code).exists():
            continue
        center = ServiceCenter.objects.create(
            code=code, name=name, address=address, timezone=tz, priority_by_segment=index == 0
        )
        groups = [
            ServiceGroup.objects.create(
                center=center,
                service=service,
                letter=LETTERS[i],
                handling_minutes=rng.choice([10, 15, 20, 30]),
                position=i,
            )
            for i, service in enumerate(catalogue)
        ]
        desks = []
        for number in range(1, 6 - index):
            desk = Desk.objects.create(center=center, number=str(number))
            if number > 2:
                # Some desks specialise: they serve two services only.
                desk.services.add(*[g.service for g in rng.sample(groups, min(2, len(groups)))])
            desks.append(desk)
        _day_of_tickets(rng, center, groups, desks, operator, companies)
        if index == 0 and operator is not None:
            OperatorSession.objects.get_or_create(
                operator=operator, ended_at__isnull=True, defaults={"desk": desks[0]}
            )
    _demo_appointments(rng)


# --- appointments ----------------------------------------------------------------------------
APPOINTMENT_DAYS = 5
APPOINTMENTS_PER_DAY = 7


def _portal_bookers() -> list[tuple[User, Company, Contact | None]]:
    from clientdesk.portal.models import PortalAccount  # the portal's users book too

    accounts = (
        PortalAccount.objects.filter(user__username__in=("client1", "client2"))
        .select_related("user", "company", "contact")
        .order_by("user__username")
    )
    return [(a.user, a.company, a.contact) for a in accounts]


def _demo_appointments(rng: random.Random) -> None:
    """Bookings through the real services (capacity, audit), without e-mails."""
    call_center = User.objects.filter(username="call").first()
    portal = _portal_bookers()
    companies = list(
        Company.objects.filter(merged_into__isnull=True, contacts__isnull=False)
        .distinct()
        .order_by("pk")[:60]
    )
    now = timezone.now()
    for center in ServiceCenter.objects.filter(code__in=[c[0] for c in CENTERS]):
        if Appointment.objects.filter(center=center).exists():
            continue
        groups = list(selectors.bookable_groups(center)[:4])
        if not groups or not companies:
            continue
        today = selectors.today_of(center, now)
        # Booked "yesterday": today's early visits can be shown as already checked in.
        booked_at = now - dt.timedelta(days=1)
        made: list[Appointment] = []
        for offset in range(APPOINTMENT_DAYS):
            day = today + dt.timedelta(days=offset)
            for _ in range(APPOINTMENTS_PER_DAY):
                group = rng.choice(groups)
                by: User | None
                free = selectors.day_slots(center, group.service, day, now=booked_at)
                if not free:
                    continue
                slot = rng.choice(free)
                if rng.random() < 0.35 and portal:
                    user, company, contact = rng.choice(portal)
                    by, source = user, Appointment.Source.PORTAL
                else:
                    company = rng.choice(companies)
                    contact = (
                        Contact.objects.filter(company=company, left_company=False)
                        .order_by("pk")
                        .first()
                    )
                    by, source = call_center, Appointment.Source.STAFF
                try:
                    made.append(
                        services.appointment_book(
                            center=center,
                            service=group.service,
                            starts_at=slot.starts_at,
                            company=company,
                            contact=contact,
                            by=by,
                            source=source,
                            now=booked_at,
                            notify=False,
                        )
                    )
                except ValidationError:
                    continue  # the slot filled up meanwhile
        _demo_outcomes(rng, center, made, call_center, now)


def _demo_outcomes(
    rng: random.Random,
    center: ServiceCenter,
    made: list[Appointment],
    call_center: User | None,
    now: dt.datetime,
) -> None:
    future = [a for a in made if a.starts_at > now]
    # Today's visits that have begun: the clients came and were checked in.
    for appointment in [a for a in made if a.starts_at <= now][:4]:
        try:
            services.appointment_check_in(
                appointment=appointment, by=None, at=appointment.starts_at + dt.timedelta(minutes=3)
            )
        except ValidationError:
            continue
    for appointment in future[-2:]:
        services.appointment_cancel(
            appointment=appointment, by=call_center, reason="Перенос сроков", notify=False
        )
    # Tomorrow's visits booked well ahead were reminded by the job.
    due = list(
        selectors.reminders_due(
            now=now, ahead=services.REMIND_AHEAD, min_lead=services.REMIND_MIN_LEAD
        ).filter(center=center)
    )
    Appointment.objects.filter(pk__in=[a.pk for a in due]).update(reminded_at=now)
    audit.record_many(actor=None, action="centers.appointment_reminded", targets=due, changes=None)
    movable = [a for a in future[:-2] if a.starts_at > now + dt.timedelta(days=2)]
    if movable:
        moved = movable[0]
        next_day = center.local_day(moved.starts_at) + dt.timedelta(days=1)
        later = selectors.day_slots(center, moved.service, next_day, now=now)
        if later:
            services.appointment_reschedule(
                appointment=moved,
                starts_at=rng.choice(later).starts_at,
                by=call_center,
                now=now,
                notify=False,
            )
