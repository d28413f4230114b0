from __future__ import annotations

import pytest

from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory
from clientdesk.core.roles import Role
from clientdesk.surveys import analysis
from clientdesk.surveys.demo import SERIES, load_demo
from clientdesk.surveys.models import FollowUp, Survey

pytestmark = pytest.mark.django_db


def test_demo_has_two_waves_a_trend_follow_ups_and_recommendations(make_staff) -> None:
    manager = make_staff(Role.ACCOUNT_MANAGER)
    for i in range(120):
        company = CompanyFactory(account_manager=manager)
        ContactFactory(company=company, decision_role="decision_maker" if i % 2 else "user")
    load_demo(seed=1)
    load_demo(seed=1)  # idempotent
    first, second = Survey.objects.filter(series=SERIES).order_by("wave")
    assert first.responses.count() > 15 and second.responses.count() > 15
    assert 0 < FollowUp.objects.filter(survey=second).count() <= 8
    report = analysis.analyse(second)
    assert [w.wave for w in report.waves] == [1, 2]
    assert report.ipa_points and report.gaps and report.drivers
    assert report.recommendations
    assert report.waves[1].nps is not None and report.waves[0].nps is not None
    assert report.waves[1].nps.nps < report.waves[0].nps.nps
