"""The operator's calls: next, recall, start, transfer, no-show, finish into a request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientdesk.centers import services
from clientdesk.centers.models import Appointment, Outcome, Ticket, TicketState
from clientdesk.centers.tasks import close_past_queues
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.clients.models import Channel
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role
from clientdesk.segments.models import CompanySegment, SegmentRun
from clientdesk.service.models import Status
from clientdesk.service.tests.factories import new_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_staff):
    center = new_center()
    group = new_group(center, "A")
    desk = new_desk(center, "1")
    operator = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=desk, operator=operator)
    return center, group, desk, operator


def test_call_next_takes_the_longest_waiting_and_skips_other_services(setup) -> None:
    center, group, _desk, operator = setup
    other = new_group(center, "B")
    desk2 = new_desk(center, "2", services=(other.service,))
    first = services.ticket_issue(center=center, service=group.service)
    services.ticket_issue(center=center, service=group.service)
    called = services.ticket_call_next(by=operator)
    assert called is not None and called.pk == first.pk
    assert called.state == TicketState.CALLED and called.desk_id == _desk.pk
    # Desk 2 serves only B: nothing for it although A tickets wait.
    operator2 = type(operator).objects.create(
        username="op2", kind="staff", role=Role.CENTER_OPERATOR
    )
    services.session_open(desk=desk2, operator=operator2)
    assert services.ticket_call_next(by=operator2) is None


def test_appointments_and_transfers_go_before_walk_ins(setup) -> None:
    center, group, _desk, operator = setup
    walk_in = services.ticket_issue(center=center, service=group.service)

    booked = Appointment.objects.create(
        center=center, service=group.service, starts_at=timezone.now() + dt.timedelta(minutes=5)
    )
    with_appointment = services.ticket_issue(
        center=center, service=group.service, appointment=booked
    )
    assert services.ticket_call_next(by=operator).pk == with_appointment.pk  # type: ignore[union-attr]
    services.ticket_no_show(ticket=Ticket.objects.get(pk=with_appointment.pk), by=operator)
    assert services.ticket_call_next(by=operator).pk == walk_in.pk  # type: ignore[union-attr]


def test_operator_cannot_call_while_a_client_is_at_the_desk(setup) -> None:
    center, group, _desk, operator = setup
    services.ticket_issue(center=center, service=group.service)
    services.ticket_issue(center=center, service=group.service)
    services.ticket_call_next(by=operator)
    with pytest.raises(ValidationError, match="Finish the client"):
        services.ticket_call_next(by=operator)


def test_finish_resolved_at_first_contact_opens_and_resolves_a_visit_request(setup) -> None:
    center, group, _desk, operator = setup
    company = new_company()
    services.ticket_issue(center=center, service=group.service)
    ticket = services.ticket_call_next(by=operator)
    assert ticket is not None
    ticket = services.ticket_recall(ticket=ticket, by=operator)
    assert ticket.recalls == 1
    ticket = services.ticket_start(ticket=ticket, by=operator)
    done = services.ticket_finish(
        ticket=ticket,
        by=operator,
        outcome=Outcome.RESOLVED,
        first_contact_resolved=True,
        company=company,
        note="Справка выдана",
    )
    assert done.state == TicketState.DONE and done.finished_at is not None
    request = done.request
    assert request is not None
    request.refresh_from_db()
    assert request.channel == Channel.VISIT
    assert request.company_id == company.pk
    assert request.status == Status.RESOLVED
    assert request.first_contact_resolution is True
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "centers.ticket_called",
        "centers.ticket_recalled",
        "centers.ticket_started",
        "centers.ticket_finished",
        "service.request_created",
    } <= actions


def test_finish_not_resolved_leaves_the_request_in_progress(setup) -> None:
    center, group, _desk, operator = setup
    services.ticket_issue(center=center, service=group.service)
    ticket = services.ticket_call_next(by=operator)
    assert ticket is not None
    done = services.ticket_finish(
        ticket=ticket, by=operator, outcome=Outcome.FOLLOW_UP, first_contact_resolved=False
    )
    assert done.request is not None
    done.request.refresh_from_db()
    assert done.request.status == Status.IN_PROGRESS
    assert done.started_at == done.called_at


def test_transfer_issues_a_successor_that_waits_before_others(setup, make_staff) -> None:
    center, group, _desk, operator = setup
    other = new_group(center, "B")
    desk2 = new_desk(center, "2")
    services.ticket_issue(center=center, service=group.service)
    waiting_b = services.ticket_issue(center=center, service=other.service)
    ticket = services.ticket_call_next(by=operator)
    assert ticket is not None
    successor = services.ticket_transfer(
        ticket=ticket, by=operator, service=other.service, desk=desk2
    )
    assert successor.code == "B-002"
    assert successor.transferred_from_id == ticket.pk
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.TRANSFERRED
    # Desk 1 cannot take the successor (it is for desk 2) and takes the B walk-in instead.
    assert services.ticket_call_next(by=operator).pk == waiting_b.pk  # type: ignore[union-attr]
    operator2 = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=desk2, operator=operator2)
    assert services.ticket_call_next(by=operator2).pk == successor.pk  # type: ignore[union-attr]


def test_operator_cannot_act_on_a_ticket_of_another_desk(setup, make_staff) -> None:
    center, group, _desk, operator = setup
    services.ticket_issue(center=center, service=group.service)
    ticket = services.ticket_call_next(by=operator)
    assert ticket is not None
    intruder = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=new_desk(center, "9"), operator=intruder)
    with pytest.raises(ValidationError, match="another desk"):
        services.ticket_finish(
            ticket=ticket, by=intruder, outcome="resolved", first_contact_resolved=True
        )


def test_second_click_on_no_show_explains_the_state(setup) -> None:
    center, group, _desk, operator = setup
    services.ticket_issue(center=center, service=group.service)
    ticket = services.ticket_call_next(by=operator)
    assert ticket is not None
    services.ticket_no_show(ticket=ticket, by=operator)
    with pytest.raises(ValidationError, match="already “Did not come”"):
        services.ticket_no_show(ticket=ticket, by=operator)


def test_key_client_goes_first_only_where_the_center_says_so(setup) -> None:
    # Without a segment run nobody is a key client; the flag alone changes nothing.
    center, group, _desk, _operator = setup
    center.priority_by_segment = True
    center.save()
    ticket = services.ticket_issue(center=center, service=group.service, company=new_company())
    assert ticket.priority == 0


def test_desk_taken_by_a_colleague_is_refused(setup, make_staff) -> None:
    _center, _group, desk, _operator = setup
    with pytest.raises(ValidationError, match="works at this desk"):
        services.session_open(desk=desk, operator=make_staff(Role.CENTER_OPERATOR))


def test_abandon_day_marks_waiting_tickets(setup) -> None:
    center, group, _desk, _operator = setup
    ticket = services.ticket_issue(center=center, service=group.service)
    assert services.tickets_abandon_day(center=center, day=ticket.day, by=None) == 1
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.ABANDONED


def test_key_client_of_segment_a_is_called_before_earlier_walk_ins(setup) -> None:
    center, group, _desk, operator = setup
    center.priority_by_segment = True
    center.save()
    key = new_company()
    run = SegmentRun.objects.create(period_end=dt.date(2026, 1, 31), status=SegmentRun.Status.DONE)
    CompanySegment.objects.create(run=run, company=key, abc="A", xyz="X", lifecycle="stable")
    services.ticket_issue(center=center, service=group.service, company=new_company())
    key_ticket = services.ticket_issue(center=center, service=group.service, company=key)
    assert key_ticket.priority == 1
    assert services.ticket_call_next(by=operator).pk == key_ticket.pk  # type: ignore[union-attr]


def test_hourly_job_closes_queues_of_past_days_only(setup) -> None:
    center, group, _desk, _operator = setup
    yesterday = services.ticket_issue(
        center=center, service=group.service, at=timezone.now() - dt.timedelta(days=1)
    )
    today = services.ticket_issue(center=center, service=group.service)
    assert close_past_queues() == 1
    assert close_past_queues() == 0
    assert Ticket.objects.get(pk=yesterday.pk).state == TicketState.ABANDONED
    assert Ticket.objects.get(pk=today.pk).state == TicketState.WAITING
