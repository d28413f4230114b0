"""Exporting filtered lists to CSV and Excel."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from clientdesk.clients.exports import neutralise
from clientdesk.clients.models import CompanyStatus
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

EVIL = '=HYPERLINK("http://evil.example","click")'


def _csv(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_neutralise_prefixes_formula_text_but_leaves_numbers() -> None:
    for text in ("=1+2", "+7 495", "-cmd", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("ООО Ромашка") == "ООО Ромашка"
    assert neutralise(Decimal("-1500.50")) == Decimal("-1500.50")
    assert neutralise(-3) == -3


@pytest.mark.django_db
def test_csv_export_is_excel_friendly_and_neutralises_formulas(
    make_staff: Any, login_as: Any
) -> None:
    CompanyFactory.create(
        legal_name=EVIL, short_name="", annual_revenue=Decimal("-1500.50"), phone="+74951234567"
    )
    client = login_as(make_staff(Role.ANALYST))
    response = client.get(reverse("clients:export_companies"), {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = _csv(response)
    assert text.startswith("\ufeff")
    header, row = text.lstrip("\ufeff").splitlines()[:2]
    assert header.split(";")[:3] == ["Registry ID", "Legal name", "Short name"]
    assert "'=HYPERLINK(" in row
    assert ";-1500,50;" in row  # a negative number stays a number, with a decimal comma
    assert ";'+7 495 123-45-67;" in row


@pytest.mark.django_db
def test_xlsx_export_reads_back_with_neutralised_text_and_real_numbers(
    make_staff: Any, login_as: Any
) -> None:
    CompanyFactory.create(legal_name=EVIL, annual_revenue=Decimal("-1500.50"), employees=12)
    client = login_as(make_staff(Role.ANALYST))
    response = client.get(reverse("clients:export_companies"), {"format": "xlsx"})

    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.active is not None
    rows = list(wb.active.iter_rows(values_only=True))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[1] == "Legal name"
    assert row["Legal name"] == "'" + EVIL
    assert row["Annual revenue"] == -1500.5
    assert row["Employees"] == 12
    assert all(not (isinstance(v, str) and v.startswith("=")) for r in rows for v in r)


@pytest.mark.django_db
def test_export_follows_the_list_filters_and_is_audited(make_staff: Any, login_as: Any) -> None:
    CompanyFactory.create(status=CompanyStatus.ACTIVE, legal_name="Активная")
    CompanyFactory.create(status=CompanyStatus.LOST, legal_name="Потерянная")
    user = make_staff(Role.MARKETER)
    response = login_as(user).get(reverse("clients:export_companies"), {"status": "lost"})

    text = _csv(response)
    assert "Потерянная" in text
    assert "Активная" not in text
    event = AuditEvent.objects.get(action="clients.export")
    assert event.actor == user
    assert event.changes["rows"] == 1
    assert event.changes["filters"] == {"status": "lost"}


@pytest.mark.django_db
def test_contacts_export_includes_company(make_staff: Any, login_as: Any) -> None:
    contact = ContactFactory.create(position="-Директор")
    response = login_as(make_staff(Role.ANALYST)).get(reverse("clients:export_contacts"))
    text = _csv(response)
    assert contact.company.inn in text
    assert "'-Директор" in text


@pytest.mark.django_db
def test_exported_companies_import_back_as_updates(
    make_staff: Any,
    login_as: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clientdesk.clients.imports import services
    from clientdesk.clients.models import Company, ImportJob

    settings.MEDIA_ROOT = tmp_path
    CompanyFactory.create_batch(3)
    user = make_staff(Role.ACCOUNT_MANAGER)
    content = _csv(login_as(user).get(reverse("clients:export_companies"))).encode("utf-8")
    job = services.create_job(
        kind="companies", mode="all", upload=SimpleUploadedFile("export.csv", content), by=user
    )
    assert {"legal_name", "inn", "kpp", "short_name", "status", "phone"} <= set(job.mapping)
    assert "external_id" in job.mapping
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_job(job=job, mapping=job.mapping, mode="all", by=user)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.created, job.updated) == (0, 3)
    assert Company.objects.count() == 3


@pytest.mark.django_db
def test_export_needs_the_export_right(
    make_staff: Any, make_portal_user: Any, login_as: Any
) -> None:
    assert (
        login_as(make_staff(Role.CALL_OPERATOR))
        .get(reverse("clients:export_companies"))
        .status_code
        == 403
    )
    assert login_as(make_portal_user()).get(reverse("clients:export_contacts")).status_code == 403
