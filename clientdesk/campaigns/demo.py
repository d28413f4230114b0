"""Demo campaigns: two case studies, one campaign sent to a segment (with opens, clicks,
replies and an unsubscribe) and one waiting for approval.

Called by the demo command after the registry's and the segments' demo data:
`load_demo(seed=...)`. E-mail goes to Django's dummy backend: nothing leaves the machine.
"""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from clientdesk.accounts.models import User
from clientdesk.clients.models import Channel
from clientdesk.core.roles import Role
from clientdesk.segments import selectors as segment_selectors
from clientdesk.segments.models import RuleSegment

from . import sending, services
from .models import Campaign, CampaignRecipient, CaseStudy

MAX_AUDIENCE_COMPANIES = 300

MASTER_RU = {
    "subject": "Сервисный контракт на 2027 год на особых условиях",
    "key_points": [
        "Выезд инженера в день обращения по всей стране",
        "Один договор и один счёт на все филиалы",
        "Личный менеджер и отчёт о работах каждый месяц",
    ],
    "conditions": "Предложение для действующих клиентов при заключении договора на 12 месяцев.",
    "cta": "Ответьте на это письмо или запишитесь на встречу",
}
MASTER_EN = {
    "subject": "A 2027 service contract on special terms",
    "key_points": [
        "Same-day engineer visits nationwide",
        "One contract and one invoice for all branches",
        "A personal manager and a monthly report",
    ],
    "conditions": "For existing clients signing a 12-month contract.",
    "cta": "Reply to this e-mail or book a meeting",
}
FACTS = [
    {"name": "Скидка", "name_en": "Discount", "value": "12", "unit": "%"},
    {"name": "Стоимость в месяц", "name_en": "Monthly fee", "value": "185000", "unit": "RUB"},
    {"name": "Предложение действует до", "name_en": "Offer valid until", "value": "2027-03-31",
     "unit": "date"},
]  # fmt: skip


def _user(role: str) -> User | None:
    return (
        User.objects.filter(kind="staff", role=role).order_by("id").first()
        or User.objects.filter(is_superuser=True).order_by("id").first()
    )


def _case_studies() -> list[CaseStudy]:
    data = [
        services.CaseStudyInput(
            title_ru="Производственный холдинг: простои оборудования −37 %",
            body_ru="За год сервисного контракта простои линий сократились на 37 %, "
            "затраты на ремонт — на 4,2 млн руб.",
            title_en="Manufacturing group: 37% less downtime",
            body_en="In one year of the service contract line downtime fell by 37% and repair "
            "costs by RUB 4.2 million.",
            sections="C",
        ),
        services.CaseStudyInput(
            title_ru="Розничная сеть: 120 магазинов по одному договору",
            body_ru="Сеть из 120 магазинов перешла на единый договор и сэкономила 18 % "
            "бюджета на обслуживание.",
            title_en="Retail chain: 120 shops under one contract",
            body_en="A chain of 120 shops moved to one contract and saved 18% of its service "
            "budget.",
            sections="G",
        ),
    ]
    return [services.case_study_save(data=d, by=None) for d in data]


def load_demo(*, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    marketer = _user(Role.MARKETER)
    approver = _user(Role.SUPERVISOR)
    if approver is None:
        return
    with transaction.atomic():
        cases = _case_studies()
        # The largest-value class of the latest segmentation that has enough clients to
        # show results; else a saved rule segment; else everyone (capped below).
        audience: dict[str, object] = {}
        candidates: list[dict[str, object]] = [{"abc": "A"}, {"abc": "B"}]
        segment = RuleSegment.objects.filter(shared=True).order_by("id").first()
        if segment is not None:
            candidates.append({"rule_segment": segment.pk})
        for candidate in candidates:
            if segment_selectors.companies_in(**candidate).count() >= 20:  # type: ignore[arg-type]
                audience = candidate
                break
        sent = services.campaign_create(
            data=services.CampaignInput(
                name="Сервисный контракт 2027",
                content={"ru": MASTER_RU, "en": MASTER_EN},
                facts=FACTS,
                channels=[Channel.EMAIL, Channel.SMS, Channel.PORTAL],
                cta_url="https://example.com/service-2027",
                audience=audience,
                case_study_ids=[c.pk for c in cases],
            ),
            by=marketer,
        )
        services.audience_build(campaign=sent, by=marketer)
        # Keep the demo small whatever the registry's size.
        keep = list(
            sent.recipients.values_list("company_id", flat=True).distinct()[:MAX_AUDIENCE_COMPANIES]
        )
        sent.recipients.exclude(company_id__in=keep).delete()
        services.campaign_approve(campaign=sent, by=approver, comment="Согласовано")
        Campaign.objects.filter(pk=sent.pk).update(
            status=Campaign.Status.SCHEDULED, send_at=timezone.now()
        )
    sending.send_campaign(
        campaign_id=sent.pk, rate=0, email_backend="django.core.mail.backends.dummy.EmailBackend"
    )
    delivered = list(
        CampaignRecipient.objects.filter(campaign=sent, state=CampaignRecipient.State.SENT)
    )
    for recipient in delivered:
        roll = rng.random()
        if roll < 0.45:
            services.track_open(token=recipient.token)
        if roll < 0.15 and recipient.channel != Channel.SMS:
            services.track_click(token=recipient.token, index=0)
        if roll < 0.05:
            services.recipient_replied(recipient=recipient, summary="Интересно, пришлите договор.")
    emails = [r for r in delivered if r.channel == Channel.EMAIL]
    if emails:
        services.unsubscribe(token=rng.choice(emails).token)

    waiting = services.campaign_create(
        data=services.CampaignInput(
            name="Вебинар для главных бухгалтеров",
            content={
                "ru": {
                    "subject": "Электронный документооборот: вебинар для бухгалтерии",
                    "key_points": ["Как перейти на ЭДО за 2 недели", "Ответы на вопросы"],
                    "conditions": "Участие бесплатное.",
                    "cta": "Зарегистрируйтесь",
                }
            },
            facts=[{"name": "Дата", "value": "2027-02-18", "unit": "date"}],
            channels=[Channel.EMAIL],
            cta_url="https://example.com/webinar",
            decision_roles=["accountant"],
        ),
        by=marketer,
    )
    services.audience_build(campaign=waiting, by=marketer)
