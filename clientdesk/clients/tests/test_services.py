"""Writes to the registry validate, keep derived fields current and leave an audit trail."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from stdnum.ru import inn as inn_std

from clientdesk.clients import services
from clientdesk.clients.models import (
    Channel,
    Company,
    ContactPoint,
    GroupRole,
    LegalForm,
    SizeBand,
    Tag,
    Todo,
)
from clientdesk.clients.services import CompanyInput, ContactInput, ContractInput, RevenueInput
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory, valid_inn
from clientdesk.core.audit import history_of
from clientdesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Messages are asserted in their English source text, whatever the default language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _ip_inn(n: int) -> str:
    body = f"5001{n:06d}"
    return body + inn_std.calc_personal_check_digits(body)


def company_input(n: int = 1, **kwargs: object) -> CompanyInput:
    values: dict[str, object] = {
        "legal_name": f'ООО "Ромашка {n}"',
        "inn": valid_inn(90000 + n),
        "kpp": "770101001",
        "status": "active",
    }
    values.update(kwargs)
    return CompanyInput(**values)  # type: ignore[arg-type]


# --- companies ---------------------------------------------------------------------------------


def test_company_create_normalises_and_keeps_derived_fields(make_staff) -> None:
    staff = make_staff()
    tag = Tag.objects.create(name="VIP")
    company = services.company_create(
        data=company_input(
            legal_name="  ООО  «Ёлка»  ",
            inn=" " + valid_inn(1)[:4] + " " + valid_inn(1)[4:],
            phone="8 (495) 123-45-67",
            email="Info@Elka.RU",
            employees=40,
            annual_revenue=Decimal("50000000"),
            tags=[tag],
        ),
        by=staff,
    )
    company.refresh_from_db()
    assert company.legal_name == "ООО «Ёлка»"
    assert company.search_name == "ооо елка"
    assert company.inn == valid_inn(1)
    assert company.phone == "+74951234567"
    assert company.email == "Info@elka.ru"
    assert company.size_band == SizeBand.SMALL
    assert company.completeness > 0
    assert list(company.tags.all()) == [tag]
    event = history_of(company).get()
    assert event.action == "clients.company_created"
    assert event.actor == staff
    assert event.changes["inn"] == [None, valid_inn(1)]
    assert event.changes["tags"] == [None, [tag.pk]]


@pytest.mark.parametrize(
    ("employees", "revenue", "band"),
    [
        (10, Decimal("100000000"), SizeBand.MICRO),
        (15, None, SizeBand.MICRO),
        (16, Decimal("1000000"), SizeBand.SMALL),
        (20, Decimal("1000000000"), SizeBand.MEDIUM),  # the larger criterion decides
        (251, None, SizeBand.LARGE),
        (None, Decimal("2000000001"), SizeBand.LARGE),
        (None, None, SizeBand.UNKNOWN),
    ],
)
def test_size_band_follows_russian_sme_thresholds(
    employees: int | None, revenue: Decimal | None, band: str
) -> None:
    assert services.size_band_for(employees, revenue) == band


def test_bad_inn_checksum_is_rejected_with_a_message_naming_inn() -> None:
    bad = valid_inn(5)[:-1] + str((int(valid_inn(5)[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as exc:
        services.company_create(data=company_input(inn=bad), by=None)
    assert "inn" in exc.value.message_dict
    assert "INN" in exc.value.message_dict["inn"][0]
    assert Company.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_sole_proprietor_needs_12_digit_inn_and_has_no_kpp() -> None:
    with pytest.raises(ValidationError) as exc:
        services.company_create(
            data=company_input(legal_form=LegalForm.IP, inn=valid_inn(3), kpp="770101001"),
            by=None,
        )
    assert "12 digits" in exc.value.message_dict["inn"][0]
    assert "KPP" in exc.value.message_dict["kpp"][0]
    company = services.company_create(
        data=company_input(
            legal_name="ИП Иванов И. И.", legal_form=LegalForm.IP, inn=_ip_inn(7), kpp=""
        ),
        by=None,
    )
    assert company.inn == _ip_inn(7)


def test_organisation_with_inn_needs_kpp() -> None:
    with pytest.raises(ValidationError) as exc:
        services.company_create(data=company_input(kpp=""), by=None)
    assert "kpp" in exc.value.message_dict


def test_foreign_company_needs_no_inn_but_a_registration_or_vat_number() -> None:
    with pytest.raises(ValidationError) as exc:
        services.company_create(
            data=company_input(
                legal_name="Acme GmbH", legal_form=LegalForm.FOREIGN, country="DE", inn="", kpp=""
            ),
            by=None,
        )
    assert "foreign_registration_number" in exc.value.message_dict
    company = services.company_create(
        data=company_input(
            legal_name="Acme GmbH",
            legal_form=LegalForm.FOREIGN,
            country="de",
            inn="",
            kpp="",
            vat_number="DE123456789",
        ),
        by=None,
    )
    assert company.country == "DE" and company.inn == ""


def test_russian_client_other_than_prospect_needs_inn() -> None:
    with pytest.raises(ValidationError) as exc:
        services.company_create(data=company_input(inn="", kpp="", status="active"), by=None)
    assert "inn" in exc.value.message_dict
    prospect = services.company_create(
        data=company_input(inn="", kpp="", status="prospect"), by=None
    )
    assert prospect.pk


def test_duplicate_inn_and_kpp_names_the_existing_company() -> None:
    existing = CompanyFactory.create(
        legal_name='АО "Первая"', short_name="Первая", inn=valid_inn(11)
    )
    with pytest.raises(ValidationError) as exc:
        services.company_create(data=company_input(inn=valid_inn(11)), by=None)
    message = exc.value.message_dict["inn"][0]
    assert "Первая" in message and str(existing.pk) in message


def test_same_inn_with_other_kpp_is_allowed_for_a_branch() -> None:
    head = CompanyFactory.create(inn=valid_inn(12), kpp="770101001", group_role=GroupRole.HOLDING)
    branch = services.company_create(
        data=company_input(
            inn=valid_inn(12), kpp="780101001", parent=head, group_role=GroupRole.BRANCH
        ),
        by=None,
    )
    assert branch.parent == head


def test_branch_with_a_different_inn_is_rejected() -> None:
    head = CompanyFactory.create(inn=valid_inn(13))
    with pytest.raises(ValidationError) as exc:
        services.company_create(
            data=company_input(inn=valid_inn(14), parent=head, group_role=GroupRole.BRANCH),
            by=None,
        )
    assert valid_inn(13) in exc.value.message_dict["inn"][0]


def test_branch_with_the_parents_kpp_is_rejected() -> None:
    head = CompanyFactory.create(inn=valid_inn(15), kpp="770101001")
    with pytest.raises(ValidationError) as exc:
        services.company_create(
            data=company_input(
                inn=valid_inn(15), kpp="770101001", parent=head, group_role=GroupRole.BRANCH
            ),
            by=None,
        )
    assert "kpp" in exc.value.message_dict


def test_subsidiary_with_the_parents_inn_is_told_it_is_a_branch() -> None:
    head = CompanyFactory.create(inn=valid_inn(16), kpp="770101001")
    with pytest.raises(ValidationError) as exc:
        services.company_create(
            data=company_input(
                inn=valid_inn(16), kpp="770201001", parent=head, group_role=GroupRole.SUBSIDIARY
            ),
            by=None,
        )
    assert "branch" in exc.value.message_dict["group_role"][0]


def test_cycle_in_the_parent_chain_is_rejected() -> None:
    top = services.company_create(data=company_input(1, group_role=GroupRole.HOLDING), by=None)
    middle = services.company_create(
        data=company_input(2, parent=top, group_role=GroupRole.SUBSIDIARY), by=None
    )
    bottom = services.company_create(
        data=company_input(3, parent=middle, group_role=GroupRole.SUBSIDIARY), by=None
    )
    with pytest.raises(ValidationError) as exc:
        services.company_update(
            company=top,
            data=company_input(1, parent=bottom, group_role=GroupRole.SUBSIDIARY),
            by=None,
        )
    assert "loop" in exc.value.message_dict["parent"][0]
    with pytest.raises(ValidationError):
        services.company_update(
            company=top, data=company_input(1, parent=top, group_role=GroupRole.SUBSIDIARY), by=None
        )
    top.refresh_from_db()
    assert top.parent_id is None


def test_subsidiary_without_parent_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        services.company_create(data=company_input(group_role=GroupRole.SUBSIDIARY), by=None)
    assert "parent" in exc.value.message_dict


def test_company_update_records_field_level_changes_only(make_staff) -> None:
    staff = make_staff()
    company = services.company_create(data=company_input(employees=10), by=staff)
    services.company_update(
        company=company, data=company_input(employees=300, short_name="Ромашка"), by=staff
    )
    event = AuditEvent.objects.filter(action="clients.company_updated").get()
    assert event.changes == {
        "short_name": ["", "Ромашка"],
        "employees": [10, 300],
        "size_band": [SizeBand.MICRO, SizeBand.LARGE],
    }
    # Saving the same values again changes nothing and records nothing.
    services.company_update(
        company=company, data=company_input(employees=300, short_name="Ромашка"), by=staff
    )
    assert AuditEvent.objects.filter(action="clients.company_updated").count() == 1


def test_company_update_can_keep_its_own_inn_and_kpp() -> None:
    company = services.company_create(data=company_input(), by=None)
    services.company_update(company=company, data=company_input(legal_name="ООО Новое"), by=None)
    company.refresh_from_db()
    assert company.search_name == "ооо новое"


# --- contact persons ---------------------------------------------------------------------------


def test_contact_create_keeps_points_search_name_and_audit(make_staff) -> None:
    company = CompanyFactory.create()
    contact = services.contact_create(
        company=company,
        data=ContactInput(
            last_name=" Сидорова ",
            first_name="Анна",
            email="Anna@Firm.RU",
            phone="8 495 123-45-67",
            other_phones=["+7 916 123-45-67"],
        ),
        by=make_staff(),
    )
    assert contact.search_name == "сидорова анна"
    points = {(p.kind, p.value, p.is_primary) for p in contact.points.all()}
    assert points == {
        ("email", "anna@firm.ru", True),
        ("phone", "+74951234567", True),
        ("phone", "+79161234567", False),
    }
    assert history_of(contact).get().action == "clients.contact_created"


def test_contact_update_records_diff_and_keeps_other_points_when_not_given() -> None:
    contact = services.contact_create(
        company=CompanyFactory.create(),
        data=ContactInput(last_name="Иванов", first_name="Иван", other_emails=["second@firm.ru"]),
        by=None,
    )
    services.contact_update(
        contact=contact,
        data=ContactInput(last_name="Иванов", first_name="Иван", position="Директор"),
        by=None,
    )
    event = history_of(contact).filter(action="clients.contact_updated").get()
    assert event.changes == {"position": ["", "Директор"]}
    assert contact.points.filter(value="second@firm.ru").exists()


def test_contact_with_bad_phone_gets_a_field_error() -> None:
    with pytest.raises(ValidationError) as exc:
        services.contact_create(
            company=CompanyFactory.create(),
            data=ContactInput(last_name="Иванов", first_name="", phone="123"),
            by=None,
        )
    assert set(exc.value.message_dict) == {"first_name", "phone"}


def test_contact_left_company_keeps_the_record_and_its_history() -> None:
    contact = ContactFactory.create()
    services.interaction_record(
        company=contact.company, contact=contact, channel=Channel.PHONE, subject="Звонок"
    )
    services.contact_left_company(contact=contact, left_on=datetime.date(2024, 3, 1), by=None)
    contact.refresh_from_db()
    assert contact.left_company and contact.left_at == datetime.date(2024, 3, 1)
    assert contact.interactions.count() == 1
    assert history_of(contact).filter(action="clients.contact_left").exists()
    with pytest.raises(ValidationError):
        services.contact_left_company(
            contact=contact, left_on=timezone.localdate() + datetime.timedelta(days=3), by=None
        )


# --- timeline ----------------------------------------------------------------------------------


def test_interaction_record_is_what_other_domains_call(make_staff) -> None:
    staff = make_staff()
    contact = ContactFactory.create()
    interaction = services.interaction_record(
        company=contact.company,
        channel=Channel.EMAIL,
        subject="  Заявка   на ремонт ",
        contact=contact,
        staff=staff,
        direction="out",
        source="service.request:42",
    )
    assert interaction.subject == "Заявка на ремонт"
    assert interaction.occurred_at is not None
    assert interaction.source == "service.request:42"
    assert AuditEvent.objects.filter(action="clients.interaction_recorded").count() == 1


def test_interaction_rejects_a_contact_of_another_company_and_unknown_channel() -> None:
    contact = ContactFactory.create()
    with pytest.raises(ValidationError) as exc:
        services.interaction_record(
            company=CompanyFactory.create(), channel="pigeon", subject="x", contact=contact
        )
    assert set(exc.value.message_dict) == {"channel", "contact"}


def test_interaction_with_due_next_step_can_open_a_follow_up(make_staff) -> None:
    staff = make_staff()
    company = CompanyFactory.create()
    due = timezone.localdate() + datetime.timedelta(days=2)
    services.interaction_record(
        company=company,
        channel=Channel.MEETING,
        subject="Встреча",
        staff=staff,
        next_step="Прислать КП",
        next_step_due=due,
        create_follow_up=True,
    )
    todo = Todo.objects.get()
    assert (todo.kind, todo.title, todo.assignee, todo.due_on) == (
        Todo.Kind.FOLLOW_UP,
        "Прислать КП",
        staff,
        due,
    )


# --- contracts, revenue, to-dos ----------------------------------------------------------------


def test_contract_number_is_unique_per_company_and_dates_are_ordered() -> None:
    company = CompanyFactory.create()
    services.contract_create(company=company, data=ContractInput(number="15/24"), by=None)
    with pytest.raises(ValidationError) as exc:
        services.contract_create(
            company=company,
            data=ContractInput(
                number="15/24",
                starts_on=datetime.date(2024, 5, 1),
                ends_on=datetime.date(2024, 1, 1),
            ),
            by=None,
        )
    assert set(exc.value.message_dict) == {"number", "ends_on"}


def test_revenue_in_roubles_counts_as_base_and_foreign_needs_base_amount() -> None:
    company = CompanyFactory.create()
    record = services.revenue_record_create(
        company=company,
        data=RevenueInput(date=datetime.date(2024, 1, 5), amount=Decimal("1234.56")),
        by=None,
    )
    assert record.amount_base == Decimal("1234.56")
    with pytest.raises(ValidationError) as exc:
        services.revenue_record_create(
            company=company,
            data=RevenueInput(date=datetime.date(2024, 1, 5), amount=Decimal("10"), currency="eur"),
            by=None,
        )
    assert "amount_base" in exc.value.message_dict


def test_revenue_rejects_a_contract_of_another_company() -> None:
    other = services.contract_create(
        company=CompanyFactory.create(), data=ContractInput(number="1"), by=None
    )
    with pytest.raises(ValidationError) as exc:
        services.revenue_record_create(
            company=CompanyFactory.create(),
            data=RevenueInput(date=datetime.date(2024, 1, 5), amount=Decimal("1"), contract=other),
            by=None,
        )
    assert "contract" in exc.value.message_dict


def test_only_one_open_verification_and_done_stamps_verified(make_staff) -> None:
    manager = make_staff()
    company = CompanyFactory.create(account_manager=manager)
    first = services.todo_create(company=company, kind=Todo.Kind.VERIFY, title="Проверить")
    second = services.todo_create(company=company, kind=Todo.Kind.VERIFY, title="Проверить")
    assert first == second and first.assignee == manager
    services.todo_done(todo=first, by=manager)
    services.todo_done(todo=first, by=manager)  # twice is harmless
    company.refresh_from_db()
    assert company.verified_at is not None
    assert AuditEvent.objects.filter(action="clients.todo_done").count() == 1


def test_contact_points_are_removed_when_the_main_value_changes() -> None:
    contact = services.contact_create(
        company=CompanyFactory.create(),
        data=ContactInput(last_name="Иванов", first_name="Иван", email="a@firm.ru"),
        by=None,
    )
    services.contact_update(
        contact=contact,
        data=ContactInput(last_name="Иванов", first_name="Иван", email="b@firm.ru"),
        by=None,
    )
    assert list(ContactPoint.objects.values_list("value", flat=True)) == ["b@firm.ru"]
