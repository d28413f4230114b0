"""History, the plan (needed against scheduled) and the staffing page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from clientdesk.centers.models import ServiceCenter, TicketState
from clientdesk.centers.tests.factories import new_center, new_group
from clientdesk.clients.models import Channel
from clientdesk.core.roles import Role
from clientdesk.service.models import CallLog, ServiceRequest
from clientdesk.service.tests.factories import new_company, new_service
from clientdesk.staffing import selectors
from clientdesk.staffing.models import Shift
from clientdesk.staffing.tests.factories import new_ticket
from clientdesk.staffing.views import parse_arrivals

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
DAY = dt.date(2026, 3, 16)  # a Monday; history: the Mondays 9, 2 March, 23 and 16 February


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=MSK)


def _center_with_history() -> ServiceCenter:
    center = new_center(code="tver", timezone="Europe/Moscow")
    service = new_service()
    new_group(center, "A", service, handling_minutes=15)
    for back in (1, 2):
        day = DAY - dt.timedelta(weeks=back)
        for minute in range(0, 60, 6):  # 10 an hour at 10:00-11:00
            new_ticket(center, service, _at(day, 10, minute), wait_s=120, service_s=900)
        new_ticket(center, service, _at(day, 10, 1), wait_s=None, state=TicketState.ABANDONED)
    # Another weekday and another center: not history of this Monday.
    new_ticket(center, service, _at(DAY - dt.timedelta(days=1), 10))
    new_ticket(new_center(), service, _at(DAY - dt.timedelta(weeks=1), 10))
    return center


def test_center_history_means_over_days_with_data_and_estimates_patience() -> None:
    center = _center_with_history()
    team = next(t for t in selectors.teams() if t.key == center.code)
    history = selectors.history(team, DAY, interval_minutes=60)
    assert history.days == [DAY - dt.timedelta(weeks=2), DAY - dt.timedelta(weeks=1)]
    assert history.arrivals[10] == 11.0 and sum(history.arrivals) == 11.0
    assert history.aht_seconds[10] == 900 and history.aht_seconds[9] is None
    # Waited: 20 served x 120 s + 2 abandoned x 600 s = 3600 s over 2 abandonments.
    assert history.patience_seconds == 1800
    assert history.abandon_share == pytest.approx(2 / 22)


def test_call_center_reads_calls_else_requests_by_phone() -> None:
    call = next(t for t in selectors.teams() if t.is_call_center)
    company = new_company()
    for minute in range(0, 60, 10):
        ServiceRequest.objects.create(
            company=company,
            channel=Channel.PHONE,
            subject="Звонок",
            created_at=_at(DAY - dt.timedelta(weeks=1), 9, minute),
        )
    history = selectors.history(call, DAY, interval_minutes=30)
    assert history.arrivals[18] == 3 and history.arrivals[19] == 3
    assert history.aht_seconds[18] is None
    for minute, outcome in ((0, CallLog.Outcome.RESOLVED), (5, CallLog.Outcome.MISSED)):
        CallLog.objects.create(
            phone="+74951234567",
            started_at=_at(DAY - dt.timedelta(weeks=2), 11, minute),
            duration_seconds=240,
            outcome=outcome,
        )
    history = selectors.history(call, DAY, interval_minutes=30)
    assert history.arrivals[22] == 2 and sum(history.arrivals) == 2
    assert history.aht_seconds[22] == 240 and history.abandon_share == 0.5


def test_plan_flags_shortfall_and_rates_the_roster() -> None:
    arrivals = [0.0] * 48
    arrivals[20] = arrivals[21] = 40  # 10:00-11:00, 40 calls per half hour
    scheduled = [0.0] * 48
    scheduled[20] = 2
    scheduled[21] = 10
    scheduled[22] = 1
    plan = selectors.staffing_plan(
        arrivals,
        [180.0] * 48,
        scheduled,
        interval_minutes=30,
        target_level=0.8,
        target_seconds=20,
        patience_seconds=None,
        max_abandon=0.05,
    )
    assert [r.label for r in plan.rows] == ["10:00", "10:30", "11:00"]
    first, second, third = plan.rows
    assert first.needed == second.needed == 7 and first.model == "C"  # 4 Erlangs, 80/20 s
    assert first.short and not second.short and not third.short
    assert first.scheduled_level == 0.0 and second.scheduled_level and second.scheduled_level > 0.8
    assert plan.short_intervals == 1 and plan.needed_hours == 7.0


def test_arrivals_entered_are_parsed_with_clear_errors() -> None:
    assert parse_arrivals("09:00 12, 09:30=15\n10:00 7,5", interval_minutes=30) == {
        18: 12.0,
        19: 15.0,
        20: 7.5,
    }
    with pytest.raises(Exception, match="not the start of a 60-minute interval"):
        parse_arrivals("09:30 4", interval_minutes=60)
    with pytest.raises(Exception, match="is not"):
        parse_arrivals("morning lots", interval_minutes=30)


def test_page_shows_needed_against_scheduled_with_erlang_a(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    center = _center_with_history()
    # 11 visitors an hour at 15 minutes, 90 % within 10 minutes: 5 desks (Erlang A).
    for _n in range(5):
        Shift.objects.create(center=center, starts_at=_at(DAY, 9), ends_at=_at(DAY, 12))
    client = login_as(make_staff(Role.SUPERVISOR))
    with django_assert_max_num_queries(12):
        page = client.get(
            reverse("staffing:plan"), {"team": center.code, "day": DAY.isoformat(), "interval": 60}
        )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Erlang A" in body and "1800 s" in body
    assert "10:00" in body and 'class="short"' not in body
    # 40 visitors an hour at 15 minutes is 10 Erlangs: five desks are short.
    page = client.get(
        reverse("staffing:plan"),
        {"team": center.code, "day": DAY.isoformat(), "interval": 60, "arrivals": "10:00 40"},
    )
    assert 'class="short"' in page.content.decode()


def test_call_center_page_uses_erlang_c_without_a_patience(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.SUPERVISOR))
    page = client.get(reverse("staffing:plan"), {"team": "call", "arrivals": "09:00 100"})
    body = page.content.decode()
    assert "Erlang C" in body and "09:00" in body
    page = client.get(
        reverse("staffing:plan"), {"team": "call", "arrivals": "09:00 100", "patience": "120"}
    )
    assert "Erlang A" in page.content.decode()


def test_bad_input_is_named(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.SUPERVISOR))
    page = client.get(
        reverse("staffing:plan"),
        {"team": "call", "day": "someday", "level": "120", "arrivals": "nine 4"},
        follow=True,
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "YYYY-MM-DD" in body and "Target service level" in body and "is not" in body


def test_supervisor_adds_weekly_shifts_from_the_page(make_staff, login_as) -> None:
    center = new_center(code="ekb", timezone="Asia/Yekaterinburg")
    client = login_as(make_staff(Role.SUPERVISOR))
    response = client.post(
        reverse("staffing:shift_add"),
        {
            "team": center.code,
            "day": "2026-03-02",
            "start": "09:00",
            "end": "13:00",
            "count": "2",
            "until": "2026-03-16",
        },
    )
    assert response.status_code == 302
    shifts = Shift.objects.filter(center=center)
    assert shifts.count() == 6
    first = shifts.order_by("starts_at").first()
    assert first is not None and first.starts_at == dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC)
    bad = client.post(
        reverse("staffing:shift_add"),
        {"team": center.code, "day": "2026-03-02", "start": "13:00", "end": "13:00"},
        follow=True,
    )
    assert "must end after it starts" in bad.content.decode()
    assert Shift.objects.filter(center=center).count() == 6


def test_operators_may_not_plan_and_the_old_address_redirects(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.CENTER_OPERATOR))
    assert client.get(reverse("staffing:plan")).status_code == 403
    assert client.post(reverse("staffing:shift_add"), {}).status_code == 403
    client = login_as(make_staff(Role.SUPERVISOR))
    old = client.get(reverse("centers:staffing"), {"center": "tver", "day": "2026-03-16"})
    assert old.status_code == 302
    assert old["Location"] == reverse("staffing:plan") + "?team=tver&day=2026-03-16"
