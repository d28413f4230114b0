"""Consent per purpose and channel: a person without it is never used for that purpose."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from clientdesk.clients import selectors, services
from clientdesk.clients.models import (
    Channel,
    Consent,
    ConsentPurpose,
    ConsentText,
    Contact,
)
from clientdesk.clients.personal_data import erase_person
from clientdesk.clients.tests.factories import ContactFactory
from clientdesk.core.audit import history_of
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing_text() -> ConsentText:
    return ConsentText.objects.create(
        purpose=ConsentPurpose.MARKETING,
        version="2",
        text="Я согласен получать рекламу.",
        effective_from=datetime.date(2024, 1, 1),
    )


def test_consent_give_uses_the_text_in_force_and_is_audited(make_staff, marketing_text) -> None:
    ConsentText.objects.create(
        purpose=ConsentPurpose.MARKETING,
        version="1",
        text="Старый текст.",
        effective_from=datetime.date(2020, 1, 1),
    )
    staff = make_staff()
    contact = ContactFactory.create()
    consent = services.consent_give(
        contact=contact, purpose=ConsentPurpose.MARKETING, source=Consent.Source.PAPER, by=staff
    )
    assert consent.text == marketing_text
    assert consent.recorded_by == staff
    event = history_of(contact).get()
    assert event.action == "clients.consent_given"
    assert event.changes["text_version"] == "2"
    assert selectors.has_consent(contact, ConsentPurpose.MARKETING)


def test_giving_the_same_consent_twice_keeps_one_row(marketing_text) -> None:
    contact = ContactFactory.create()
    for _ in range(2):
        services.consent_give(
            contact=contact, purpose=ConsentPurpose.MARKETING, source=Consent.Source.PORTAL, by=None
        )
    assert Consent.objects.count() == 1


def test_withdrawal_ends_the_consent_and_keeps_the_row() -> None:
    contact = ContactFactory.create()
    consent = services.consent_give(
        contact=contact, purpose=ConsentPurpose.SURVEYS, source=Consent.Source.EMAIL, by=None
    )
    services.consent_withdraw(consent=consent, source=Consent.Source.EMAIL, by=None)
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawal_source == "email"
    assert not selectors.has_consent(contact, ConsentPurpose.SURVEYS)
    assert history_of(contact).filter(action="clients.consent_withdrawn").count() == 1


def test_consent_for_one_channel_does_not_cover_others_or_any_channel() -> None:
    contact = ContactFactory.create()
    services.consent_give(
        contact=contact,
        purpose=ConsentPurpose.MARKETING,
        channel=Channel.EMAIL,
        source=Consent.Source.PORTAL,
        by=None,
    )
    assert selectors.has_consent(contact, ConsentPurpose.MARKETING, Channel.EMAIL)
    assert not selectors.has_consent(contact, ConsentPurpose.MARKETING, Channel.SMS)
    assert not selectors.has_consent(contact, ConsentPurpose.MARKETING)
    assert not selectors.has_consent(contact, ConsentPurpose.SURVEYS, Channel.EMAIL)


def test_consent_without_channel_covers_every_channel() -> None:
    contact = ContactFactory.create()
    services.consent_give(
        contact=contact, purpose=ConsentPurpose.MARKETING, source=Consent.Source.PAPER, by=None
    )
    assert selectors.has_consent(contact, ConsentPurpose.MARKETING, Channel.SMS)
    assert selectors.has_consent(contact, ConsentPurpose.MARKETING)


def test_contacts_with_consent_filters_in_one_query(django_assert_num_queries) -> None:
    yes = [ContactFactory.create() for _ in range(3)]
    withdrawn = ContactFactory.create()
    ContactFactory.create()  # never asked
    for contact in [*yes, withdrawn]:
        services.consent_give(
            contact=contact, purpose=ConsentPurpose.SURVEYS, source=Consent.Source.PAPER, by=None
        )
    services.consent_withdraw(consent=withdrawn.consents.get(), source="paper", by=None)
    with django_assert_num_queries(1):
        found = list(selectors.contacts_with_consent(Contact.objects.all(), ConsentPurpose.SURVEYS))
    assert sorted(c.pk for c in found) == sorted(c.pk for c in yes)


def test_erased_contact_never_has_consent(make_staff) -> None:
    contact = ContactFactory.create()
    services.consent_give(
        contact=contact, purpose=ConsentPurpose.SURVEYS, source=Consent.Source.PAPER, by=None
    )
    erase_person(contact=contact, by=make_staff(Role.SUPERVISOR), reason="Запрос № 5 от 01.02.2025")
    contact.refresh_from_db()
    assert not selectors.has_consent(contact, ConsentPurpose.SURVEYS)
    assert not selectors.contacts_with_consent(
        Contact.objects.all(), ConsentPurpose.SURVEYS
    ).exists()
    with pytest.raises(ValidationError):
        services.consent_give(
            contact=contact, purpose=ConsentPurpose.SURVEYS, source=Consent.Source.PAPER, by=None
        )


def test_consent_rejects_unknown_purpose_and_text_of_another_purpose(marketing_text) -> None:
    contact = ContactFactory.create()
    with pytest.raises(ValidationError) as exc:
        services.consent_give(contact=contact, purpose="spam", source="paper", by=None)
    assert "purpose" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.consent_give(
            contact=contact,
            purpose=ConsentPurpose.SURVEYS,
            source="paper",
            text=marketing_text,
            by=None,
        )
    assert "text" in exc.value.message_dict
