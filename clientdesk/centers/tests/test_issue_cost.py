"""Issuing without per-ticket lookups: what is cached, what is not, and that it stays correct."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from clientdesk.centers import services
from clientdesk.centers.models import Ticket, TicketCounter
from clientdesk.centers.tests.factories import new_center, new_group
from clientdesk.core.models import AuditEvent
from clientdesk.service.models import CalendarException, WorkingCalendar
from clientdesk.service.tests.factories import new_service

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY_NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=MSK)


def test_issue_is_the_counter_the_ticket_and_the_audit_row_only(
    django_assert_num_queries,
) -> None:
    center = new_center(week={"mon": ["09:00-18:00"]})
    group = new_group(center)
    services.ticket_issue(center=center, service=group.service, at=MONDAY_NOON)
    # No lookup of group or calendar. PostgreSQL: one statement writes counter, ticket and
    # audit row. SQLite: savepoint, counter upsert, ticket, audit row, release.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 5):
        ticket = services.ticket_issue(center=center, service=group.service, at=MONDAY_NOON)
    assert ticket.code == "A-002"


def test_issued_ticket_is_saved_and_audited_under_its_code() -> None:
    center = new_center()
    group = new_group(center, "B")
    ticket = services.ticket_issue(center=center, service=group.service)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.code, stored.state, stored.service_id) == ("B-001", "waiting", group.service_id)
    event = AuditEvent.objects.get(action="centers.ticket_issued")
    assert event.target_type == ContentType.objects.get_for_model(Ticket)
    assert (event.target_id, event.target_repr) == (str(ticket.pk), "B-001")
    assert event.changes == {"center": center.pk, "service": group.service_id, "priority": 0}
    # The returned ticket is a saved one: it can be changed and saved again.
    ticket.note = "ok"
    ticket.save(update_fields=["note"])
    assert Ticket.objects.get(pk=ticket.pk).note == "ok"


def test_service_without_group_writes_no_counter_ticket_or_audit_row() -> None:
    center = new_center()
    new_group(center)
    with pytest.raises(ValidationError, match="not provided at this center"):
        services.ticket_issue(center=center, service=new_service())
    assert not TicketCounter.objects.exists()
    assert not Ticket.objects.exists()
    assert not AuditEvent.objects.filter(action="centers.ticket_issued").exists()


def test_rollback_of_the_callers_transaction_returns_the_number() -> None:
    center = new_center()
    group = new_group(center)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_issue(center=center, service=group.service)
        raise RuntimeError
    assert services.ticket_issue(center=center, service=group.service).code == "A-001"


def test_edited_opening_hours_apply_to_the_next_ticket() -> None:
    center = new_center(week={"mon": ["09:00-18:00"]})
    group = new_group(center)
    services.ticket_issue(center=center, service=group.service, at=MONDAY_NOON)
    center.week = {"mon": ["14:00-18:00"]}
    center.save()
    with pytest.raises(ValidationError, match=r"It opens at 02\.03 14:00"):
        services.ticket_issue(center=center, service=group.service, at=MONDAY_NOON)


def test_new_holiday_applies_once_the_cached_calendar_expires(monkeypatch) -> None:
    calendar = WorkingCalendar.objects.create(name="Центры")
    center = new_center(week={"mon": ["09:00-18:00"]}, calendar=calendar)
    group = new_group(center)
    services.ticket_issue(center=center, service=group.service, at=MONDAY_NOON)
    CalendarException.objects.create(
        calendar=calendar, date=MONDAY_NOON.date(), kind=CalendarException.Kind.DAY_OFF
    )
    calendar.save()  # as the admin does: the calendar's updated_at marks the change
    # Within the minute the cached calendar still lets the kiosk issue...
    services.ticket_issue(center=center, service=group.service, at=MONDAY_NOON)
    monkeypatch.setattr(services, "CALENDAR_TTL", 0.0)
    with pytest.raises(ValidationError, match="closed"):
        services.ticket_issue(center=center, service=group.service, at=MONDAY_NOON)
