"""An import keeps ContactPoint in step with the contacts' phones and e-mails, as a form does."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientdesk.clients import search
from clientdesk.clients import services as client_services
from clientdesk.clients.imports import runner, services
from clientdesk.clients.models import Contact, ContactPoint, ImportJob
from clientdesk.clients.tests.factories import CompanyFactory, valid_inn
from clientdesk.core.roles import Role

ALL = ImportJob.Mode.ALL_OR_NOTHING
VALID = ImportJob.Mode.VALID_ONLY
INN1, INN2 = valid_inn(601), valid_inn(602)
HEADER = ["ИНН компании", "ФИО", "E-mail", "Телефон"]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def import_contacts(make_staff: Any, django_capture_on_commit_callbacks: Any) -> Any:
    manager = make_staff(Role.ACCOUNT_MANAGER)

    def run(rows: list[list[str]], *, mode: str = ALL) -> ImportJob:
        content = ("\r\n".join(";".join(r) for r in [HEADER, *rows]) + "\r\n").encode("utf-8-sig")
        upload = SimpleUploadedFile("contacts.csv", content)
        job = services.create_job(
            kind=ImportJob.Kind.CONTACTS, mode=mode, upload=upload, by=manager
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.queue_job(job=job, mapping=job.mapping, mode=mode, by=manager)
        job.refresh_from_db()
        return job

    return run


def points(contact: Contact) -> set[tuple[str, str, bool]]:
    return {(p.kind, p.value, p.is_primary) for p in contact.points.all()}


@pytest.mark.django_db
def test_imported_contacts_are_found_by_phone_in_any_format_and_email_in_any_case(
    import_contacts: Any,
) -> None:
    CompanyFactory.create(inn=INN1)
    job = import_contacts(
        [
            [INN1, "Петров Иван", "Ivan.Petrov@Example.RU", "8 (495) 123-45-67"],
            [INN1, "Сидорова Анна", "", "+7 916 765-43-21"],
        ]
    )

    assert (job.status, job.created) == (ImportJob.Status.DONE, 2)
    petrov = Contact.objects.get(last_name="Петров")
    assert points(petrov) == {
        ("phone", "+74951234567", True),
        ("email", "ivan.petrov@example.ru", True),
    }
    for query in ("+7 495 123-45-67", "84951234567", "+7 (495) 1234567"):
        assert search.search_contacts(query) == [petrov], query
    # The contact's own column keeps the local part's case: only the point finds it.
    assert search.search_contacts("IVAN.PETROV@EXAMPLE.RU") == [petrov]
    sidorova = Contact.objects.get(last_name="Сидорова")
    assert points(sidorova) == {("phone", "+79167654321", True)}


@pytest.mark.django_db
def test_import_produces_the_same_points_as_the_contact_form(import_contacts: Any) -> None:
    company = CompanyFactory.create(inn=INN1)
    import_contacts([[INN1, "Петров Иван", "Ivan.Petrov@Example.RU", "8 495 123-45-67"]])
    by_form = client_services.contact_create(
        company=CompanyFactory.create(inn=INN2),
        data=client_services.ContactInput(
            last_name="Петров",
            first_name="Иван",
            email="Ivan.Petrov@Example.RU",
            phone="8 495 123-45-67",
        ),
        by=None,
    )

    assert points(Contact.objects.get(company=company)) == points(by_form)


@pytest.mark.django_db
def test_reimporting_the_same_file_adds_no_points(import_contacts: Any) -> None:
    CompanyFactory.create(inn=INN1)
    rows = [[INN1, "Петров Иван", "ivan@example.ru", "+7 495 123-45-67"]]
    import_contacts(rows)
    before = list(ContactPoint.objects.order_by("pk").values_list("pk", "kind", "value"))

    again = import_contacts(rows, mode=VALID)

    assert (again.created, again.updated) == (0, 1)
    assert list(ContactPoint.objects.order_by("pk").values_list("pk", "kind", "value")) == before


@pytest.mark.django_db
def test_imported_new_phone_replaces_the_primary_and_keeps_the_others(
    import_contacts: Any,
) -> None:
    company = CompanyFactory.create(inn=INN1)
    data = client_services.ContactInput(
        last_name="Петров",
        first_name="Иван",
        email="ivan@example.ru",
        phone="+7 495 123-45-67",
        other_phones=["+7 916 000-00-01", "+7 916 000-00-02"],
    )
    contact = client_services.contact_create(company=company, data=data, by=None)

    import_contacts([[INN1, "Петров Иван", "ivan@example.ru", "+7 916 555-55-55"]])

    expected = {
        ("phone", "+79165555555", True),
        ("phone", "+79160000001", False),
        ("phone", "+79160000002", False),
        ("email", "ivan@example.ru", True),
    }
    assert points(contact) == expected
    # The form, given the same change, ends up with the same points.
    twin = client_services.contact_create(
        company=CompanyFactory.create(inn=INN2), data=data, by=None
    )
    client_services.contact_update(
        contact=twin,
        data=client_services.ContactInput(
            last_name="Петров",
            first_name="Иван",
            email="ivan@example.ru",
            phone="+7 916 555-55-55",
        ),
        by=None,
    )
    assert points(twin) == expected
    assert search.search_contacts("+7 495 123-45-67") == []

    # A phone the contact already has as a further one becomes the primary, not a duplicate.
    import_contacts([[INN1, "Петров Иван", "ivan@example.ru", "+7 916 000-00-01"]])
    assert points(contact) == {
        ("phone", "+79160000001", True),
        ("phone", "+79160000002", False),
        ("email", "ivan@example.ru", True),
    }


@pytest.mark.django_db
def test_empty_phone_cell_leaves_the_points_alone(import_contacts: Any) -> None:
    company = CompanyFactory.create(inn=INN1)
    contact = client_services.contact_create(
        company=company,
        data=client_services.ContactInput(
            last_name="Петров",
            first_name="Иван",
            email="ivan@example.ru",
            phone="+7 495 123-45-67",
        ),
        by=None,
    )
    before = points(contact)

    import_contacts([[INN1, "Петров Иван", "ivan@example.ru", ""]])

    contact.refresh_from_db()
    assert contact.phone == "+74951234567"
    assert points(contact) == before


@pytest.mark.django_db
def test_all_or_nothing_failure_in_a_later_batch_leaves_no_points(
    import_contacts: Any, monkeypatch: Any
) -> None:
    # One row per batch: the first rows are written before the bad one is read.
    monkeypatch.setattr(runner, "BATCH_SIZE", 1)
    CompanyFactory.create(inn=INN1)
    job = import_contacts(
        [
            [INN1, "Петров Иван", "ivan@example.ru", "+7 495 123-45-67"],
            [INN1, "Сидоров Пётр", "petr@example.ru", "+7 495 765-43-21"],
            [INN2, "Никто Никак", "", "+7 916 111-22-33"],
        ]
    )

    assert job.status == ImportJob.Status.FAILED
    assert job.rejected == 1
    assert not Contact.objects.exists()
    assert not ContactPoint.objects.exists()


@pytest.mark.django_db
def test_valid_only_import_writes_points_of_the_valid_rows(import_contacts: Any) -> None:
    CompanyFactory.create(inn=INN1)
    job = import_contacts(
        [
            [INN1, "Петров Иван", "ivan@example.ru", "+7 495 123-45-67"],
            [INN1, "Сидоров Пётр", "", "12345"],
        ],
        mode=VALID,
    )

    assert (job.created, job.rejected) == (1, 1)
    assert set(ContactPoint.objects.values_list("value", flat=True)) == {
        "+74951234567",
        "ivan@example.ru",
    }


@pytest.mark.django_db
def test_points_cost_the_same_queries_for_ten_rows_as_for_one(import_contacts: Any) -> None:
    CompanyFactory.create(inn=INN1)

    def queries(count: int, first: int) -> int:
        numbers = range(first, first + count)
        rows = [[INN1, f"Петров{n} Иван", f"i{n}@example.ru", f"+749512345{n}"] for n in numbers]
        assert import_contacts(rows).created == count
        # The second run updates every phone: the costlier path.
        for row, n in zip(rows, numbers, strict=True):
            row[3] = f"+791676543{n}"
        with CaptureQueriesContext(connection) as ctx:
            import_contacts(rows)
        return len(ctx.captured_queries)

    assert queries(10, 10) == queries(1, 30)
    assert ContactPoint.objects.filter(kind="phone", is_primary=True).count() == 11
    assert ContactPoint.objects.filter(kind="phone").count() == 11
