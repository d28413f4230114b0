"""What surveys plugs into segments (rule fields, churn-risk input) and into the request page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clientdesk.clients.models import Channel
from clientdesk.core.roles import Role
from clientdesk.segments import rules, services
from clientdesk.segments.models import CompanySegment
from clientdesk.segments.tests.factories import monthly
from clientdesk.service.services import RequestInput, request_create
from clientdesk.service.tests.factories import new_company
from clientdesk.surveys.hooks import satisfaction_input
from clientdesk.surveys.models import Answer, QuestionKind, Response, Survey
from clientdesk.surveys.tests.factories import make_survey

pytestmark = pytest.mark.django_db

JAN = dt.datetime(2025, 1, 15, 10, tzinfo=dt.UTC)
MAR = dt.datetime(2025, 3, 15, 10, tzinfo=dt.UTC)


def answer(
    survey: Survey,
    company,
    at: dt.datetime,
    *,
    nps: int | None = None,
    csat: int | None = None,
) -> Response:
    response = Response.objects.create(
        survey=survey, company=company, channel=Response.Channel.LINK, submitted_at=at
    )
    questions = {q.kind: q for q in survey.questions.all()}
    for kind, value in ((QuestionKind.NPS, nps), (QuestionKind.CSAT, csat)):
        if value is not None:
            Answer.objects.create(response=response, question=questions[kind], value=value)
    return response


def matching(*conditions: dict) -> set[int]:
    ruleset = rules.validate({"match": "all", "conditions": list(conditions)})
    return set(rules.evaluate(ruleset, run_id=None).values_list("pk", flat=True))


def test_nps_group_rule_matches_the_company_whose_latest_answer_is_a_detractor() -> None:
    survey = make_survey()
    unhappy, happy, silent = new_company(), new_company(), new_company()
    answer(survey, unhappy, MAR, nps=3)
    answer(survey, happy, MAR, nps=10)
    assert matching({"field": "nps_group", "op": "eq", "value": "detractor"}) == {unhappy.pk}
    assert matching({"field": "nps_group", "op": "in", "value": ["promoter", "passive"]}) == {
        happy.pk
    }
    # As with segment fields, a company that never answered matches no condition.
    assert matching({"field": "nps_group", "op": "ne", "value": "detractor"}) == {happy.pk}
    assert silent.pk not in matching({"field": "nps_group", "op": "not_in", "value": ["passive"]})


def test_a_later_answer_replaces_the_earlier_one_in_rules() -> None:
    survey = make_survey()
    company = new_company()
    answer(survey, company, JAN, nps=2, csat=1)
    answer(survey, company, MAR, nps=9, csat=4)
    assert matching({"field": "nps_group", "op": "eq", "value": "detractor"}) == set()
    assert matching({"field": "nps_score", "op": "gte", "value": "9"}) == {company.pk}
    assert matching({"field": "csat", "op": "lt", "value": "3"}) == set()
    assert matching({"field": "csat", "op": "eq", "value": "4"}) == {company.pk}


def test_nps_group_rejects_an_unknown_group_with_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="not a valid choice"):
        rules.validate(
            {"match": "all", "conditions": [{"field": "nps_group", "op": "eq", "value": "angry"}]}
        )


def test_builder_lists_the_satisfaction_fields(make_staff, make_portal_user, login_as) -> None:
    page = login_as(make_staff(Role.MARKETER)).get(reverse("segments:rule_new"))
    assert page.status_code == 200
    assert b'value="nps_group"' in page.content and b'value="csat"' in page.content
    row = login_as(make_staff(Role.ANALYST)).get(
        reverse("segments:rule_condition"), {"field": "nps_group"}
    )
    assert b"detractor" in row.content
    operator = login_as(make_staff(Role.CALL_OPERATOR))
    assert operator.get(reverse("segments:rule_new")).status_code == 403
    assert login_as(make_portal_user()).get(reverse("segments:rule_new")).status_code == 403


def test_satisfaction_input_is_the_latest_score_by_period_end_on_a_0_to_1_scale() -> None:
    survey = make_survey()
    nps_only, csat_only, changed = new_company(), new_company(), new_company()
    answer(survey, nps_only, JAN, nps=3)
    answer(survey, csat_only, JAN, csat=5)
    answer(survey, changed, JAN, nps=10, csat=5)
    answer(survey, changed, MAR, nps=0)  # after the period end below: not seen yet
    frame = satisfaction_input(dt.date(2025, 2, 28))
    got = dict(zip(frame["company_id"], frame["satisfaction"], strict=True))
    assert got == {nps_only.pk: pytest.approx(0.3), csat_only.pk: 1.0, changed.pk: 1.0}
    later = satisfaction_input(dt.date(2025, 3, 31))
    assert dict(zip(later["company_id"], later["satisfaction"], strict=True))[changed.pk] == 0.0


def test_recompute_raises_churn_risk_for_a_detractor_and_says_why() -> None:
    survey = make_survey()
    unhappy, happy = new_company(), new_company()
    for company in (unhappy, happy):
        monthly(company, 2025, range(1, 13), 10_000)
    answer(survey, unhappy, dt.datetime(2025, 11, 1, tzinfo=dt.UTC), nps=1)
    answer(survey, happy, dt.datetime(2025, 11, 1, tzinfo=dt.UTC), nps=10)
    run = services.recompute_segments(period_end=dt.date(2025, 12, 31))
    rows = {s.company_id: s for s in CompanySegment.objects.filter(run=run)}
    assert rows[unhappy.pk].churn_risk > rows[happy.pk].churn_risk
    assert "satisfaction" in [r["code"] for r in rows[unhappy.pk].risk_reasons]
    assert "satisfaction" not in [r["code"] for r in rows[happy.pk].risk_reasons]


def _request_for(company):
    return request_create(
        data=RequestInput(company=company, channel=Channel.PHONE, subject="Вопрос", body="текст"),
        by=None,
    )


def test_request_page_shows_the_latest_satisfaction_and_links_it_for_survey_managers(
    make_staff, login_as
) -> None:
    survey = make_survey()
    company = new_company()
    response = answer(survey, company, MAR, nps=4, csat=2)
    request = _request_for(company)
    url = reverse("service:request_detail", args=[request.pk])
    page = login_as(make_staff(Role.SUPERVISOR)).get(url).content.decode()
    assert "NPS 4, Detractor" in page and "CSAT 2 of 5" in page
    link = reverse("surveys:responses", args=[survey.pk]) + f"?ids={response.pk}"
    assert link in page
    # An operator sees the score but gets no link to a page they may not open.
    operator_page = login_as(make_staff(Role.CALL_OPERATOR)).get(url).content.decode()
    assert "NPS 4, Detractor" in operator_page and link not in operator_page


def test_request_page_says_when_the_client_never_answered(make_staff, login_as) -> None:
    request = _request_for(new_company())
    page = login_as(make_staff(Role.CALL_OPERATOR)).get(
        reverse("service:request_detail", args=[request.pk])
    )
    assert "no survey yet" in page.content.decode()


def test_portal_home_links_to_the_users_surveys(make_portal_user, login_as) -> None:
    client = login_as(make_portal_user(new_company()))
    page = client.get(reverse("portal:home"))
    assert page.status_code == 200
    assert reverse("surveys:portal_list") in page.content.decode()
    assert client.get(reverse("surveys:portal_list")).status_code == 200
