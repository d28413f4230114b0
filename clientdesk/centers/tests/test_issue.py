"""Issuing tickets: gapless numbers per center, day and letter, also under concurrency."""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection

from clientdesk.centers import services
from clientdesk.centers.models import Ticket
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.core.models import AuditEvent
from clientdesk.service.tests.factories import new_service

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")


def test_numbers_count_per_letter_and_restart_each_day() -> None:
    center = new_center()
    a = new_group(center, "A")
    b = new_group(center, "B")
    day1 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
    codes = [
        services.ticket_issue(center=center, service=a.service, at=day1).code,
        services.ticket_issue(center=center, service=a.service, at=day1).code,
        services.ticket_issue(center=center, service=b.service, at=day1).code,
        services.ticket_issue(
            center=center, service=a.service, at=day1 + dt.timedelta(days=1)
        ).code,
    ]
    assert codes == ["A-001", "A-002", "B-001", "A-001"]
    assert AuditEvent.objects.filter(action="centers.ticket_issued").count() == 4


def test_day_is_the_center_local_date() -> None:
    center = new_center(timezone="Asia/Vladivostok")
    group = new_group(center)
    # 20:00 UTC is already the next morning in Vladivostok.
    ticket = services.ticket_issue(
        center=center, service=group.service, at=dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)
    )
    assert ticket.day == dt.date(2026, 3, 3)


def test_rejected_issue_leaves_no_gap() -> None:
    center = new_center()
    group = new_group(center)
    services.ticket_issue(center=center, service=group.service)
    with pytest.raises(ValidationError, match="not provided"):
        services.ticket_issue(center=center, service=new_service())
    assert services.ticket_issue(center=center, service=group.service).code == "A-002"


def test_service_not_offered_in_person_is_refused() -> None:
    center = new_center()
    group = new_group(center, service=new_service(channels=["phone"]))
    with pytest.raises(ValidationError, match="in person"):
        services.ticket_issue(center=center, service=group.service)


def test_closed_center_says_when_it_opens() -> None:
    center = new_center(week={"mon": ["09:00-18:00"]})
    group = new_group(center)
    sunday = dt.datetime(2026, 3, 1, 12, 0, tzinfo=MSK)
    with pytest.raises(ValidationError, match=r"It opens at 02\.03 09:00"):
        services.ticket_issue(center=center, service=group.service, at=sunday)
    monday = dt.datetime(2026, 3, 2, 12, 0, tzinfo=MSK)
    assert services.ticket_issue(center=center, service=group.service, at=monday).number == 1


def test_estimated_wait_counts_people_ahead_over_open_desks(make_staff) -> None:
    center = new_center()
    group = new_group(center, handling_minutes=10)
    tickets = [services.ticket_issue(center=center, service=group.service) for _ in range(5)]
    assert services.estimate_wait(tickets[4]).minutes is None  # no desk open yet
    for n in ("1", "2"):
        services.session_open(desk=new_desk(center, n), operator=make_staff("center_operator"))
    new_desk(center, "3")  # not staffed: does not count
    new_desk(center, "4", services=(new_service(),))  # serves something else
    estimate = services.estimate_wait(tickets[4])
    assert estimate.ahead == 4
    assert estimate.minutes == 20


THREADS = 10
PER_THREAD = 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_kiosks_get_unique_gapless_numbers() -> None:
    center = new_center()
    group = new_group(center)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def issue_retrying() -> None:
        # The test database is SQLite in shared-cache memory, where a busy writer makes others
        # fail at once ("table is locked") instead of waiting as on a file. Retrying the whole
        # transaction is what a kiosk would do; it also proves a failed try leaves no gap.
        while True:
            try:
                services.ticket_issue(center=center, service=group.service)
                return
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                time.sleep(0.001)

    def kiosk() -> None:
        try:
            start.wait()
            for _ in range(PER_THREAD):
                issue_retrying()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=kiosk) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Ticket.objects.filter(center=center).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS * PER_THREAD + 1))
