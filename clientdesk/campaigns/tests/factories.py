from __future__ import annotations

from typing import Any, cast

from clientdesk.campaigns import services
from clientdesk.campaigns.models import Campaign
from clientdesk.clients.models import Company, Consent, ConsentPurpose, Contact
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory

FACTS = [
    {"name": "Цена", "name_en": "Price", "value": "1500000", "unit": "RUB"},
    {"name": "Скидка", "name_en": "Discount", "value": "15", "unit": "%"},
    {"name": "Действует до", "name_en": "Valid until", "value": "2027-01-15", "unit": "date"},
]


def campaign_input(**overrides: Any) -> services.CampaignInput:
    data: dict[str, Any] = {
        "name": "Весеннее предложение",
        "content": {
            "ru": {
                "subject": "Обслуживание оборудования на особых условиях",
                "key_points": ["Выезд инженера в день обращения", "Единый договор на все филиалы"],
                "conditions": "Для действующих клиентов.",
                "cta": "Запишитесь на консультацию",
            },
            "en": {
                "subject": "Equipment servicing on special terms",
                "key_points": ["Same-day engineer visit", "One contract for all branches"],
                "conditions": "For existing clients.",
                "cta": "Book a consultation",
            },
        },
        "facts": [dict(f) for f in FACTS],
        "channels": ["email"],
        "cta_url": "https://example.com/offer",
    }
    data.update(overrides)
    return services.CampaignInput(**data)


def make_campaign(by: Any = None, **overrides: Any) -> Campaign:
    return services.campaign_create(data=campaign_input(**overrides), by=by)


def consent(contact: Contact, channel: str = "", **kwargs: Any) -> Consent:
    from django.utils import timezone

    return Consent.objects.create(
        contact=contact,
        purpose=ConsentPurpose.MARKETING,
        channel=channel,
        given_at=timezone.now(),
        source=Consent.Source.STAFF,
        **kwargs,
    )


def new_company(**kwargs: Any) -> Company:
    return cast(Company, CompanyFactory(**kwargs))


def new_contact(**kwargs: Any) -> Contact:
    return cast(Contact, ContactFactory(**kwargs))


def subscribed_contact(company: Any = None, channel: str = "", **kwargs: Any) -> Contact:
    contact = new_contact(company=company or new_company(), **kwargs)
    consent(contact, channel)
    return contact


def approve_and_build(campaign: Campaign, approver: Any) -> None:
    services.audience_build(campaign=campaign, by=approver)
    services.campaign_approve(campaign=campaign, by=approver)
