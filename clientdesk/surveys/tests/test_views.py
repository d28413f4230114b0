from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.roles import Role
from clientdesk.portal.models import PortalAccount
from clientdesk.surveys import services
from clientdesk.surveys.models import Invitation, Response, Survey

from .factories import consenting_contact, make_survey

pytestmark = pytest.mark.django_db


def test_call_center_operator_gets_403_on_survey_management(make_staff, login_as) -> None:
    survey = make_survey()
    client = login_as(make_staff(Role.CALL_OPERATOR))
    for name, args in (
        ("surveys:list", []),
        ("surveys:detail", [survey.pk]),
        ("surveys:report", [survey.pk]),
        ("surveys:report_pdf", [survey.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403


def test_portal_user_gets_403_on_staff_pages(make_portal_user, login_as) -> None:
    client = login_as(make_portal_user())
    assert client.get(reverse("surveys:list")).status_code == 403


def test_survey_list_query_count_does_not_grow(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    for _ in range(6):
        make_survey(open_=False)
    client = login_as(make_staff(Role.MARKETER))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("surveys:list"))
    assert response.status_code == 200
    assert response.content.count(b"/surveys/") >= 6


def test_marketer_builds_a_survey_with_a_condition(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.MARKETER))
    response = client.post(
        reverse("surveys:create"),
        {
            "title": "Волна 1",
            "kind": "relationship",
            "wave": 1,
            "link_days": 21,
            "reminder_max": 2,
            "reminder_every_days": 5,
            "detractor_max": 6,
            "csat_low_max": 2,
            "follow_up_hours": 48,
        },
    )
    survey = Survey.objects.get()
    assert response.status_code == 302
    url = reverse("surveys:question_add", args=[survey.pk])
    assert (
        client.post(url, {"kind": "nps", "text": "Порекомендуете?", "page": 1}).status_code == 302
    )
    bad = client.post(
        url,
        {
            "kind": "single",
            "text": "Почему?",
            "page": 1,
            "choices": "a\nb",
            "show_if_question": "Q7",
            "show_if_op": "<=",
            "show_if_value": 6,
        },
    )
    assert bad.status_code == 400
    assert "must refer to the code of another question" in bad.content.decode()
    ok = client.post(
        url,
        {
            "kind": "single",
            "text": "Почему?",
            "page": 1,
            "choices": "a\nb",
            "show_if_question": "Q1",
            "show_if_op": "<=",
            "show_if_value": 6,
        },
    )
    assert ok.status_code == 302
    assert survey.questions.get(code="Q2").show_if == {"question": "Q1", "op": "<=", "value": 6}
    assert client.post(reverse("surveys:servqual_add", args=[survey.pk])).status_code == 302
    assert survey.questions.count() == 12
    preview = client.get(reverse("surveys:preview", args=[survey.pk]) + "?lang=en&page=2")
    assert preview.status_code == 200 and "Expectation:" in preview.content.decode()


def test_answer_form_works_without_javascript(client) -> None:
    survey = make_survey()
    contact = consenting_contact()
    services.invite(survey=survey, data=services.AudienceInput(), by=None)
    token = Invitation.objects.get(contact=contact).token
    url = reverse("surveys:answer", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and 'name="q_Q1"' in page.content.decode()
    assert 'name="q_Q2"' not in page.content.decode()  # hidden until Q1 is known
    bad = client.post(url, {"page": 1, "action": "next", "q_Q1": "11"})
    assert bad.status_code == 400
    # The form speaks the respondent's language (Russian for this contact).
    with translation.override("ru"):
        expected = gettext("Choose a whole number from %(low)s to %(high)s.") % {
            "low": 0,
            "high": 10,
        }
    assert expected in bad.content.decode()
    # A detractor's answer reveals the follow-up question on the same page: it is shown first.
    assert client.post(url, {"page": 1, "action": "next", "q_Q1": "4"}).status_code == 302
    assert 'name="q_Q2"' in client.get(url).content.decode()
    assert client.post(url, {"page": 1, "action": "next", "q_Q1": "9"}).status_code == 302
    page2 = client.get(url)
    assert 'name="q_Q3"' in page2.content.decode()
    done = client.post(url, {"page": 2, "action": "submit", "q_Q3": "5", "q_Q4": "Спасибо"})
    assert done.status_code == 200 and Response.objects.get().submitted_at is not None
    assert client.get(url).status_code == 410


def test_unknown_token_is_404(client) -> None:
    assert client.get(reverse("surveys:answer", args=["nope" * 11])).status_code == 404


def test_portal_user_answers_only_surveys_addressed_to_their_contact(
    make_portal_user,
    login_as,
    client,
) -> None:
    survey = make_survey()
    company = CompanyFactory()
    contact = consenting_contact(channel="portal", company=company)
    stranger = consenting_contact(channel="portal")
    services.invite(survey=survey, data=services.AudienceInput(channel="portal"), by=None)
    mine = Invitation.objects.get(contact=contact)
    theirs = Invitation.objects.get(contact=stranger)
    user = make_portal_user(company=company)
    PortalAccount.objects.filter(user=user).update(contact=contact)
    login_as(user)
    listing = client.get(reverse("surveys:portal_list"))
    assert listing.status_code == 200
    assert reverse("surveys:portal_answer", args=[mine.pk]) in listing.content.decode()
    assert reverse("surveys:portal_answer", args=[theirs.pk]) not in listing.content.decode()
    assert client.get(reverse("surveys:portal_answer", args=[mine.pk])).status_code == 200
    assert client.get(reverse("surveys:portal_answer", args=[theirs.pk])).status_code == 404
    assert Response.objects.get().channel == "portal"


def test_staff_gets_403_on_portal_survey_pages(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.SUPERVISOR))
    assert client.get(reverse("surveys:portal_list")).status_code == 403


def test_report_page_and_pdf(make_staff, login_as) -> None:
    survey = make_survey()
    contacts = [consenting_contact() for _ in range(8)]
    services.invite(survey=survey, data=services.AudienceInput(), by=None)
    for i, c in enumerate(contacts):
        inv = Invitation.objects.get(contact=c)
        response = services.response_for(invitation=inv, token=str(inv.token), channel="link")
        services.page_save(response=response, page=1, data={"q_Q1": [str(i + 3)]}, action="next")
        services.page_save(
            response=response,
            page=2,
            data={"q_Q3": [str(1 + i % 5)], "q_Q4": ["Долго отвечают"]},
            action="submit",
            invitation=inv,
        )
    client = login_as(make_staff(Role.ANALYST))
    page = client.get(reverse("surveys:report", args=[survey.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "NPS" in text and "<svg" in text and "долго" in text
    pdf = client.get(reverse("surveys:report_pdf", args=[survey.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    responses = client.get(reverse("surveys:responses", args=[survey.pk]) + "?q=Q1&value=3")
    assert responses.status_code == 200 and "1 response" in responses.content.decode()
    follow = client.get(reverse("surveys:follow_ups", args=[survey.pk]))
    assert follow.status_code == 200


def test_report_of_a_survey_without_answers_says_so(make_staff, login_as) -> None:
    survey = make_survey()
    client = login_as(make_staff(Role.SUPERVISOR))
    page = client.get(reverse("surveys:report", args=[survey.pk]))
    assert page.status_code == 200
    assert "collect more responses" in page.content.decode()
    assert client.get(reverse("surveys:report_pdf", args=[survey.pk])).status_code == 200
