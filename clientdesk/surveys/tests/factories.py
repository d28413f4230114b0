from __future__ import annotations

from typing import Any, cast

from django.utils import timezone

from clientdesk.clients.models import Consent, ConsentPurpose, Contact
from clientdesk.clients.tests.factories import ContactFactory
from clientdesk.surveys import services
from clientdesk.surveys.models import QuestionKind, Survey, SurveyStatus


def consenting_contact(channel: str = "", **kwargs: Any) -> Contact:
    contact = cast(Contact, ContactFactory(**kwargs))
    Consent.objects.create(
        contact=contact,
        purpose=ConsentPurpose.SURVEYS,
        channel=channel,
        given_at=timezone.now(),
        source=Consent.Source.PAPER,
    )
    return contact


def make_survey(*, open_: bool = True, **kwargs: Any) -> Survey:
    """NPS (required) on page 1, a reason shown only to detractors, CSAT and text on page 2."""
    survey = services.survey_create(
        data=services.SurveyInput(title="Удовлетворённость", title_en="Satisfaction", **kwargs),
        by=None,
    )
    qi = services.QuestionInput
    services.question_add(
        survey=survey,
        data=qi(kind=QuestionKind.NPS, text="Порекомендуете?", text_en="Recommend?", required=True),
        by=None,
    )
    services.question_add(
        survey=survey,
        data=qi(
            kind=QuestionKind.SINGLE,
            text="Почему?",
            choices=services.parse_options("Цена | Price\nСроки | Deadlines\nКачество | Quality"),
            show_if={"question": "Q1", "op": "<=", "value": 6},
        ),
        by=None,
    )
    services.question_add(
        survey=survey, data=qi(kind=QuestionKind.CSAT, text="Довольны?", page=2), by=None
    )
    services.question_add(
        survey=survey, data=qi(kind=QuestionKind.TEXT, text="Комментарий", page=2), by=None
    )
    if open_:
        services.survey_set_status(survey=survey, status=SurveyStatus.OPEN, by=None)
    return survey


class Posted(dict[str, list[str]]):
    """Form data as request.POST.getlist would give it."""

    @classmethod
    def of(cls, **fields: str | list[str]) -> Posted:
        return cls({k: v if isinstance(v, list) else [v] for k, v in fields.items()})
