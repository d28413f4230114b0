"""Demo data: a two-wave relationship survey of the demo clients with realistic answers.

Wave 1 was half a year ago, wave 2 is open now; satisfaction fell in part of the client base
between them, so the report has a trend, a falling segment and detractors to follow up.
Requires the registry demo (companies and contacts) to be loaded first.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from clientdesk.clients.models import Consent, ConsentPurpose, Contact

from . import services
from .models import (
    Answer,
    Invitation,
    Question,
    QuestionKind,
    QuestionRole,
    Response,
    Survey,
    SurveyStatus,
)

SERIES = "client-satisfaction"
ATTRIBUTES = [
    ("Скорость реакции на обращения", "Speed of response to requests"),
    ("Соблюдение сроков", "Meeting deadlines"),
    ("Компетентность персонала", "Staff competence"),
    ("Стоимость услуг", "Price of services"),
    ("Удобство документооборота", "Convenience of paperwork"),
]
COMMENTS = [
    "Долго отвечают на заявки, приходится звонить несколько раз",
    "Менеджер всегда на связи, спасибо за оперативность",
    "Цены выросли, а качество осталось прежним",
    "Сроки выполнения работ постоянно срываются",
    "Документы приходят с ошибками, приходится исправлять",
    "Очень довольны персональным менеджером",
    "Хотелось бы электронный документооборот",
    "Инженеры компетентные, работы выполняют качественно",
    "Дорого по сравнению с конкурентами",
    "Быстро решили проблему с оборудованием",
]


def _build(title: str, wave: int) -> Survey:
    survey = services.survey_create(
        data=services.SurveyInput(
            title=title,
            title_en=f"Client satisfaction, wave {wave}",
            intro="Пожалуйста, оцените работу нашей компании. Опрос займёт 5 минут.",
            intro_en="Please rate our work. The survey takes 5 minutes.",
            goal="Измерить удовлетворённость и лояльность корпоративных клиентов, найти факторы, "
            "которые на них влияют, и определить, что улучшать в первую очередь.",
            series=SERIES,
            wave=wave,
        ),
        by=None,
    )
    qi = services.QuestionInput
    add = services.question_add
    add(
        survey=survey,
        data=qi(
            kind=QuestionKind.NPS,
            required=True,
            text="Насколько вероятно, что вы порекомендуете нас коллегам?",
            text_en="How likely are you to recommend us to a colleague?",
        ),
        by=None,
    )
    add(
        survey=survey,
        data=qi(
            kind=QuestionKind.MULTI,
            text="Что нужно улучшить?",
            text_en="What should we improve?",
            show_if={"question": "Q1", "op": "<=", "value": 6},
            choices=services.parse_options(
                "Сроки | Deadlines\nЦены | Prices\nСвязь | Communication\nДокументы | Paperwork"
            ),
        ),
        by=None,
    )
    add(
        survey=survey,
        data=qi(
            kind=QuestionKind.CSAT,
            text="Насколько вы довольны нашей работой?",
            text_en="How satisfied are you with our work?",
            role=QuestionRole.OVERALL,
        ),
        by=None,
    )
    add(
        survey=survey,
        data=qi(
            kind=QuestionKind.CES,
            text="Насколько легко решить вопрос с нами?",
            text_en="How easy is it to get an issue resolved?",
        ),
        by=None,
    )
    for ru, en in ATTRIBUTES:
        services.ipa_attribute_add(survey=survey, attribute=ru, attribute_en=en, page=2, by=None)
    services.servqual_template_add(survey=survey, page=3, by=None)
    add(
        survey=survey,
        data=qi(
            kind=QuestionKind.TEXT,
            page=3,
            text="Что нам изменить?",
            text_en="What should we change?",
        ),
        by=None,
    )
    return survey


def _contacts(limit: int) -> list[Contact]:
    contacts = list(
        Contact.objects.filter(erased_at__isnull=True, left_company=False)
        .select_related("company__industry", "company__region")
        .order_by("id")[:limit]
    )
    have = set(
        Consent.objects.filter(
            contact__in=contacts, purpose=ConsentPurpose.SURVEYS, withdrawn_at__isnull=True
        ).values_list("contact_id", flat=True)
    )
    Consent.objects.bulk_create(
        [
            Consent(
                contact=c,
                purpose=ConsentPurpose.SURVEYS,
                given_at=timezone.now(),
                source=Consent.Source.CONTRACT,
            )
            for c in contacts
            if c.pk not in have
        ]
    )
    return contacts


def _value(
    q: Question, latent: float, perf: dict[str, float], nps: float, rng: np.random.Generator
) -> float | None:
    """One plausible answer of a respondent whose satisfaction is `latent` (about N(0, 1))."""
    noise = float(rng.normal(scale=0.8))
    if q.kind == QuestionKind.NPS:
        return float(np.clip(round(7.5 + 2.2 * latent), 0, 10))
    if q.kind == QuestionKind.MULTI:
        return float(rng.integers(1, 16)) if nps <= 6 else None
    if q.kind == QuestionKind.CSAT:
        return float(np.clip(round(3.7 + 0.9 * latent), 1, 5))
    if q.kind == QuestionKind.CES:
        return float(np.clip(round(3.5 - 1.1 * latent), 1, 7))
    if q.role == QuestionRole.PERFORMANCE:
        return perf[q.attribute]
    if q.role == QuestionRole.IMPORTANCE:
        idx = [ru for ru, _en in ATTRIBUTES].index(q.attribute)
        return float(np.clip(round((4.7, 4.6, 4.2, 3.6, 3.2)[idx] + noise / 1.6), 1, 5))
    if q.role == QuestionRole.EXPECTATION:
        return float(np.clip(round(6.0 + 0.4 * latent + noise / 2), 1, 7))
    if q.role == QuestionRole.PERCEPTION:
        return float(np.clip(round(5.0 + 0.9 * latent + noise), 1, 7))
    return None


def _comment(latent: float, rng: np.random.Generator) -> str:
    if rng.random() >= 0.6:
        return ""
    if latent < -0.5:
        return COMMENTS[int(rng.choice([0, 2, 3, 4, 8]))]
    return COMMENTS[int(rng.integers(len(COMMENTS)))]


def _invitation(survey: Survey, contact: Contact, at: dt.datetime, *, answered: bool) -> None:
    Invitation.objects.create(
        survey=survey,
        contact=contact,
        company=contact.company,
        token=None if answered else services.new_token(),
        created_at=at,
        expires_at=at + dt.timedelta(days=21),
        last_sent_at=at,
        started_at=at if answered else None,
        responded_at=at if answered else None,
    )


def _answer(
    survey: Survey,
    contacts: list[Contact],
    rng: np.random.Generator,
    *,
    at: dt.datetime,
    drop: float,
    follow_ups: int,
) -> None:
    questions = list(survey.questions.all())
    nps_q, text_q = questions[0], questions[-1]
    followed = 0
    for contact in contacts:
        answered = bool(rng.random() >= 0.35)
        _invitation(survey, contact, at, answered=answered)
        if not answered:
            continue
        company = contact.company
        attrs = services.respondent_attributes(company, contact)
        weak = attrs.get("segment", "").startswith("C") or company.pk % 3 == 0
        latent = float(rng.normal()) - (drop if weak else drop / 4) + 0.3
        perf = {
            ru: float(
                np.clip(
                    round(3.6 + 0.8 * latent + rng.normal(scale=0.7) - (0.6 if i < 2 else 0)), 1, 5
                )
            )
            for i, (ru, _en) in enumerate(ATTRIBUTES)
        }
        nps = float(np.clip(round(7.5 + 2.2 * latent), 0, 10))
        values = {q.pk: _value(q, latent, perf, nps, rng) for q in questions}
        response = Response.objects.create(
            survey=survey,
            contact=contact,
            company=company,
            channel=Response.Channel.LINK,
            language=contact.language,
            started_at=at,
            submitted_at=at,
            **attrs,
        )
        answers = [
            Answer(response=response, question_id=q, value=v)
            for q, v in values.items()
            if v is not None
        ]
        text = _comment(latent, rng)
        if text:
            answers.append(Answer(response=response, question=text_q, text=text))
        Answer.objects.bulk_create(answers)
        wants = followed < follow_ups and (values[nps_q.pk] or 10) <= 6
        if wants and services.follow_up_for(response=response) is not None:
            followed += 1


@transaction.atomic
def load_demo(*, seed: int) -> None:
    """Idempotent: a second call finds the series and does nothing."""
    if Survey.objects.filter(series=SERIES).exists():
        return
    rng = np.random.default_rng(seed)
    contacts = _contacts(400)
    if not contacts:
        return
    now = timezone.now()
    first = _build("Удовлетворённость клиентов, волна 1", 1)
    services.survey_set_status(survey=first, status=SurveyStatus.OPEN, by=None)
    _answer(first, contacts, rng, at=now - dt.timedelta(days=180), drop=0.0, follow_ups=0)
    services.survey_set_status(survey=first, status=SurveyStatus.CLOSED, by=None)
    second = _build("Удовлетворённость клиентов, волна 2", 2)
    services.survey_set_status(survey=second, status=SurveyStatus.OPEN, by=None)
    _answer(second, contacts, rng, at=now - dt.timedelta(days=3), drop=0.9, follow_ups=8)
