"""Opening and working requests: SLA, routing, workflow, repeats, timeline, SLA job."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clientdesk.clients.models import Channel, Interaction, Todo
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role
from clientdesk.service import services, sla
from clientdesk.service.calendar import add_business_minutes
from clientdesk.service.models import (
    KeyClientRoute,
    Priority,
    ServiceRequest,
    SlaEvent,
    SlaPolicy,
    Status,
    WorkingCalendar,
)
from clientdesk.service.segmenting import SegmentInfo
from clientdesk.service.services import RequestInput, request_create

from .factories import make_agent, new_company, new_contact, new_service, new_skill, new_unit

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def open_request(company=None, **kwargs) -> ServiceRequest:
    company = company or new_company()
    by = kwargs.pop("by", None)
    data = {"company": company, "channel": Channel.PHONE, "subject": "Справка", "body": "Нужна"}
    data.update(kwargs)
    return request_create(data=RequestInput(**data), by=by)


@pytest.fixture
def always_open_calendar(db):
    """A calendar working around the clock, so tests can reason in wall-clock minutes."""
    WorkingCalendar.objects.update(is_default=False)
    return WorkingCalendar.objects.create(
        name="24/7",
        timezone="Europe/Moscow",
        country="",
        week={k: ["00:00-23:59"] for k in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        is_default=True,
    )


# --- SLA policy ------------------------------------------------------------------------------
def test_request_without_matching_policy_gets_the_documented_default() -> None:
    request = open_request(created_at=dt.datetime(2026, 2, 6, 17, tzinfo=MSK))
    default = SlaPolicy.objects.get(is_default=True)
    assert request.sla_policy == default
    assert request.sla_first_response_minutes == 240
    # Friday 17:00 + 4 business hours = Monday 12:00 (seeded Moscow calendar).
    assert request.first_response_due == dt.datetime(2026, 2, 9, 12, tzinfo=MSK)


def test_default_applies_even_when_the_default_policy_was_deleted() -> None:
    SlaPolicy.objects.all().delete()
    request = open_request()
    assert request.sla_policy is None
    assert request.sla_first_response_minutes == 240 and request.resolution_due is not None


def test_long_standard_service_is_not_born_breached_under_the_default() -> None:
    service = new_service(standard_minutes=10 * 540)
    assert open_request(service=service).sla_resolution_minutes == 10 * 540


def test_most_specific_policy_wins() -> None:
    service = new_service()
    SlaPolicy.objects.create(
        name="urgent", priority=Priority.URGENT, first_response_minutes=30, resolution_minutes=240
    )
    specific = SlaPolicy.objects.create(
        name="urgent phone service",
        priority=Priority.URGENT,
        channel=Channel.PHONE,
        service=service,
        first_response_minutes=15,
        resolution_minutes=120,
    )
    request = open_request(service=service, priority=Priority.URGENT)
    assert request.sla_policy == specific
    other = open_request(priority=Priority.URGENT).sla_policy
    assert other is not None and other.name == "urgent"


def test_policy_by_abc_xyz_cell_matches_only_that_segment() -> None:
    policy = SlaPolicy.objects.create(
        name="AX", abc_xyz="AX", first_response_minutes=30, resolution_minutes=240
    )
    common: dict[str, Any] = {"company_id": 1, "service_id": None, "standard_minutes": None}
    common |= {"channel": Channel.PHONE, "priority": Priority.NORMAL}
    assert sla.targets_for(segment=SegmentInfo(abc="A", xyz="X"), **common).policy == policy
    default = SlaPolicy.objects.get(is_default=True)
    assert sla.targets_for(segment=SegmentInfo(abc="B", xyz="X"), **common).policy == default
    assert sla.targets_for(segment=None, **common).policy == default


# --- routing ---------------------------------------------------------------------------------
def test_key_client_goes_to_its_account_manager(make_staff, monkeypatch) -> None:
    kam = make_staff(Role.ACCOUNT_MANAGER)
    company = new_company(account_manager=kam)
    monkeypatch.setattr(services, "segment_of", lambda pk: SegmentInfo(abc="A", xyz="X"))
    assert open_request(company, service=new_service()).assignee == kam


def test_named_team_route_beats_the_account_manager(make_staff) -> None:
    kam, member = make_staff(Role.ACCOUNT_MANAGER), make_staff(Role.CALL_OPERATOR)
    company = new_company(account_manager=kam)
    team = new_unit()
    make_agent(member, team)
    KeyClientRoute.objects.create(company=company, team=team)
    request = open_request(company)
    assert (request.assignee, request.team) == (member, team)


def test_skills_and_load_choose_the_least_busy_qualified_agent(make_staff) -> None:
    skill = new_skill()
    service = new_service()
    service.skills.add(skill)
    busy, free, unskilled = (make_staff(Role.CALL_OPERATOR) for _ in range(3))
    make_agent(busy, service.unit, [skill])
    make_agent(free, service.unit, [skill])
    make_agent(unskilled, service.unit, [])
    first = open_request(service=service)
    second = open_request(service=service)
    # The first went to the lower agent id; then the other one had fewer open requests.
    assert {first.assignee, second.assignee} == {busy, free}
    assert unskilled not in {first.assignee, second.assignee}
    assert first.team == service.unit


def test_agents_at_capacity_get_nothing_and_the_request_waits_in_the_unit_queue(
    make_staff,
) -> None:
    service = new_service()
    make_agent(make_staff(Role.CALL_OPERATOR), service.unit, capacity=1)
    open_request(service=service)
    waiting = open_request(service=service)
    assert waiting.assignee is None and waiting.team == service.unit


# --- workflow --------------------------------------------------------------------------------
def test_invalid_transition_is_refused_with_the_possible_ones(make_staff) -> None:
    request = open_request()
    services.request_change_status(request=request, to=Status.RESOLVED, by=None)
    services.request_change_status(request=request, to=Status.CLOSED, by=None)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.request_change_status(request=request, to=Status.IN_PROGRESS, by=None)
    assert "cannot become" in str(exc.value) and "final" in str(exc.value)
    request.refresh_from_db()
    assert request.status == Status.CLOSED


def test_reopening_clears_first_contact_resolution_and_opens_again(make_staff) -> None:
    request = services.request_resolve(request=open_request(), by=None, first_contact=True)
    assert request.first_contact_resolution and not request.is_open
    request = services.request_change_status(request=request, to=Status.REOPENED, by=None)
    assert request.is_open and not request.first_contact_resolution and request.resolved_at is None


def test_every_change_reaches_the_timeline_and_the_audit_trail(make_staff) -> None:
    agent = make_staff(Role.CALL_OPERATOR)
    request = open_request(by=agent)
    services.request_assign(request=request, to=agent, by=agent)
    services.request_note(request=request, body="внутреннее", by=agent)
    services.request_change_status(request=request, to=Status.IN_PROGRESS, by=agent)
    entries = Interaction.objects.filter(source=f"service.request:{request.pk}")
    assert entries.count() == 4
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"service.request_created", "service.request_assigned"} <= actions
    assert {"service.request_noted", "service.request_status"} <= actions


def test_waiting_for_client_pauses_the_clock_and_resuming_moves_the_due_time(
    always_open_calendar,
) -> None:
    request = open_request()
    due_before = request.resolution_due
    request = services.request_change_status(request=request, to=Status.WAITING, by=None)
    assert request.sla_paused_since is not None
    # Pretend the client took two hours to answer.
    ServiceRequest.objects.filter(pk=request.pk).update(
        sla_paused_since=timezone.now() - dt.timedelta(hours=2)
    )
    request.refresh_from_db()
    request = services.request_change_status(request=request, to=Status.IN_PROGRESS, by=None)
    assert request.sla_paused_since is None
    assert request.sla_paused_minutes in (119, 120)
    assert request.resolution_due is not None and due_before is not None
    moved = request.resolution_due - due_before
    assert dt.timedelta(minutes=119) <= moved <= dt.timedelta(minutes=121)


# --- repeats ---------------------------------------------------------------------------------
def test_repeat_contact_within_the_window_is_linked_and_a_second_visit_counted() -> None:
    company, service = new_company(), new_service()
    first = open_request(company, service=service, channel=Channel.VISIT)
    second = open_request(company, service=service, channel=Channel.VISIT)
    assert second.repeat_of == first and second.is_repeat_visit
    other_service = open_request(company, service=new_service(), channel=Channel.VISIT)
    assert other_service.repeat_of is None


def test_old_contact_is_not_a_repeat() -> None:
    company, service = new_company(), new_service()
    open_request(company, service=service, created_at=timezone.now() - dt.timedelta(days=30))
    assert open_request(company, service=service).repeat_of is None


def test_same_topic_without_service_is_a_repeat() -> None:
    company = new_company()
    first = open_request(company, topic="счёт")
    assert open_request(company, topic="Счёт").repeat_of == first


def test_service_not_offered_by_phone_is_refused_with_the_reason() -> None:
    service = new_service(
        channels=[Channel.VISIT], in_person_required=True, in_person_reason="нужна подпись"
    )
    with pytest.raises(ValidationError) as exc:
        open_request(service=service, channel=Channel.PHONE)
    assert "нужна подпись" in str(exc.value)


def test_contact_of_another_company_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        open_request(new_company(), contact=new_contact())
    assert "contact" in exc.value.message_dict


def test_bodies_are_sanitised_on_the_staff_path(make_staff) -> None:
    request = open_request(body='<p onclick="x()">Hi<script>alert(1)</script></p>')
    body = request.messages.get().body_html
    assert "script" not in body and "onclick" not in body and "Hi" in body


# --- SLA job ---------------------------------------------------------------------------------
def test_sla_job_warns_breaches_escalates_once(make_staff, django_capture_on_commit_callbacks):
    supervisor = make_staff(Role.SUPERVISOR)
    service = new_service()
    service.unit.supervisor = supervisor
    service.unit.save()
    request = open_request(service=service)
    assert request.response_warn_at and request.resolution_due
    warn_at = request.response_warn_at + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.sla_check(now=warn_at)
        again = services.sla_check(now=warn_at)
    assert (first.warnings, again.warnings) == (1, 0)
    late = request.resolution_due + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        breached = services.sla_check(now=late)
        repeated = services.sla_check(now=late)
    assert breached.breaches == 2 and breached.escalations == 2
    assert repeated.breaches == 0 and repeated.escalations == 0
    request.refresh_from_db()
    assert request.first_response_breached and request.resolution_breached
    kinds = list(SlaEvent.objects.filter(request=request).values_list("kind", flat=True))
    assert kinds.count(SlaEvent.Kind.RESPONSE_BREACH) == 1
    assert Todo.objects.filter(assignee=supervisor, source=f"service.request:{request.pk}").exists()


def test_paused_request_is_not_breached(make_staff) -> None:
    request = open_request()
    services.request_change_status(request=request, to=Status.WAITING, by=None)
    assert request.resolution_due is not None
    result = services.sla_check(now=request.resolution_due + dt.timedelta(days=1))
    assert result.breaches == 0


def test_editing_a_calendar_exception_takes_effect_at_once() -> None:
    cal = WorkingCalendar.objects.get(is_default=True)
    friday = dt.datetime(2026, 2, 6, 17, tzinfo=MSK)
    assert add_business_minutes(sla.load_calendar(cal.pk), friday, 120) == dt.datetime(
        2026, 2, 9, 10, tzinfo=MSK
    )
    # The Government moves a working day to Saturday 7 February (hypothetically).
    cal.exceptions.create(date=dt.date(2026, 2, 7), kind="working_day", hours="10:00-14:00")
    assert add_business_minutes(sla.load_calendar(cal.pk), friday, 120) == dt.datetime(
        2026, 2, 7, 11, tzinfo=MSK
    )


def test_maildir_poller_ingests_new_messages_once(settings, tmp_path) -> None:
    from clientdesk.service.tasks import poll_maildir

    for folder in ("new", "cur", "tmp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "new" / "1.eml").write_bytes(
        b"From: a@b.ru\r\nSubject: Hello\r\nMessage-ID: <p1@b.ru>\r\n\r\nBody"
    )
    settings.SERVICE_MAILDIR = str(tmp_path)
    assert poll_maildir() == 1
    assert poll_maildir() == 0
    assert ServiceRequest.objects.get().subject == "Hello"
    assert list((tmp_path / "cur").iterdir())


def test_demo_loads_a_coherent_service_desk(make_staff) -> None:
    from clientdesk.service.demo import load_demo

    company = new_company()
    new_contact(company=company)
    load_demo(seed=3, requests=25)
    assert ServiceRequest.objects.count() == 25
    assert not ServiceRequest.objects.filter(number__isnull=True).exists()
    assert ServiceRequest.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED]).exists()


def test_triage_request_gets_its_client_and_reaches_the_timeline(make_staff) -> None:
    request = request_create(
        data=RequestInput(company=None, channel=Channel.EMAIL, subject="Кто я?", body="?"),
        by=None,
    )
    assert not Interaction.objects.filter(source=f"service.request:{request.pk}").exists()
    contact = new_contact()
    services.request_set_client(
        request=request, company=contact.company, contact=contact, by=make_staff(Role.CALL_OPERATOR)
    )
    request.refresh_from_db()
    assert request.company == contact.company and request.contact == contact
    assert Interaction.objects.filter(source=f"service.request:{request.pk}").exists()


def test_avoidable_and_first_contact_rates_are_reported(make_staff) -> None:
    from clientdesk.service.models import AvoidableReason
    from clientdesk.service.selectors import avoidable_report, period_rates

    reason = AvoidableReason.objects.get(code="unclear_invoice")
    company, service = new_company(), new_service()
    first = open_request(company, service=service)
    services.request_resolve(request=first, by=None, first_contact=True)
    second = open_request(company, service=service)
    services.request_classify(request=second, by=None, avoidable_reason=reason)
    today = timezone.localdate()
    rates = period_rates(today, today)
    assert (rates.total, rates.resolved, rates.first_contact, rates.repeats) == (2, 1, 1, 1)
    assert rates.fcr_pct == 100.0 and rates.avoidable_pct == 50.0
    [row] = avoidable_report(today, today)
    assert row["reason"] == reason and row["count"] == 1 and row["share"] == 100.0
