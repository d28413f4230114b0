"""The measured-service report on the real database: counts, waits, percentiles, FCR, repeat
visits, local hours and weekdays, the page, its exports and who may open it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.urls import reverse

from clientdesk.centers import reports
from clientdesk.centers.models import ServiceCenter, Ticket, TicketState
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.clients.models import Company
from clientdesk.core.roles import Role
from clientdesk.service.models import Service
from clientdesk.service.tests.factories import new_company, new_service

pytestmark = pytest.mark.django_db

_numbers = iter(range(1, 1_000_000))
UTC = dt.UTC


def new_ticket(
    center: ServiceCenter,
    service: Service,
    issued: dt.datetime,
    *,
    wait_s: float | None = 300,
    service_s: float | None = 600,
    state: str = TicketState.DONE,
    fcr: bool | None = True,
    company: Company | None = None,
    **kwargs: Any,
) -> Ticket:
    called = issued + dt.timedelta(seconds=wait_s) if wait_s is not None else None
    started = called if state == TicketState.DONE else None
    finished = (
        started + dt.timedelta(seconds=service_s)
        if started is not None and service_s is not None
        else None
    )
    return Ticket.objects.create(
        center=center,
        day=center.local_day(issued),
        letter="A",
        number=next(_numbers),
        service=service,
        state=state,
        queue_at=issued,
        issued_at=issued,
        called_at=called,
        started_at=started,
        finished_at=finished,
        first_contact_resolved=fcr if state == TicketState.DONE else None,
        company=company,
        **kwargs,
    )


def _filters(center: ServiceCenter, by: str, **kwargs: Any) -> reports.Filters:
    return reports.Filters(
        centers=[center],
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        breakdown=by,
        **kwargs,
    )


def test_histogram_percentiles_are_within_a_bin_of_numpy() -> None:
    rng = np.random.default_rng(7)
    seconds = rng.exponential(600, size=5000)
    hist = np.zeros((1, reports.BINS), dtype=np.int64)
    sums = np.zeros(1)
    for part in np.array_split(seconds, 7):  # streamed in chunks, as from the database
        reports.histogram_add(hist, sums, np.zeros(len(part), dtype=np.int64), part)
    stats = reports.stats_from_histogram(hist[0], float(sums[0]))
    assert stats.count == 5000
    assert stats.mean == pytest.approx(seconds.mean())
    for value, q in ((stats.p50, 50), (stats.p90, 90), (stats.p95, 95)):
        assert value == pytest.approx(np.percentile(seconds, q), abs=reports.BIN_SECONDS)


def test_report_by_service_counts_waits_shares_and_repeat_visits() -> None:
    center = new_center(timezone="Europe/Moscow")
    passport, tax = new_service(), new_service()
    new_group(center, "A", passport)
    new_group(center, "B", tax)
    client, other = new_company(), new_company()
    at = dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    waits = [60, 120, 180, 240, 300, 360, 420, 480, 540, 1200]
    for i, wait in enumerate(waits):
        new_ticket(center, passport, at + dt.timedelta(minutes=i), wait_s=wait, fcr=i % 2 == 0)
    # The same company for the same service within 30 days: the second visit is a repeat.
    new_ticket(center, tax, at, company=client)
    new_ticket(center, tax, at + dt.timedelta(days=10), company=client)
    new_ticket(center, tax, at + dt.timedelta(days=20), company=other)
    new_ticket(center, tax, at, state=TicketState.NO_SHOW, fcr=None)
    new_ticket(center, tax, at, state=TicketState.ABANDONED, wait_s=None, fcr=None)
    # Outside the period and at another center: not counted.
    new_ticket(center, tax, at - dt.timedelta(days=40))
    new_ticket(new_center(), tax, at)

    report = reports.measured_service(_filters(center, "service"))
    rows = {r.key: r for r in report.rows}
    p = rows[passport.pk]
    assert (p.tickets, p.served, p.label) == (10, 10, passport.name)
    assert p.wait.mean == pytest.approx(sum(waits) / 10)
    assert p.wait.p50 == pytest.approx(np.percentile(waits, 50), abs=reports.BIN_SECONDS + 30)
    assert p.service.mean == pytest.approx(600)
    assert p.fcr_share == 0.5
    t = rows[tax.pk]
    assert (t.tickets, t.served, t.no_show, t.abandoned) == (5, 3, 1, 1)
    assert t.no_show_share == t.abandon_share == pytest.approx(0.2)
    assert (t.repeats, t.known_client) == (1, 3)
    assert report.total.tickets == 15 and report.total.repeats == 1
    # A shorter window makes the 10-day-later visit a first one.
    short = reports.measured_service(_filters(center, "service", repeat_days=7))
    assert {r.key: r.repeats for r in short.rows}[tax.pk] == 0


def test_hours_and_weekdays_are_the_centers_local_time_across_zones() -> None:
    ekb = new_center(timezone="Asia/Yekaterinburg")
    msk = new_center(timezone="Europe/Moscow")
    service = new_service()
    # 04:30 UTC is 09:30 in Yekaterinburg (+5) and 07:30 in Moscow (+3); Monday 2 March 2026.
    at = dt.datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    new_ticket(ekb, service, at, wait_s=100)
    new_ticket(msk, service, at + dt.timedelta(hours=2), wait_s=300)  # 09:30 Moscow
    new_ticket(msk, service, at, wait_s=50)
    filters = reports.Filters(
        centers=[ekb, msk], start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), breakdown="hour"
    )
    rows = {r.key: r for r in reports.measured_service(filters).rows}
    assert set(rows) == {7, 9}
    assert rows[9].tickets == 2 and rows[9].wait.mean == pytest.approx(200)
    assert rows[9].label == "09:00"
    heat = reports.heat_map(filters)
    assert heat.cell(1, 9) is not None and heat.cell(1, 9).tickets == 2  # type: ignore[union-attr]
    assert heat.top_volume == 2 and heat.hours == [7, 8, 9]
    assert at.astimezone(ZoneInfo("Asia/Yekaterinburg")).hour == 9


def test_report_by_desk_and_operator(make_staff) -> None:
    center = new_center()
    service = new_service()
    desk = new_desk(center, "7")
    operator = make_staff(Role.CENTER_OPERATOR, first_name="Анна", last_name="Петрова")
    at = dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    new_ticket(center, service, at, desk=desk, operator=operator)
    new_ticket(center, service, at, state=TicketState.WAITING, wait_s=None, fcr=None)
    by_desk = reports.measured_service(_filters(center, "desk")).rows
    assert {r.label for r in by_desk} == {f"{center.name} · Desk 7", "(none)"}
    by_operator = reports.measured_service(_filters(center, "operator")).rows
    assert "Анна Петрова" in {r.label for r in by_operator}


def _page_data() -> ServiceCenter:
    center = new_center(code="tver", timezone="Europe/Moscow")
    service = new_service(name="=HYPERLINK(1)")
    at = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=2)
    for i in range(6):
        new_ticket(center, service, at + dt.timedelta(hours=i), wait_s=60 * (i + 1))
    return center


def test_page_for_supervisors_with_bounded_queries(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    center = _page_data()
    client = login_as(make_staff(Role.SUPERVISOR))
    url = reverse("centers:report")
    with django_assert_max_num_queries(14):
        page = client.get(url, {"center": center.code, "by": "hour"})
    body = page.content.decode()
    assert page.status_code == 200 and "Measured service" in body and 'class="heat"' in body
    assert "background:hsl(" in body
    for by in reports.BREAKDOWNS:
        assert client.get(url, {"by": by, "heat": "volume"}).status_code == 200


def test_bad_input_is_named_and_the_page_still_answers(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.SUPERVISOR))
    page = client.get(
        reverse("centers:report"), {"from": "yesterday", "by": "moon", "repeat_days": "0"}
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "as YYYY-MM-DD" in body and "Unknown breakdown" in body and "from 1 to 365" in body


def test_exports_csv_and_xlsx_keep_formulas_as_text(make_staff, login_as) -> None:
    from openpyxl import load_workbook

    center = _page_data()
    client = login_as(make_staff(Role.SUPERVISOR))
    url = reverse("centers:report")
    csv_page = client.get(url, {"center": center.code, "by": "service", "format": "csv"})
    text = csv_page.content.decode("utf-8-sig")
    assert csv_page["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK(1);6;6;" in text
    xlsx = client.get(url, {"center": center.code, "by": "service", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert sheet["A2"].data_type == "s"  # stored as text: a spreadsheet shows it, never runs it
    assert values[1][0] == "=HYPERLINK(1)" and values[1][1] == 6
    assert values[1][5] == pytest.approx(3.5)  # mean wait, minutes


def test_operators_and_portal_users_may_not_open_it(make_staff, make_portal_user, login_as) -> None:
    url = reverse("centers:report")
    assert login_as(make_staff(Role.CENTER_OPERATOR)).get(url).status_code == 403
    assert login_as(make_staff(Role.ANALYST)).get(url).status_code == 403
    assert login_as(make_portal_user()).get(url).status_code == 403
