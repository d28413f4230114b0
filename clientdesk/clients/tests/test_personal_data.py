"""A person's data: exported in full on request, erased for good without losing business facts."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clientdesk.clients import services
from clientdesk.clients.models import (
    Channel,
    Consent,
    ConsentPurpose,
    ConsentText,
    ContactPoint,
    Interaction,
    Todo,
)
from clientdesk.clients.personal_data import ERASED, erase_person, export_person
from clientdesk.clients.services import ContactInput
from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.audit import history_of
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(make_staff):
    staff = make_staff()
    company = CompanyFactory.create()
    contact = services.contact_create(
        company=company,
        data=ContactInput(
            last_name="Смирнова",
            first_name="Ольга",
            patronymic="Петровна",
            position="Главный бухгалтер",
            email="olga@firm.ru",
            phone="+7 495 123-45-67",
            other_emails=["olga.home@mail.ru"],
        ),
        by=staff,
    )
    ConsentText.objects.create(
        purpose=ConsentPurpose.SURVEYS,
        version="3",
        text="Согласие на участие в опросах.",
        effective_from=datetime.date(2024, 1, 1),
    )
    services.consent_give(
        contact=contact, purpose=ConsentPurpose.SURVEYS, source=Consent.Source.PAPER, by=staff
    )
    services.interaction_record(
        company=company,
        contact=contact,
        channel=Channel.PHONE,
        subject="Звонок Смирнова Ольга Петровна по акту сверки",
        summary="Ольга просила перезвонить на olga.home@mail.ru",
        outcome="Акт подписан",
        staff=staff,
    )
    services.todo_create(
        company=company,
        kind=Todo.Kind.CALL_BACK,
        title="Перезвонить Смирнова Ольга",
        contact=contact,
    )
    return contact


def test_export_contains_everything_held_about_the_person(person) -> None:
    data = json.loads(json.dumps(export_person(person), ensure_ascii=False))
    assert data["contact"]["full_name"] == "Смирнова Ольга Петровна"
    assert data["contact"]["position"] == "Главный бухгалтер"
    assert {p["value"] for p in data["phones_and_emails"]} == {
        "olga@firm.ru",
        "olga.home@mail.ru",
        "+74951234567",
    }
    assert data["consents"][0]["text"] == "Согласие на участие в опросах."
    assert data["consents"][0]["text_version"] == "3"
    assert data["interactions"][0]["summary"].startswith("Ольга просила")
    assert data["todos"][0]["title"] == "Перезвонить Смирнова Ольга"
    actions = [e["action"] for e in data["audit_events"]]
    assert actions == ["clients.contact_created", "clients.consent_given"]


def test_erasure_removes_personal_data_and_keeps_business_facts(person, make_staff) -> None:
    supervisor = make_staff(Role.SUPERVISOR)
    erase_person(contact=person, by=supervisor, reason="Заявление № 12 от 03.03.2025")
    person.refresh_from_db()
    assert person.full_name == ERASED
    assert (person.email, person.phone, person.position, person.search_name) == ("", "", "", "")
    assert person.erased_at is not None
    assert not ContactPoint.objects.filter(contact=person).exists()
    assert not Consent.objects.filter(contact=person, withdrawn_at__isnull=True).exists()

    interaction = Interaction.objects.get()
    assert interaction.contact == person  # still "a person of this company"
    assert interaction.outcome == "Акт подписан"
    assert interaction.channel == Channel.PHONE
    assert "Смирнова" not in interaction.subject and "по акту сверки" in interaction.subject
    assert "olga" not in interaction.summary
    assert "Смирнова" not in Todo.objects.get().title

    # Nothing about her survives in the audit trail, but the trail itself does.
    dump = json.dumps(list(AuditEvent.objects.values("target_repr", "changes")), ensure_ascii=False)
    for value in ("Смирнова", "Ольга", "olga", "74951234567", "бухгалтер"):
        assert value not in dump
    erased = history_of(person).get(action="clients.contact_erased")
    assert erased.actor == supervisor
    assert erased.changes["reason"] == "Заявление № 12 от 03.03.2025"
    assert history_of(person).filter(action="clients.contact_created").exists()


def test_erasure_needs_the_personal_data_right_and_a_reason(person, make_staff) -> None:
    with pytest.raises(PermissionDenied):
        erase_person(contact=person, by=make_staff(Role.MARKETER), reason="x")
    with pytest.raises(ValidationError) as exc:
        erase_person(contact=person, by=make_staff(Role.SUPERVISOR), reason="  ")
    assert "reason" in exc.value.message_dict
    person.refresh_from_db()
    assert person.erased_at is None


def test_erased_contact_cannot_be_edited(person, make_staff) -> None:
    erase_person(contact=person, by=make_staff(Role.ADMIN), reason="Запрос")
    with pytest.raises(ValidationError):
        services.contact_update(
            contact=person, data=ContactInput(last_name="Снова", first_name="Она"), by=None
        )
