"""Appointments: slots from desks and standard times, booking, cancelling, checking in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from clientdesk.centers import selectors, services
from clientdesk.centers.models import Appointment, TicketState
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY = dt.date(2026, 3, 2)
BEFORE = dt.datetime(2026, 3, 1, 12, 0, tzinfo=MSK)


@pytest.fixture
def center_with_two_desks():
    center = new_center(week={"mon": ["09:00-10:00"]})
    group = new_group(center, handling_minutes=20)
    new_desk(center, "1")
    new_desk(center, "2")
    return center, group


def test_slots_cut_the_hours_into_standard_visits_times_desks(center_with_two_desks) -> None:
    center, group = center_with_two_desks
    found = selectors.slots(center, group.service, MONDAY, now=BEFORE)
    assert [s.starts_at.astimezone(MSK).strftime("%H:%M") for s in found] == [
        "09:00",
        "09:20",
        "09:40",
    ]
    assert {s.free for s in found} == {2}
    assert selectors.slots(center, group.service, MONDAY + dt.timedelta(days=1), now=BEFORE) == []


def test_a_full_slot_refuses_the_next_booking(center_with_two_desks) -> None:
    center, group = center_with_two_desks
    nine = dt.datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
    for _ in range(2):
        services.appointment_book(center=center, service=group.service, starts_at=nine, now=BEFORE)
    with pytest.raises(ValidationError, match="taken"):
        services.appointment_book(center=center, service=group.service, starts_at=nine, now=BEFORE)
    with pytest.raises(ValidationError, match="taken"):
        services.appointment_book(
            center=center, service=group.service, starts_at=nine.replace(minute=5), now=BEFORE
        )


def test_cancelled_place_can_be_booked_again(center_with_two_desks) -> None:
    center, group = center_with_two_desks
    nine = dt.datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
    first = services.appointment_book(
        center=center, service=group.service, starts_at=nine, now=BEFORE
    )
    services.appointment_book(center=center, service=group.service, starts_at=nine, now=BEFORE)
    services.appointment_cancel(appointment=first, by=None)
    services.appointment_book(center=center, service=group.service, starts_at=nine, now=BEFORE)
    with pytest.raises(ValidationError, match="Only a booked"):
        services.appointment_cancel(appointment=first, by=None)


def test_check_in_joins_the_queue_from_the_booked_time_with_priority(center_with_two_desks) -> None:
    center, group = center_with_two_desks
    nine = dt.datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
    booked = services.appointment_book(
        center=center, service=group.service, starts_at=nine, now=BEFORE
    )
    walk_in = services.ticket_issue(center=center, service=group.service, at=nine)
    ticket = services.appointment_check_in(appointment=booked, at=nine + dt.timedelta(minutes=3))
    assert ticket.state == TicketState.WAITING
    assert ticket.priority > walk_in.priority and ticket.queue_at == nine
    assert selectors.waiting(center, MONDAY).values_list("pk", flat=True).first() == ticket.pk
    assert Appointment.objects.get(pk=booked.pk).state == Appointment.State.CHECKED_IN
    with pytest.raises(ValidationError, match="already checked in"):
        services.appointment_check_in(appointment=booked, at=nine)
    assert AuditEvent.objects.filter(action="centers.appointment_checked_in").count() == 1
