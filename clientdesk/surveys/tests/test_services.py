from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone, translation

from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory
from clientdesk.core.roles import Role
from clientdesk.surveys import analysis, services
from clientdesk.surveys.imports import import_responses
from clientdesk.surveys.models import (
    Answer,
    FollowUp,
    Invitation,
    Question,
    Response,
    SurveyStatus,
)
from clientdesk.surveys.selectors import latest_satisfaction

from .factories import Posted, consenting_contact, make_survey

pytestmark = pytest.mark.django_db


def _invite_one(survey, contact) -> tuple[Invitation, str]:
    services.invite(survey=survey, data=services.AudienceInput(channel="email"), by=None)
    inv = Invitation.objects.get(survey=survey, contact=contact)
    assert inv.token
    return inv, inv.token


def _answer_all(survey, token: str, nps: str = "9", csat: str = "5") -> Response:
    inv = services.invitation_for_token(token)
    response = services.response_for(invitation=inv, token=token, channel="link")
    posted = Posted.of(q_Q1=nps, q_Q2="2") if int(nps) <= 6 else Posted.of(q_Q1=nps)
    assert not services.page_save(
        response=response, page=1, data=posted, action="next", invitation=inv
    ).errors
    result = services.page_save(
        response=response,
        page=2,
        data=Posted.of(q_Q3=csat, q_Q4="Долгие ответы"),
        action="submit",
        invitation=inv,
    )
    assert result.submitted, result.errors
    response.refresh_from_db()
    return response


def test_invite_reaches_only_consenting_contacts_once_with_unguessable_tokens(
    django_capture_on_commit_callbacks,
) -> None:
    survey = make_survey()
    yes = [consenting_contact(channel="email") for _ in range(3)]
    ContactFactory()  # no consent
    erased = consenting_contact()
    erased.erased_at = timezone.now()
    erased.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invite(survey=survey, data=services.AudienceInput(), by=None) == 3
    assert services.invite(survey=survey, data=services.AudienceInput(), by=None) == 0
    tokens = [str(t) for t in Invitation.objects.values_list("token", flat=True)]
    assert len(set(tokens)) == 3 and all(len(t) >= 43 for t in tokens)
    assert {i.contact_id for i in Invitation.objects.all()} == {c.pk for c in yes}
    assert len(mail.outbox) == 3
    assert sum(t in m.body for t in tokens for m in mail.outbox) == 3  # each its own link


def test_invite_by_role_filters_decision_makers() -> None:
    survey = make_survey()
    boss = consenting_contact(decision_role="decision_maker")
    consenting_contact(decision_role="accountant")
    n = services.invite(
        survey=survey, data=services.AudienceInput(roles=["decision_maker"]), by=None
    )
    assert n == 1
    assert Invitation.objects.get().contact == boss


def test_link_rejects_unknown_expired_and_answered_tokens() -> None:
    survey = make_survey()
    contact = consenting_contact()
    _inv, token = _invite_one(survey, contact)
    with pytest.raises(services.LinkError):
        services.invitation_for_token("x" * 43)
    _answer_all(survey, token)
    with pytest.raises(services.LinkError, match="already"):
        services.invitation_for_token(token)
    other = consenting_contact()
    services.invite(survey=survey, data=services.AudienceInput(), by=None)
    late = Invitation.objects.get(contact=other)
    Invitation.objects.filter(pk=late.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    with pytest.raises(services.LinkError, match="expired"):
        services.invitation_for_token(str(late.token))


def test_one_response_per_token_even_when_the_link_is_opened_twice() -> None:
    survey = make_survey()
    inv, token = _invite_one(survey, consenting_contact())
    first = services.response_for(invitation=inv, token=token, channel="link")
    again = services.response_for(invitation=inv, token=token, channel="link")
    assert first.pk == again.pk
    assert Response.objects.count() == 1


def test_partial_save_keeps_answers_and_required_is_enforced_only_on_next() -> None:
    survey = make_survey()
    inv, token = _invite_one(survey, consenting_contact())
    response = services.response_for(invitation=inv, token=token, channel="link")
    saved = services.page_save(response=response, page=1, data=Posted(), action="save")
    assert saved.errors == {}
    moved = services.page_save(response=response, page=1, data=Posted(), action="next")
    assert moved.errors == {"q_Q1": "Please answer this question."}
    assert moved.page == 1
    services.page_save(response=response, page=1, data=Posted.of(q_Q1="8"), action="save")
    assert Answer.objects.get(response=response).value == 8


def test_out_of_range_answer_gets_a_clear_message_and_nothing_is_lost() -> None:
    survey = make_survey()
    inv, token = _invite_one(survey, consenting_contact())
    response = services.response_for(invitation=inv, token=token, channel="link")
    services.page_save(response=response, page=2, data=Posted.of(q_Q4="текст"), action="save")
    result = services.page_save(
        response=response, page=2, data=Posted.of(q_Q3="9", q_Q4="текст"), action="next"
    )
    assert result.errors == {"q_Q3": "Choose a whole number from 1 to 5."}
    assert Answer.objects.get(response=response).text == "текст"


def test_skip_logic_hides_the_reason_from_promoters_and_drops_a_stale_answer() -> None:
    survey = make_survey()
    inv, token = _invite_one(survey, consenting_contact())
    response = services.response_for(invitation=inv, token=token, channel="link")
    services.page_save(response=response, page=1, data=Posted.of(q_Q1="3", q_Q2="1"), action="save")
    assert Answer.objects.filter(response=response).count() == 2
    # The respondent goes back and becomes a promoter: the reason no longer applies.
    services.page_save(
        response=response, page=1, data=Posted.of(q_Q1="10", q_Q2="1"), action="save"
    )
    assert list(Answer.objects.filter(response=response).values_list("value", flat=True)) == [10]


def test_submit_without_required_answer_on_an_earlier_page_is_refused() -> None:
    survey = make_survey()
    inv, token = _invite_one(survey, consenting_contact())
    response = services.response_for(invitation=inv, token=token, channel="link")
    result = services.page_save(
        response=response, page=2, data=Posted.of(q_Q3="4"), action="submit", invitation=inv
    )
    assert not result.submitted
    assert result.page == 1 and "Q1" in result.errors["__all__"]


def test_anonymous_response_keeps_segment_data_but_not_the_person() -> None:
    survey = make_survey(anonymous=True)
    contact = consenting_contact(decision_role="technical")
    inv, token = _invite_one(survey, contact)
    response = _answer_all(survey, token, nps="3")
    assert response.contact_id is None and response.company_id is None
    assert response.role == "technical"
    inv.refresh_from_db()
    assert inv.token is None and inv.responded_at is not None
    assert not FollowUp.objects.exists()  # nobody to call back


def test_detractor_opens_one_follow_up_request_for_the_account_manager(make_staff) -> None:
    manager = make_staff(Role.ACCOUNT_MANAGER)
    company = CompanyFactory(account_manager=manager)
    survey = make_survey()
    _inv, token = _invite_one(survey, consenting_contact(company=company))
    response = _answer_all(survey, token, nps="2")
    follow_up = FollowUp.objects.get()
    assert follow_up.response == response and follow_up.reason == "detractor"
    assert follow_up.request is not None
    assert follow_up.request.assignee == manager
    assert follow_up.request.resolution_due is not None
    assert follow_up.due_at > timezone.now()
    assert services.follow_up_for(response=response) is None
    assert FollowUp.objects.count() == 1


def test_low_csat_opens_a_follow_up_and_a_promoter_does_not() -> None:
    survey = make_survey()
    c1, c2 = consenting_contact(), consenting_contact()
    services.invite(survey=survey, data=services.AudienceInput(), by=None)
    _answer_all(survey, str(Invitation.objects.get(contact=c1).token), nps="9", csat="1")
    _answer_all(survey, str(Invitation.objects.get(contact=c2).token), nps="10", csat="5")
    assert list(FollowUp.objects.values_list("reason", flat=True)) == ["low_csat"]


def test_transactional_survey_after_request_invites_once(make_staff) -> None:
    from clientdesk.service.services import RequestInput, request_create

    survey = make_survey(kind="transactional")
    contact = consenting_contact(channel="email")
    request = request_create(
        data=RequestInput(
            company=contact.company, contact=contact, channel="phone", subject="Замена картриджа"
        ),
        by=None,
    )
    first = services.survey_after_request(request_id=request.pk)
    again = services.survey_after_request(request_id=request.pk)
    assert first is not None and again is not None and first.pk == again.pk
    assert first.survey == survey and first.source == f"service.request:{request.pk}"
    assert Invitation.objects.count() == 1


def test_reminders_are_spaced_capped_and_skip_respondents() -> None:
    survey = make_survey(reminder_max=2, reminder_every_days=3)
    waiting, done = consenting_contact(), consenting_contact()
    services.invite(survey=survey, data=services.AudienceInput(), by=None)
    _answer_all(survey, str(Invitation.objects.get(contact=done).token))
    now = timezone.now()
    assert services.reminders_send(now=now + dt.timedelta(days=1)) == 0  # too soon
    assert services.reminders_send(now=now + dt.timedelta(days=4)) == 1
    assert services.reminders_send(now=now + dt.timedelta(days=4)) == 0  # ran twice
    assert services.reminders_send(now=now + dt.timedelta(days=8)) == 1
    assert services.reminders_send(now=now + dt.timedelta(days=12)) == 0  # capped
    assert Invitation.objects.get(contact=waiting).reminders_sent == 2


def _write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "paper.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_responses_and_follow_ups(tmp_path: Path) -> None:
    survey = make_survey()
    company = CompanyFactory()
    path = _write_csv(tmp_path, f"company_inn;Q1;Q2;Q3;Q4\n{company.inn};3;2;2;Дорого\n;10;;5;\n")
    result = import_responses(survey=survey, path=path, channel="paper", by=None)
    assert result.errors == [] and result.created == 2
    assert Response.objects.filter(channel="paper", submitted_at__isnull=False).count() == 2
    assert FollowUp.objects.get().company == company


def test_import_rejects_bad_cells_and_keeps_data(tmp_path: Path) -> None:
    survey = make_survey()
    path = _write_csv(tmp_path, "Q1;Q2;Q3;Q9\n11;;3;x\n")
    result = import_responses(survey=survey, path=path, channel="paper", by=None)
    assert [(e.column, e.message[:20]) for e in result.errors] == [("Q9", "No question has this")]
    path = _write_csv(tmp_path, "Q1;Q2;Q3\n8;;3\n11;;3\n10;1;\n;;4\n")
    result = import_responses(survey=survey, path=path, channel="phone", by=None)
    assert {(e.row, e.column) for e in result.errors} == {(3, "Q1"), (4, "Q2"), (5, "Q1")}
    assert "0 to 10" in result.errors[0].message
    assert not Response.objects.exists()


def test_latest_satisfaction_gives_each_company_its_last_scores() -> None:
    survey = make_survey()
    contact = consenting_contact()
    _inv, token = _invite_one(survey, contact)
    _answer_all(survey, token, nps="5", csat="2")
    result = latest_satisfaction([contact.company_id, 999_999])
    assert result[contact.company_id]["nps_score"] == 5
    assert result[contact.company_id]["nps_group"] == "detractor"
    assert result[contact.company_id]["csat"] == 2
    assert 999_999 not in result


def test_analysis_figures_trace_back_to_the_responses() -> None:
    survey = make_survey()
    scores = ["10", "9", "8", "3", "6", "10"]
    contacts = [consenting_contact() for _ in scores]
    services.invite(survey=survey, data=services.AudienceInput(), by=None)
    for contact, score in zip(contacts, scores, strict=True):
        _answer_all(survey, str(Invitation.objects.get(contact=contact).token), nps=score)
    report = analysis.analyse(survey)
    assert report.n == 6 and report.invited == 6
    assert report.nps is not None and report.nps.nps == pytest.approx(100 * (3 - 2) / 6)
    assert report.nps_question == Question.objects.get(survey=survey, code="Q1")
    assert report.follow_ups["total"] == 2
    terms = report.text_terms[Question.objects.get(survey=survey, code="Q4").pk]
    assert terms[0].count == 6 and len(terms[0].response_ids) == 6
    assert survey.status == SurveyStatus.OPEN


def test_matrix_and_multiple_choice_are_stored_per_row_and_as_a_mask() -> None:
    survey = make_survey(open_=False)
    qi = services.QuestionInput
    opts = services.parse_options("Плохо | Poor\nНормально | Fair\nХорошо | Good")
    rows = services.parse_options("Офис | Office\nСайт | Website")
    services.question_add(
        survey=survey,
        by=None,
        data=qi(kind="matrix", text="Оцените", code="M", choices=opts, rows=rows, required=True),
    )
    services.question_add(
        survey=survey, by=None, data=qi(kind="multi", text="Каналы", code="C", choices=opts)
    )
    services.survey_set_status(survey=survey, status=SurveyStatus.OPEN, by=None)
    _inv, token = _invite_one(survey, consenting_contact())
    inv = services.invitation_for_token(token)
    response = services.response_for(invitation=inv, token=token, channel="link")
    missing = services.page_save(
        response=response,
        page=1,
        action="next",
        data=Posted.of(q_Q1="9", q_M_1="3", q_C=["1", "3"]),
    )
    assert missing.errors == {"q_M_2": "Please answer this row."}
    services.page_save(
        response=response,
        page=1,
        action="next",
        data=Posted.of(q_Q1="9", q_M_1="3", q_M_2="1", q_C=["1", "3"]),
    )
    stored = dict(Answer.objects.filter(response=response).values_list("question__code", "value"))
    assert stored["C"] == 0b101
    assert sorted(Answer.objects.filter(question__code="M").values_list("item", "value")) == [
        (1, 3),
        (2, 1),
    ]
    services.page_save(
        response=response, page=2, data=Posted.of(q_Q3="4"), action="submit", invitation=inv
    )
    with translation.override("ru"):
        report = analysis.analyse(survey)
    labels = [qs.label for qs in report.questions if qs.question.code == "M"]
    assert labels == ["M.1 Офис", "M.2 Сайт"]
    multi = next(qs for qs in report.questions if qs.question.code == "C")
    assert multi.distribution is not None and multi.distribution.counts == [1, 0, 1]


def test_import_reads_xlsx_with_the_same_rules(tmp_path: Path) -> None:
    import openpyxl

    survey = make_survey()
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Q1", "Q2", "Q3", "Q4"])
    ws.append([10, None, 5, "Всё отлично"])
    ws.append([4, 2, 3, None])
    path = tmp_path / "phone.xlsx"
    wb.save(path)
    result = import_responses(survey=survey, path=path, channel="phone", by=None)
    assert result.errors == [] and result.created == 2
    values = sorted(
        v or 0 for v in Answer.objects.filter(question__code="Q1").values_list("value", flat=True)
    )
    assert values == [4, 10]


def test_next_wave_copies_the_questionnaire_into_the_series() -> None:
    survey = make_survey()
    second = services.survey_next_wave(survey=survey, by=None)
    third = services.survey_next_wave(survey=survey, by=None)
    survey.refresh_from_db()
    assert survey.series == second.series == third.series == f"survey-{survey.pk}"
    assert (survey.wave, second.wave, third.wave) == (1, 2, 3)
    assert list(second.questions.values_list("code", "kind", "show_if")) == list(
        survey.questions.values_list("code", "kind", "show_if")
    )
    assert second.status == SurveyStatus.DRAFT


def test_resolved_requests_are_invited_by_the_periodic_job() -> None:
    from clientdesk.service.models import ServiceRequest
    from clientdesk.service.services import RequestInput, request_create

    survey = make_survey(kind="transactional")
    contact = consenting_contact(channel="email")
    request = request_create(
        data=RequestInput(
            company=contact.company, contact=contact, channel="phone", subject="Ремонт"
        ),
        by=None,
    )
    assert services.invite_after_resolved_requests() == 0  # not resolved yet
    ServiceRequest.objects.filter(pk=request.pk).update(resolved_at=timezone.now())
    assert services.invite_after_resolved_requests() == 1
    assert services.invite_after_resolved_requests() == 0
    assert Invitation.objects.get().source == f"service.request:{request.pk}"
    assert Invitation.objects.get().survey == survey
