from __future__ import annotations

import pytest
from django.urls import reverse

from clientdesk.centers.demo import load_demo as centers_demo
from clientdesk.centers.models import ServiceCenter, Ticket, TicketCounter, TicketState
from clientdesk.core.roles import Role
from clientdesk.service.models import CallLog
from clientdesk.service.tests.factories import new_service
from clientdesk.staffing.demo import load_demo
from clientdesk.staffing.models import Shift

pytestmark = pytest.mark.django_db


def test_demo_gives_weeks_of_history_rosters_and_runs_twice(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    for _ in range(3):
        new_service()
    centers_demo(seed=1)
    load_demo(seed=1)
    counts = (Ticket.objects.count(), Shift.objects.count(), CallLog.objects.count())
    load_demo(seed=1)
    assert (Ticket.objects.count(), Shift.objects.count(), CallLog.objects.count()) == counts
    assert counts[0] > 2000 and counts[1] > 100 and counts[2] > 5000
    assert Ticket.objects.filter(state=TicketState.ABANDONED).count() > 20
    assert Shift.objects.filter(center__isnull=True).exists()
    # Numbers stay gapless per center, day and letter, and counters agree.
    for counter in TicketCounter.objects.all()[:50]:
        numbers = sorted(
            Ticket.objects.filter(
                center_id=counter.center_id, day=counter.day, letter=counter.letter
            ).values_list("number", flat=True)
        )
        assert numbers == list(range(1, counter.last_number + 1))
    center = ServiceCenter.objects.get(code="msk-tverskaya")
    client = login_as(make_staff(Role.SUPERVISOR))
    page = client.get(reverse("staffing:plan"), {"team": center.code})
    assert "Erlang A" in page.content.decode()
    with django_assert_max_num_queries(16):
        report = client.get(reverse("centers:report"), {"by": "operator"})
    assert report.status_code == 200
