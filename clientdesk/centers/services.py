"""Writes of the centers app: issuing tickets and the operator's calls.

Ticket life: waiting → called (recalled any number of times) → serving → done; a called ticket
whose client does not come becomes no_show; a ticket at a desk can be transferred (it ends as
"transferred" and a successor ticket, linked to it, waits for the other desk or service with
raised priority, so the client does not queue again from the back); a waiting ticket left at
closing is abandoned.

Queue order (`selectors.waiting`): priority, then `queue_at` (the appointment time for a booked
visit, else the issue time). Priority points: an appointment +2, a key client (segment A, when
the center is set so) +1, a transfer +3.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Field, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.accounts.models import User
from clientdesk.clients.models import Channel, Company, Contact
from clientdesk.core import audit
from clientdesk.core.models import AuditEvent
from clientdesk.segments.selectors import segment_of
from clientdesk.service import services as service_services
from clientdesk.service.calendar import BusinessCalendar, add_business_minutes
from clientdesk.service.models import OPEN_STATUSES, Service, Status
from clientdesk.service.sla import load_calendar

from . import selectors
from .calculations import estimated_wait_minutes
from .models import (
    AT_DESK_STATES,
    Appointment,
    Desk,
    OperatorSession,
    Outcome,
    ServiceCenter,
    ServiceGroup,
    Ticket,
    TicketCounter,
    TicketState,
    center_calendar,
)

PRIORITY_APPOINTMENT = 2
PRIORITY_KEY_CLIENT = 1
PRIORITY_TRANSFER = 3
# How many queue heads `ticket_call_next` tries when other desks take them at the same moment.
CALL_ATTEMPTS = 5


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


# --- opening hours ---------------------------------------------------------------------------
# Every kiosk press checks the hours: building the calendar costs a query and parsing the week,
# so it is kept a minute per center. The key holds what the calendar is built from, so an edit
# of the center's hours or zone takes effect at once; a new holiday in the working calendar
# takes up to CALENDAR_TTL seconds.
CALENDAR_TTL = 60.0
_calendars: dict[tuple[Any, ...], tuple[float, BusinessCalendar]] = {}


def center_calendar_of(center: ServiceCenter) -> BusinessCalendar:
    key = (center.pk, center.calendar_id, center.timezone, repr(center.week))
    now = time.monotonic()
    cached = _calendars.get(key)
    if cached is not None and now - cached[0] < CALENDAR_TTL:
        return cached[1]
    base = load_calendar(center.calendar_id) if center.calendar_id else None
    built = center_calendar(center, base)
    if len(_calendars) > 256:  # edited hours leave stale keys behind: keep the dict small
        _calendars.clear()
    _calendars[key] = (now, built)
    return built


def is_open(center: ServiceCenter, at: dt.datetime) -> bool:
    """Inside the center's hours on a working day; a center without hours is always open."""
    if not any((center.week or {}).values()):
        return True
    cal = center_calendar_of(center)
    local = at.astimezone(center.tz)
    return any(start <= local < end for start, end in cal.intervals_on(local.date()))


def opens_at(center: ServiceCenter, at: dt.datetime) -> dt.datetime | None:
    if not any((center.week or {}).values()):
        return None
    try:
        return add_business_minutes(center_calendar_of(center), at, 0)
    except ValueError:
        return None


# --- issuing ---------------------------------------------------------------------------------
def _not_provided(service: Service) -> ValidationError:
    return _error("service", _("“%(s)s” is not provided at this center.") % {"s": service})


def _columns(model: type[Model], skip: tuple[str, ...]) -> list[Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in skip]


def _names(fields: list[Field[Any, Any]], conn: BaseDatabaseWrapper) -> str:
    return ", ".join(conn.ops.quote_name(str(f.column)) for f in fields)


def _prepared(
    instance: Model, fields: list[Field[Any, Any]], conn: BaseDatabaseWrapper
) -> list[Any]:
    return [f.get_db_prep_save(f.pre_save(instance, True), conn) for f in fields]


# The counter upsert. The letter comes from the service group, joined in, so issuing needs no
# lookup of the group (and no cache of it that could go stale); no group means no row. With
# RETURNING it is atomic on its own: on PostgreSQL the counter row stays locked until the
# transaction ends, so a second kiosk waits and then sees our number; on SQLite the IMMEDIATE
# transaction already serialises writers.
_UPSERT = (
    "INSERT INTO {counter} (center_id, day, letter, last_number) "
    "SELECT g.center_id, %s, g.letter, 1 FROM {group} g "
    "WHERE g.center_id = %s AND g.service_id = %s "
    "ON CONFLICT (center_id, day, letter) DO UPDATE SET last_number = {counter}.last_number + 1 "
    "RETURNING letter, last_number"
)


def _upsert_sql() -> str:
    qn = connection.ops.quote_name
    return _UPSERT.format(
        counter=qn(TicketCounter._meta.db_table), group=qn(ServiceGroup._meta.db_table)
    )


def _number_and_insert(ticket: Ticket) -> bool:
    """Numbers the ticket and inserts it; False when the service has no group at the center.

    Run inside the caller's transaction: a rollback returns the number and leaves no gap.
    """
    # The real connection of this thread, not the proxy: each attribute of the proxy costs a
    # context-local lookup, and preparing a ticket's columns makes dozens of them.
    conn = connections[DEFAULT_DB_ALIAS]
    qn = conn.ops.quote_name
    fields = _columns(Ticket, ("letter", "number"))
    day = Ticket._meta.get_field("day").get_db_prep_save(ticket.day, conn)
    with conn.cursor() as cursor:
        cursor.execute(_upsert_sql(), [day, ticket.center_id, ticket.service_id])
        row = cursor.fetchone()
        if row is None:
            return False
        ticket.letter, ticket.number = row[0], int(row[1])
        cursor.execute(
            f"INSERT INTO {qn(Ticket._meta.db_table)} "  # noqa: S608 - names are ours
            f"({_names(fields, conn)}, letter, number) "
            f"VALUES ({', '.join(['%s'] * len(fields))}, %s, %s) RETURNING id",
            [*_prepared(ticket, fields, conn), ticket.letter, ticket.number],
        )
        ticket.pk = cursor.fetchone()[0]
    ticket._state.adding = False
    ticket._state.db = conn.alias
    return True


def _issue_in_one_statement(ticket: Ticket, *, by: User | None, changes: dict[str, Any]) -> bool:
    """PostgreSQL: counter, ticket and audit row in one statement; False as above.

    Outside a transaction the statement is one on its own, so the counter row is locked only
    while the server runs it: with BEGIN, three statements and COMMIT it stayed locked across
    four round trips, each also waiting for the GIL among the kiosk threads, and that lock is
    what every kiosk of the center queues on. Inside the caller's transaction it joins it.
    The audit row holds what `audit.record` would write (`audit.columns_for_raw_insert`); only
    the ticket's id and code, known inside the statement, come from SQL (the code as
    `Ticket.code` formats it).
    """
    # The real connection of this thread, not the proxy: each attribute of the proxy costs a
    # context-local lookup, and preparing a ticket's columns makes dozens of them.
    conn = connections[DEFAULT_DB_ALIAS]
    qn = conn.ops.quote_name
    ticket_fields = _columns(Ticket, ("letter", "number"))
    event_names, event_values = audit.columns_for_raw_insert(
        actor=by, action="centers.ticket_issued", target_model=Ticket, changes=changes
    )
    day = Ticket._meta.get_field("day").get_db_prep_save(ticket.day, conn)
    sql = (
        f"WITH c AS ({_upsert_sql()}), "  # noqa: S608 - table and column names are ours
        f"t AS (INSERT INTO {qn(Ticket._meta.db_table)} "
        f"({_names(ticket_fields, conn)}, letter, number) "
        f"SELECT {', '.join(['%s'] * len(ticket_fields))}, c.letter, c.last_number FROM c "
        "RETURNING id, letter, number), "
        f"a AS (INSERT INTO {qn(AuditEvent._meta.db_table)} "
        f"({', '.join(event_names)}, target_id, target_repr) "
        f"SELECT {', '.join(['%s'] * len(event_values))}, t.id::text, "
        "t.letter || '-' || lpad(t.number::text, greatest(3, length(t.number::text)), '0') "
        "FROM t) "
        "SELECT id, letter, number FROM t"
    )
    params = [
        day,
        ticket.center_id,
        ticket.service_id,
        *_prepared(ticket, ticket_fields, conn),
        *event_values,
    ]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    ticket.pk, ticket.letter, ticket.number = row[0], row[1], int(row[2])
    ticket._state.adding = False
    ticket._state.db = conn.alias
    return True


def _priority(
    center: ServiceCenter, company: Company | None, appointment: Appointment | None
) -> int:
    points = PRIORITY_APPOINTMENT if appointment is not None else 0
    if center.priority_by_segment and company is not None:
        segment = segment_of(company.pk)
        if segment is not None and segment.abc == "A":
            points += PRIORITY_KEY_CLIENT
    return points


def ticket_issue(
    *,
    center: ServiceCenter,
    service: Service,
    company: Company | None = None,
    contact: Contact | None = None,
    appointment: Appointment | None = None,
    by: User | None = None,
    at: dt.datetime | None = None,
    _extra_priority: int = 0,
    _for_desk: Desk | None = None,
    _transferred_from: Ticket | None = None,
) -> Ticket:
    """Issues the next ticket: the day's number, the ticket and its audit row, atomically.

    Kiosks press the button all day long, so there are no lookups per ticket: one statement on
    PostgreSQL, a transaction of three on SQLite. The checks before only read. Not decorated
    with `transaction.atomic` on purpose: on PostgreSQL the one statement is atomic by itself
    (its own transaction, or part of the caller's), and a BEGIN/COMMIT around it would keep
    the center's counter row locked for two more round trips.
    """
    now = at or timezone.now()
    if not center.is_active:
        raise _error("center", _("This service center does not issue tickets now."))
    if not service.is_active:
        raise _not_provided(service)
    if service.channels and Channel.VISIT not in service.channels:
        raise _error("service", _("“%(s)s” is not provided in person.") % {"s": service})
    if _transferred_from is None and not is_open(center, now):
        opening = opens_at(center, now)
        message = _("The center is closed now.")
        if opening is not None:
            message += " " + _("It opens at %(t)s.") % {
                "t": opening.astimezone(center.tz).strftime("%d.%m %H:%M")
            }
        raise _error("center", message)
    ticket = Ticket(
        center=center,
        day=center.local_day(now),
        service=service,
        priority=_priority(center, company, appointment) + _extra_priority,
        queue_at=appointment.starts_at if appointment is not None else now,
        issued_at=now,
        company=company,
        contact=contact,
        appointment=appointment,
        for_desk=_for_desk,
        transferred_from=_transferred_from,
    )
    changes = {"center": center.pk, "service": service.pk, "priority": ticket.priority}
    if connection.vendor == "postgresql":
        if not _issue_in_one_statement(ticket, by=by, changes=changes):
            raise _not_provided(service)
        return ticket
    with transaction.atomic():
        if not _number_and_insert(ticket):
            raise _not_provided(service)
        audit.record(actor=by, action="centers.ticket_issued", target=ticket, changes=changes)
    return ticket


@dataclass(frozen=True)
class WaitEstimate:
    ahead: int
    minutes: int | None  # None: no desk serving the service is open


def estimate_wait(ticket: Ticket) -> WaitEstimate:
    group = selectors.group_of(ticket.center, ticket.service)
    handling = group.handling_minutes if group else 15
    ahead = selectors.ahead_of(ticket)
    desks = selectors.open_desk_count(ticket.center, ticket.service)
    return WaitEstimate(
        ahead=ahead,
        minutes=estimated_wait_minutes(ahead=ahead, handling_minutes=handling, open_desks=desks),
    )


# --- desks -----------------------------------------------------------------------------------
@transaction.atomic
def session_open(*, desk: Desk, operator: User) -> OperatorSession:
    if not desk.is_active:
        raise _error("desk", _("This desk is closed for service."))
    now = timezone.now()
    # Signing in elsewhere moves the operator: the old desk closes.
    OperatorSession.objects.filter(operator=operator, ended_at__isnull=True).update(ended_at=now)
    busy = OperatorSession.objects.filter(desk=desk, ended_at__isnull=True).first()
    if busy is not None:
        raise _error(
            "desk", _("%(who)s works at this desk: choose another one.") % {"who": busy.operator}
        )
    session = OperatorSession.objects.create(desk=desk, operator=operator, started_at=now)
    audit.record(actor=operator, action="centers.session_opened", target=session)
    return session


@transaction.atomic
def session_close(*, operator: User) -> None:
    now = timezone.now()
    for session in OperatorSession.objects.filter(operator=operator, ended_at__isnull=True):
        session.ended_at = now
        session.save(update_fields=["ended_at"])
        audit.record(actor=operator, action="centers.session_closed", target=session)


def _desk_of(operator: User) -> Desk:
    session = selectors.open_session_of(operator)
    if session is None:
        raise _error("desk", _("Sign in at a desk first."))
    return session.desk


def _claim(ticket: Ticket, *, from_states: set[str] | frozenset[str], **changes: Any) -> Ticket:
    """Moves the ticket only if it is still in one of `from_states`, else explains why not."""
    updated = Ticket.objects.filter(pk=ticket.pk, state__in=from_states).update(**changes)
    fresh = Ticket.objects.select_related("center", "service", "desk").get(pk=ticket.pk)
    if updated != 1:
        # Nothing was updated: another desk or a second click got there first.
        raise _error(
            "ticket",
            _("Ticket %(code)s is already “%(state)s”.")
            % {"code": fresh.code, "state": TicketState(fresh.state).label},
        )
    return fresh


def _own(ticket: Ticket, by: User) -> Desk:
    desk = _desk_of(by)
    if ticket.desk_id != desk.pk:
        raise _error("ticket", _("Ticket %(code)s is at another desk.") % {"code": ticket.code})
    return desk


@transaction.atomic
def ticket_call_next(*, by: User, now: dt.datetime | None = None) -> Ticket | None:
    """Calls the head of the queue for the operator's desk; None when nobody waits."""
    desk = _desk_of(by)
    now = now or timezone.now()
    if Ticket.objects.filter(desk=desk, state__in=AT_DESK_STATES).exists():
        raise _error("ticket", _("Finish the client at your desk before calling the next one."))
    day = selectors.today_of(desk.center, now)
    for candidate in selectors.queue_for_desk(desk, day)[:CALL_ATTEMPTS]:
        try:
            ticket = _claim(
                candidate,
                from_states={TicketState.WAITING},
                state=TicketState.CALLED,
                called_at=now,
                desk=desk,
                operator=by,
            )
        except ValidationError:
            continue
        audit.record(
            actor=by, action="centers.ticket_called", target=ticket, changes={"desk": desk.pk}
        )
        return ticket
    return None


@transaction.atomic
def ticket_recall(*, ticket: Ticket, by: User) -> Ticket:
    _own(ticket, by)
    ticket = _claim(
        ticket,
        from_states={TicketState.CALLED},
        called_at=timezone.now(),
        recalls=F("recalls") + 1,
    )
    audit.record(actor=by, action="centers.ticket_recalled", target=ticket)
    return ticket


@transaction.atomic
def ticket_start(*, ticket: Ticket, by: User) -> Ticket:
    _own(ticket, by)
    ticket = _claim(
        ticket,
        from_states={TicketState.CALLED},
        state=TicketState.SERVING,
        started_at=timezone.now(),
    )
    audit.record(actor=by, action="centers.ticket_started", target=ticket)
    return ticket


@transaction.atomic
def ticket_no_show(*, ticket: Ticket, by: User) -> Ticket:
    _own(ticket, by)
    ticket = _claim(
        ticket,
        from_states={TicketState.CALLED},
        state=TicketState.NO_SHOW,
        finished_at=timezone.now(),
    )
    audit.record(actor=by, action="centers.ticket_no_show", target=ticket)
    return ticket


@transaction.atomic
def ticket_transfer(
    *, ticket: Ticket, by: User, service: Service | None = None, desk: Desk | None = None
) -> Ticket:
    """Ends the ticket as transferred and issues its successor; returns the successor."""
    _own(ticket, by)
    if service is None and desk is None:
        raise _error("service", _("Choose the service or the desk to transfer the client to."))
    target_service = service or ticket.service
    if desk is not None:
        if desk.center_id != ticket.center_id or not desk.is_active:
            raise _error("desk", _("Choose an open desk of this center."))
        served = set(desk.services.values_list("pk", flat=True))
        if served and target_service.pk not in served:
            raise _error(
                "desk",
                _("Desk %(n)s does not serve “%(s)s”.") % {"n": desk.number, "s": target_service},
            )
    old = _claim(
        ticket,
        from_states=AT_DESK_STATES,
        state=TicketState.TRANSFERRED,
        finished_at=timezone.now(),
    )
    successor = ticket_issue(
        center=old.center,
        service=target_service,
        company=old.company,
        contact=old.contact,
        appointment=None,
        by=by,
        _extra_priority=PRIORITY_TRANSFER,
        _for_desk=desk,
        _transferred_from=old,
    )
    if old.request_id:
        Ticket.objects.filter(pk=successor.pk).update(request=old.request_id)
        successor.request_id = old.request_id
    audit.record(
        actor=by,
        action="centers.ticket_transferred",
        target=old,
        changes={
            "to": successor.code,
            "service": target_service.pk,
            "desk": desk.pk if desk else None,
        },
    )
    return successor


@transaction.atomic
def ticket_finish(
    *,
    ticket: Ticket,
    by: User,
    outcome: str,
    first_contact_resolved: bool,
    company: Company | None = None,
    contact: Contact | None = None,
    note: str = "",
) -> Ticket:
    """Ends the visit and records it as a service request (channel "visit").

    The ticket's request, if it has one (a booked visit about an open request, a transfer), is
    updated; otherwise a new request is opened. Resolved at first contact resolves it.
    """
    _own(ticket, by)
    if outcome not in Outcome.values:
        raise _error("outcome", _("Choose the outcome of the visit."))
    if contact is not None and (company is None or contact.company_id != company.pk):
        raise _error("contact", _("%(name)s works for another company.") % {"name": contact})
    now = timezone.now()
    fresh = _claim(
        ticket,
        from_states=AT_DESK_STATES,
        state=TicketState.DONE,
        finished_at=now,
        outcome=outcome,
        first_contact_resolved=first_contact_resolved,
        note=note[:300],
        company=company or ticket.company,
        contact=contact or ticket.contact,
    )
    if fresh.started_at is None:
        # Finished straight from "called": the service began when the client came up.
        Ticket.objects.filter(pk=fresh.pk).update(started_at=fresh.called_at)
        fresh.started_at = fresh.called_at
    request = fresh.request
    if request is None:
        request = service_services.request_create(
            data=service_services.RequestInput(
                company=fresh.company,
                contact=fresh.contact,
                channel=Channel.VISIT,
                subject=_("Visit %(code)s: %(service)s")
                % {"code": fresh.code, "service": fresh.service},
                body=note,
                service=fresh.service,
                source="center",
                created_at=fresh.issued_at,
            ),
            by=by,
        )
        Ticket.objects.filter(pk=fresh.pk).update(request=request)
        fresh.request = request
    if first_contact_resolved and request.status in OPEN_STATUSES:
        service_services.request_resolve(request=request, by=by, first_contact=True, comment=note)
    elif request.status == Status.NEW:
        service_services.request_change_status(
            request=request, to=Status.IN_PROGRESS, by=by, comment=note
        )
    audit.record(
        actor=by,
        action="centers.ticket_finished",
        target=fresh,
        changes={
            "outcome": outcome,
            "first_contact_resolved": first_contact_resolved,
            "request": request.pk,
        },
    )
    return fresh


@transaction.atomic
def tickets_abandon_day(*, center: ServiceCenter, day: dt.date, by: User | None) -> int:
    """At closing: waiting tickets of the day are marked as left (for the figures)."""
    qs = Ticket.objects.filter(center=center, day=day, state=TicketState.WAITING)
    tickets = list(qs)
    qs.update(state=TicketState.ABANDONED, finished_at=timezone.now())
    audit.record_many(actor=by, action="centers.ticket_abandoned", targets=tickets, changes=None)
    return len(tickets)


# --- appointments ----------------------------------------------------------------------------
# How far ahead a client may book, and when the reminder goes: within REMIND_AHEAD of the
# visit, to bookings made (or moved) at least REMIND_MIN_LEAD before it; a booking made later
# has just had its confirmation.
BOOKING_DAYS_AHEAD = 60
REMIND_AHEAD = dt.timedelta(hours=24)
REMIND_MIN_LEAD = dt.timedelta(hours=12)


def _check_place(
    *, center: ServiceCenter, service: Service, starts_at: dt.datetime, now: dt.datetime
) -> None:
    """Refuses a time that is not a free place of a slot. The caller holds the center's lock."""
    if selectors.group_of(center, service) is None:
        raise _error("service", _("“%(s)s” is not provided at this center.") % {"s": service})
    if not service.is_active or (service.channels and Channel.VISIT not in service.channels):
        raise _error("service", _("“%(s)s” is not provided in person.") % {"s": service})
    if starts_at <= now:
        raise _error("starts_at", _("Choose a time in the future."))
    if starts_at > now + dt.timedelta(days=BOOKING_DAYS_AHEAD):
        raise _error(
            "starts_at",
            _("Appointments are booked at most %(n)s days ahead: choose an earlier day.")
            % {"n": BOOKING_DAYS_AHEAD},
        )
    free = {
        slot.starts_at: slot.free
        for slot in selectors.slots(center, service, center.local_day(starts_at), now=now)
    }
    if free.get(starts_at, 0) <= 0:
        raise _error(
            "starts_at", _("This time is taken or outside the opening hours: choose another.")
        )


def _lock_center(center: ServiceCenter) -> None:
    # Two clients booking the last place of a slot queue up here, and the second one sees the
    # first one's booking when it counts the places.
    ServiceCenter.objects.select_for_update().filter(pk=center.pk).first()


def _notify(appointment: Appointment, kind: str) -> None:
    from .tasks import send_appointment_email

    send_appointment_email.enqueue(appointment_id=appointment.pk, kind=kind)


@transaction.atomic
def appointment_book(
    *,
    center: ServiceCenter,
    service: Service,
    starts_at: dt.datetime,
    company: Company | None = None,
    contact: Contact | None = None,
    by: User | None = None,
    source: str = Appointment.Source.STAFF,
    note: str = "",
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Appointment:
    """Books a place in a slot (a slot holds as many visits as there are desks serving the
    service) and e-mails the confirmation after commit (`notify=False`: the demo, imports)."""
    now = now or timezone.now()
    if contact is not None and (company is None or contact.company_id != company.pk):
        raise _error("contact", _("%(name)s works for another company.") % {"name": contact})
    if source not in Appointment.Source.values:
        raise _error("source", _("Unknown booking channel."))
    _lock_center(center)
    _check_place(center=center, service=service, starts_at=starts_at, now=now)
    appointment = Appointment.objects.create(
        center=center,
        service=service,
        starts_at=starts_at,
        company=company,
        contact=contact,
        source=source,
        booked_by=by if getattr(by, "is_authenticated", False) else None,
        note=note[:300],
        created_at=now,
        changed_at=now,
    )
    audit.record(
        actor=by,
        action="centers.appointment_booked",
        target=appointment,
        changes={
            "starts_at": starts_at,
            "service": service.pk,
            "company": company,
            "contact": contact,
            "source": source,
        },
    )
    if notify:
        _notify(appointment, "booked")
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    by: User | None,
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Appointment:
    """Moves a booked appointment to another time of the same center and service.

    The new place is counted again under the center's lock, as for a new booking; the
    reminder is due again for the new time; the client gets a confirmation after commit.
    """
    now = now or timezone.now()
    _lock_center(appointment.center)
    fresh = (
        Appointment.objects.select_for_update()
        .select_related("center", "service")
        .get(pk=appointment.pk)
    )
    if fresh.state != Appointment.State.BOOKED:
        raise _error("appointment", _("Only a booked appointment can be moved."))
    if starts_at == fresh.starts_at:
        raise _error("starts_at", _("The appointment is already at this time: choose another."))
    _check_place(center=fresh.center, service=fresh.service, starts_at=starts_at, now=now)
    old = fresh.starts_at
    fresh.starts_at = starts_at
    fresh.changed_at = now
    fresh.reminded_at = None
    fresh.revision += 1
    fresh.save(update_fields=["starts_at", "changed_at", "reminded_at", "revision"])
    audit.record(
        actor=by,
        action="centers.appointment_rescheduled",
        target=fresh,
        changes={"starts_at": [old, starts_at]},
    )
    if notify:
        _notify(fresh, "rescheduled")
    return fresh


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, by: User | None, reason: str = "", notify: bool = True
) -> Appointment:
    updated = Appointment.objects.filter(pk=appointment.pk, state=Appointment.State.BOOKED).update(
        state=Appointment.State.CANCELLED, changed_at=timezone.now(), revision=F("revision") + 1
    )
    if updated != 1:
        raise _error("appointment", _("Only a booked appointment can be cancelled."))
    appointment.refresh_from_db(fields=["state", "changed_at", "revision"])
    audit.record(
        actor=by,
        action="centers.appointment_cancelled",
        target=appointment,
        changes={"reason": reason[:300]} if reason else None,
    )
    if notify:
        _notify(appointment, "cancelled")
    return appointment


def appointment_remind_due(*, now: dt.datetime | None = None) -> int:
    """Claims the reminders that are due, one by one, and queues their e-mails; returns how
    many this run claimed. Two runners never send the same reminder: the claim is an UPDATE
    that only one of them wins."""
    now = now or timezone.now()
    sent = 0
    for appointment in selectors.reminders_due(
        now=now, ahead=REMIND_AHEAD, min_lead=REMIND_MIN_LEAD
    ):
        with transaction.atomic():
            claimed = Appointment.objects.filter(
                pk=appointment.pk, state=Appointment.State.BOOKED, reminded_at__isnull=True
            ).update(reminded_at=now)
            if claimed != 1:
                continue  # Another runner took it, or it was cancelled meanwhile.
            audit.record(actor=None, action="centers.appointment_reminded", target=appointment)
            _notify(appointment, "reminder")
            sent += 1
    return sent


@transaction.atomic
def appointment_check_in(
    *, appointment: Appointment, by: User | None = None, at: dt.datetime | None = None
) -> Ticket:
    """The client has come: a ticket that stands in line from the booked time, with priority."""
    center = appointment.center
    booked_day = center.local_day(appointment.starts_at)
    if booked_day != center.local_day(at or timezone.now()):
        raise _error(
            "appointment",
            _("This appointment is for %(day)s: check the client in on that day.")
            % {"day": booked_day.strftime("%d.%m.%Y")},
        )
    updated = Appointment.objects.filter(pk=appointment.pk, state=Appointment.State.BOOKED).update(
        state=Appointment.State.CHECKED_IN
    )
    if updated != 1:
        raise _error("appointment", _("This appointment is cancelled or already checked in."))
    appointment.state = Appointment.State.CHECKED_IN
    ticket = ticket_issue(
        center=appointment.center,
        service=appointment.service,
        company=appointment.company,
        contact=appointment.contact,
        appointment=appointment,
        by=by,
        at=at,
    )
    audit.record(
        actor=by,
        action="centers.appointment_checked_in",
        target=appointment,
        changes={"ticket": ticket.code},
    )
    return ticket
