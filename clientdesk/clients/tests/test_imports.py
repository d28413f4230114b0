"""Importing the registry from CSV and Excel files as Russian users have them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from clientdesk.clients import search
from clientdesk.clients.imports import runner, services, writers
from clientdesk.clients.imports.columns import guess_mapping
from clientdesk.clients.imports.readers import inspect
from clientdesk.clients.models import (
    Company,
    Contact,
    ImportJob,
    Industry,
    LegalForm,
    Offering,
    Region,
    RevenueRecord,
)
from clientdesk.clients.tests.factories import CompanyFactory, valid_inn
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

ALL = ImportJob.Mode.ALL_OR_NOTHING
VALID = ImportJob.Mode.VALID_ONLY
INN1, INN2, INN3 = valid_inn(501), valid_inn(502), valid_inn(503)
BAD_INN = INN1[:-1] + str((int(INN1[-1]) + 1) % 10)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def manager(make_staff: Any) -> Any:
    return make_staff(Role.ACCOUNT_MANAGER)


@pytest.fixture
def do_import(manager: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Uploads a file, keeps the guessed mapping (or the one given) and runs the import."""

    def run(
        content: bytes,
        *,
        name: str = "file.csv",
        kind: str = ImportJob.Kind.COMPANIES,
        mode: str = ALL,
        mapping: dict[str, int] | None = None,
    ) -> ImportJob:
        upload = SimpleUploadedFile(name, content)
        job = services.create_job(kind=kind, mode=mode, upload=upload, by=manager)
        with django_capture_on_commit_callbacks(execute=True):
            services.queue_job(job=job, mapping=mapping or job.mapping, mode=mode, by=manager)
        job.refresh_from_db()
        return job

    return run


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8-sig") -> bytes:
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    return text.encode(encoding)


def xlsx_bytes(rows: list[list[Any]], tmp_path: Any) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    path = tmp_path / "f.xlsx"
    wb.save(path)
    return path.read_bytes()


RU_HEADER = ["ИНН организации", "КПП", "Полное наименование", "Телефон", "Эл. почта", "Выручка"]
EN_HEADER = ["INN", "KPP", "Name", "Phone", "Email", "Annual revenue"]


def company_rows(header: list[str]) -> list[list[str]]:
    return [
        header,
        [
            INN1,
            "770101001",
            'ООО "Ромашка"',
            "+7 495 123-45-67",
            "info@romashka.ru",
            "1 234 567,89",
        ],
        [INN2, "770201001", "АО «Лютик»", "8 (495) 765-43-21", "", "15000"],
    ]


# --- files as they come ----------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "delimiter", "header"),
    [
        ("utf-8-sig", ";", RU_HEADER),
        ("utf-8", ",", EN_HEADER),
        ("cp1251", ";", RU_HEADER),
        ("cp1251", "\t", EN_HEADER),
        ("utf-16", "\t", RU_HEADER),
    ],
    ids=[
        "utf8-bom-semicolon-ru",
        "utf8-comma-en",
        "cp1251-semicolon-ru",
        "cp1251-tab-en",
        "utf16-tab-ru",
    ],
)
def test_import_reads_encodings_delimiters_and_header_languages(
    do_import: Any, encoding: str, delimiter: str, header: list[str]
) -> None:
    rows = company_rows(header)
    if delimiter == ",":
        rows[1][5] = '"1 234 567,89"'
    job = do_import(csv_bytes(rows, delimiter=delimiter, encoding=encoding))

    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.created, job.updated, job.rejected) == (2, 0, 0)
    romashka = Company.objects.get(inn=INN1)
    assert romashka.legal_name == 'ООО "Ромашка"'
    assert romashka.legal_form == LegalForm.OOO
    assert romashka.kpp == "770101001"
    assert romashka.phone == "+74951234567"
    assert romashka.email == "info@romashka.ru"
    assert romashka.annual_revenue == Decimal("1234567.89")
    assert romashka.search_name == "ооо ромашка"
    assert romashka.completeness > 0
    assert Company.objects.get(inn=INN2).legal_form == LegalForm.AO


def test_header_synonyms_are_recognised() -> None:
    headers = ["№", "ИНН организации", "Наименование", "КПП", "ОГРН", "Эл. почта", "Тел.", "ОКВЭД"]
    mapping = guess_mapping(ImportJob.Kind.COMPANIES, headers)
    assert mapping == {
        "inn": 1,
        "legal_name": 2,
        "kpp": 3,
        "ogrn": 4,
        "email": 5,
        "phone": 6,
        "industry": 7,
    }
    contacts = guess_mapping(
        ImportJob.Kind.CONTACTS, ["ИНН компании", "ФИО", "E-mail", "Должность"]
    )
    assert contacts == {"company_inn": 0, "full_name": 1, "email": 2, "position": 3}


def test_title_rows_above_the_header_are_skipped(tmp_path: Any) -> None:
    path = tmp_path / "1c.csv"
    path.write_bytes(csv_bytes([["Список контрагентов"], [], ["ИНН", "Наименование"], [INN1, "X"]]))
    info = inspect(path)
    assert info.header_row == 3
    assert info.headers == ["ИНН", "Наименование"]
    assert info.delimiter == ";"


@pytest.mark.django_db
def test_import_reads_xlsx_with_number_and_date_cells(do_import: Any, tmp_path: Any) -> None:
    company = CompanyFactory.create(inn=INN1, kpp="770101001")
    Offering.objects.create(code="AUDIT", name="Аудит")
    content = xlsx_bytes(
        [
            ["ИНН", "КПП", "Дата", "Сумма", "Валюта", "Услуга", "Внешний код"],
            [int(INN1), 770101001, dt.datetime(2025, 12, 31), 1234567.89, "руб.", "audit", "R-1"],  # noqa: DTZ001
            [int(INN1), 770101001, dt.datetime(2025, 1, 15), -500, "RUB", "Аудит", "R-2"],  # noqa: DTZ001
        ],
        tmp_path,
    )
    job = do_import(content, name="revenue.xlsx", kind=ImportJob.Kind.REVENUE)

    assert job.status == ImportJob.Status.DONE, job.errors
    records = {r.external_id: r for r in RevenueRecord.objects.filter(company=company)}
    assert records["R-1"].date == dt.date(2025, 12, 31)
    assert records["R-1"].amount == Decimal("1234567.89")
    assert records["R-1"].amount_base == Decimal("1234567.89")
    assert records["R-1"].offering == Offering.objects.get(code="AUDIT")
    assert records["R-2"].amount == Decimal("-500")
    assert records["R-2"].offering == records["R-1"].offering


@pytest.mark.django_db
def test_import_reads_russian_numbers_and_dates(do_import: Any) -> None:
    CompanyFactory.create(inn=INN1, kpp="770101001")
    content = csv_bytes(
        [
            ["ИНН", "Дата", "Сумма", "Валюта", "Курс", "ID"],
            [INN1, "31.12.2025", "1 234 567,89", "RUB", "", "a"],
            [INN1, "2025-06-30", "-1\u00a0000,50", "", "", "b"],
            [INN1, "01.02.2025 0:00:00", "100", "USD", "92,5", "c"],
        ]
    )
    job = do_import(content, kind=ImportJob.Kind.REVENUE)

    assert job.status == ImportJob.Status.DONE, job.errors
    r = {x.external_id: x for x in RevenueRecord.objects.all()}
    assert (r["a"].date, r["a"].amount) == (dt.date(2025, 12, 31), Decimal("1234567.89"))
    assert (r["b"].date, r["b"].amount) == (dt.date(2025, 6, 30), Decimal("-1000.50"))
    assert (r["c"].date, r["c"].currency) == (dt.date(2025, 2, 1), "USD")
    assert r["c"].amount_base == Decimal("9250.00")


@pytest.mark.django_db
def test_foreign_currency_without_rate_is_rejected_with_a_message(do_import: Any) -> None:
    CompanyFactory.create(inn=INN1, kpp="770101001")
    content = csv_bytes([["ИНН", "Дата", "Сумма", "Валюта"], [INN1, "31.12.2025", "100", "EUR"]])
    job = do_import(content, kind=ImportJob.Kind.REVENUE, mode=VALID)

    assert (job.created, job.rejected) == (0, 1)
    assert job.errors[0]["row"] == 2
    assert job.errors[0]["column"] == "Валюта"
    assert "EUR" in job.errors[0]["message"]
    assert not RevenueRecord.objects.exists()


# --- validation and modes --------------------------------------------------------------------
@pytest.mark.django_db
def test_import_rejects_bad_inn_and_keeps_data(do_import: Any) -> None:
    existing = CompanyFactory.create(inn=INN3, kpp="770101001", legal_name="Было", phone="")
    before = (Company.objects.count(), Company.objects.values().get(pk=existing.pk))
    rows = [RU_HEADER, [INN3, "770101001", "Стало", "+7 495 123-45-67", "", ""]]
    rows += [[INN2, "770201001", "Новая", "", "", ""]] * 9
    rows.append([BAD_INN, "770101001", "Опечатка", "", "", ""])  # row 12 of the file
    job = do_import(csv_bytes(rows), mode=ALL)

    assert job.status == ImportJob.Status.FAILED
    assert (job.created, job.updated, job.rejected) == (0, 0, 1)
    assert job.errors == [
        {
            "row": 12,
            "column": "ИНН организации",
            "message": f"INN {BAD_INN} has a wrong check digit: check it for a typo.",
        }
    ]
    assert (Company.objects.count(), Company.objects.values().get(pk=existing.pk)) == before


@pytest.mark.django_db
def test_valid_only_writes_the_good_rows_and_reports_the_others(do_import: Any) -> None:
    rows = company_rows(RU_HEADER)
    rows.append([BAD_INN, "", "Опечатка", "", "", ""])
    rows.append([valid_inn(504), "", "Плохой телефон", "12", "not-an-email", ""])
    job = do_import(csv_bytes(rows), mode=VALID)

    assert job.status == ImportJob.Status.DONE
    assert (job.created, job.updated, job.rejected) == (2, 0, 2)
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (4, "ИНН организации"),
        (5, "Телефон"),
        (5, "Эл. почта"),
    }
    assert set(Company.objects.values_list("inn", flat=True)) == {INN1, INN2}


@pytest.mark.django_db
def test_reimporting_the_same_file_updates_instead_of_duplicating(do_import: Any) -> None:
    content = csv_bytes(company_rows(RU_HEADER))
    first = do_import(content)
    changed = content.replace("Ромашка".encode(), "Ромашка-2".encode())
    second = do_import(changed)

    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated) == (0, 2)
    assert Company.objects.count() == 2
    assert Company.objects.get(inn=INN1).legal_name == 'ООО "Ромашка-2"'
    assert Company.objects.get(inn=INN1).search_name == "ооо ромашка-2"
    assert list(search.filter_companies({"q": "ромашка"})) == [Company.objects.get(inn=INN1)]


@pytest.mark.django_db
def test_company_found_by_external_id_keeps_its_inn_unique(do_import: Any) -> None:
    CompanyFactory.create(inn=INN1, kpp="770101001", external_id="1C-1")
    CompanyFactory.create(inn=INN2, kpp="770101001", external_id="1C-2")
    content = csv_bytes([["Код", "ИНН", "КПП", "Наименование"], ["1C-1", INN2, "770101001", "X"]])
    job = do_import(content, mode=VALID)

    assert job.rejected == 1
    assert "another company" in job.errors[0]["message"]
    assert Company.objects.get(external_id="1C-1").inn == INN1


@pytest.mark.django_db
def test_contacts_link_to_companies_and_reimport_updates(do_import: Any) -> None:
    company = CompanyFactory.create(inn=INN1, kpp="770101001")
    branch = CompanyFactory.create(inn=INN2, kpp="770101001")
    CompanyFactory.create(inn=INN2, kpp="770201001")
    rows = [
        ["ИНН компании", "КПП", "ФИО", "Должность", "E-mail", "Телефон"],
        [INN1, "", "Иванов Иван Иванович", "Директор", "ivanov@x.ru", "+7 916 123-45-67"],
        [INN2, "770101001", "Петрова Анна", "Бухгалтер", "", ""],
        [INN2, "", "Сидоров Пётр", "", "", ""],
        [INN3, "", "Никто Никак", "", "", ""],
    ]
    job = do_import(csv_bytes(rows), kind=ImportJob.Kind.CONTACTS, mode=VALID)

    assert (job.created, job.rejected) == (2, 2)
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (4, "ИНН компании"),
        (5, "ИНН компании"),
    ]
    ivanov = Contact.objects.get(company=company)
    assert (ivanov.last_name, ivanov.first_name, ivanov.patronymic) == (
        "Иванов",
        "Иван",
        "Иванович",
    )
    assert ivanov.search_name == "иванов иван иванович"
    assert ivanov.phone == "+79161234567"
    assert Contact.objects.get(company=branch).last_name == "Петрова"

    rows[1][3] = "Генеральный директор"
    again = do_import(csv_bytes(rows[:3]), kind=ImportJob.Kind.CONTACTS)
    assert (again.created, again.updated) == (0, 2)
    assert Contact.objects.count() == 2
    assert Contact.objects.get(company=company).position == "Генеральный директор"


@pytest.mark.django_db
def test_companies_get_industry_and_region_from_reference_rows(do_import: Any) -> None:
    Industry.objects.create(code="62.01", section="J", name="Разработка ПО")
    Region.objects.create(code="77", name="Москва")
    rows = [["ИНН", "Наименование", "ОКВЭД", "Регион"], [INN1, "ООО Альфа", "62.01.1", "г. Москва"]]
    rows.append([INN2, "ООО Бета", "99.99", "Марс"])
    job = do_import(csv_bytes(rows), mode=VALID)

    alpha = Company.objects.get(inn=INN1)
    assert (alpha.industry, alpha.region) == (Industry.objects.get(), Region.objects.get())
    assert {e["column"] for e in job.errors} == {"ОКВЭД", "Регион"}


@pytest.mark.django_db
def test_revenue_reimport_matches_by_company_date_amount_and_offering(do_import: Any) -> None:
    CompanyFactory.create(inn=INN1, kpp="770101001")
    content = csv_bytes(
        [["ИНН", "Дата", "Сумма"], [INN1, "31.12.2025", "100,00"], [INN1, "31.12.2025", "200"]]
    )
    do_import(content, kind=ImportJob.Kind.REVENUE)
    again = do_import(content, kind=ImportJob.Kind.REVENUE)

    assert (again.created, again.updated) == (0, 2)
    assert RevenueRecord.objects.count() == 2


# --- failures --------------------------------------------------------------------------------
def _crash_on_second_batch(monkeypatch: Any) -> None:
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    original = writers.CompanyWriter._write
    calls = {"n": 0}

    def write(self: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        original(self, *args, **kwargs)
        if calls["n"] == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(writers.CompanyWriter, "_write", write)


def _five_companies() -> bytes:
    rows = [["ИНН", "Наименование"]] + [[valid_inn(600 + i), f"ООО Фирма {i}"] for i in range(5)]
    return csv_bytes(rows)


@pytest.mark.django_db
def test_crash_mid_way_in_all_or_nothing_leaves_nothing(do_import: Any, monkeypatch: Any) -> None:
    CompanyFactory.create()
    before = Company.objects.count()
    _crash_on_second_batch(monkeypatch)
    job = do_import(_five_companies(), mode=ALL)

    assert job.status == ImportJob.Status.FAILED
    assert (job.created, job.updated) == (0, 0)
    assert "internal error" in job.errors[-1]["message"]
    assert Company.objects.count() == before


@pytest.mark.django_db
def test_crash_mid_way_in_valid_only_keeps_whole_batches_only(
    do_import: Any, monkeypatch: Any
) -> None:
    _crash_on_second_batch(monkeypatch)
    job = do_import(_five_companies(), mode=VALID)

    assert job.status == ImportJob.Status.FAILED
    # Batch 1 committed; batch 2 was written, then failed, and was rolled back entirely.
    assert Company.objects.count() == 2
    assert (job.created, job.rows_done) == (2, 2)


@pytest.mark.django_db
def test_running_a_job_twice_imports_once(do_import: Any) -> None:
    job = do_import(csv_bytes(company_rows(RU_HEADER)))
    assert services.run_import_job(job.pk) is None
    assert Company.objects.count() == 2


@pytest.mark.django_db
def test_import_records_one_audit_event_with_counts(do_import: Any) -> None:
    job = do_import(csv_bytes(company_rows(RU_HEADER)))
    event = AuditEvent.objects.get(action="clients.import")
    assert event.target_id == str(job.pk)
    assert event.changes["created"] == 2
    assert event.changes["rejected"] == 0


@pytest.mark.django_db
def test_old_xls_and_empty_files_are_refused_with_advice(manager: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="xlsx"):
        services.create_job(
            kind="companies",
            mode=ALL,
            upload=SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0rest"),
            by=manager,
        )
    with pytest.raises(ValidationError, match="empty"):
        services.create_job(
            kind="companies", mode=ALL, upload=SimpleUploadedFile("e.csv", b""), by=manager
        )


# --- pages -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_upload_mapping_preview_and_report_pages(
    manager: Any, login_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = login_as(manager)
    rows = [*company_rows(RU_HEADER), [BAD_INN, "", "Опечатка", "", "", ""]]
    upload = SimpleUploadedFile("clients.csv", csv_bytes(rows))
    response = client.post(
        reverse("clients:import_new"), {"kind": "companies", "mode": VALID, "file": upload}
    )
    job = ImportJob.objects.get()
    assert response.url == reverse("clients:import_mapping", args=[job.pk])

    page = client.get(response.url)
    assert page.status_code == 200
    assert "1234567.89" in page.content.decode()  # the preview shows values as they will be read
    assert "wrong check digit" in page.content.decode()
    form = {f"map_{k}": str(v) for k, v in job.mapping.items()} | {"mode": VALID}

    partial = client.post(
        reverse("clients:import_preview", args=[job.pk]), form, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("clients:import_mapping", args=[job.pk]), form)
    assert done.url == reverse("clients:import_detail", args=[job.pk])
    report = client.get(done.url).content.decode()
    assert "Row 4, column «ИНН организации»" in report
    progress = client.get(reverse("clients:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"


@pytest.mark.django_db
def test_mapping_without_required_columns_is_refused(manager: Any, login_as: Any) -> None:
    client = login_as(manager)
    upload = SimpleUploadedFile("c.csv", csv_bytes(company_rows(RU_HEADER)))
    client.post(reverse("clients:import_new"), {"kind": "companies", "mode": ALL, "file": upload})
    job = ImportJob.objects.get()
    response = client.post(
        reverse("clients:import_mapping", args=[job.pk]), {"mode": ALL, "map_inn": "0"}
    )
    assert response.status_code == 200
    assert "Legal name" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["import_list", "import_new"])
def test_analyst_cannot_import(make_staff: Any, login_as: Any, route: str) -> None:
    client = login_as(make_staff(Role.ANALYST))
    assert client.get(reverse(f"clients:{route}")).status_code == 403


@pytest.mark.django_db
def test_portal_user_gets_403_on_import_pages(
    make_portal_user: Any, login_as: Any, manager: Any
) -> None:
    job = ImportJob.objects.create(kind="companies", original_name="x.csv", created_by=manager)
    client = login_as(make_portal_user())
    assert client.get(reverse("clients:import_list")).status_code == 403
    assert client.get(reverse("clients:import_detail", args=[job.pk])).status_code == 403
    assert client.post(reverse("clients:import_new")).status_code == 403


@pytest.mark.django_db
def test_import_log_lists_jobs_in_constant_queries(
    manager: Any, login_as: Any, django_assert_max_num_queries: Any, make_staff: Any
) -> None:
    for i in range(15):
        ImportJob.objects.create(
            kind="companies",
            original_name=f"f{i}.csv",
            created_by=make_staff(Role.SUPERVISOR),
            errors=[{"row": 2, "column": "ИНН", "message": "x"}] * 100,
        )
    client = login_as(manager)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("clients:import_list"))
    assert response.status_code == 200
    assert "f14.csv" in response.content.decode()


@pytest.mark.django_db
def test_xlsx_errors_name_the_spreadsheet_row(do_import: Any, tmp_path: Any) -> None:
    content = xlsx_bytes(
        [["Наименование", "ИНН"], ["ООО Альфа", int(INN1)], [None, None], ["ООО Бета", 12345]],
        tmp_path,
    )
    job = do_import(content, name="companies.xlsx", mode=VALID)

    assert (job.created, job.rejected) == (1, 1)
    assert (job.errors[0]["row"], job.errors[0]["column"]) == (4, "ИНН")


@pytest.mark.django_db
def test_progress_bar_polls_while_the_import_runs(manager: Any, login_as: Any) -> None:
    from django.core.cache import cache

    job = ImportJob.objects.create(
        kind="companies",
        original_name="big.csv",
        status=ImportJob.Status.RUNNING,
        rows_total=1_000_000,
        created_by=manager,
    )
    cache.set(runner.progress_key(job.pk), 4000)
    response = login_as(manager).get(
        reverse("clients:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'value="4000"' in html
    assert "HX-Refresh" not in response


@pytest.mark.django_db
def test_valid_only_counts_add_up_across_batches(do_import: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    do_import(_five_companies(), mode=VALID)
    again = do_import(_five_companies(), mode=VALID)

    assert (again.rows_done, again.created, again.updated, again.rejected) == (5, 0, 5, 0)
    assert Company.objects.count() == 5


@pytest.mark.django_db
def test_country_names_and_bare_websites_are_accepted(do_import: Any) -> None:
    rows = [["ИНН", "Наименование", "Страна", "Сайт"], [INN1, "ООО Альфа", "Россия", "alfa.ru"]]
    rows.append([INN2, "ООО Бета", "Марс", "не сайт"])
    job = do_import(csv_bytes(rows), mode=VALID)

    alpha = Company.objects.get(inn=INN1)
    assert (alpha.country, alpha.website) == ("RU", "https://alfa.ru")
    assert {e["column"] for e in job.errors} == {"Страна", "Сайт"}


# --- large imports on SQLite rebuild the search indexes once instead of row by row ---------------
def _search_triggers() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall() if "_search_" in row[0]}


@pytest.mark.django_db
def test_large_import_rebuilds_search_and_finds_every_company(
    do_import: Any, monkeypatch: Any
) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the rebuild is SQLite only")
    triggers = _search_triggers()
    assert triggers
    monkeypatch.setattr(runner, "REBUILD_SEARCH_FROM_ROWS", 1)
    calls: list[str] = []
    drop = search.drop_search_indexes

    def counted_drop() -> None:
        calls.append("drop")
        drop()

    monkeypatch.setattr(search, "drop_search_indexes", counted_drop)
    job = do_import(csv_bytes(company_rows(RU_HEADER)))
    assert job.status == ImportJob.Status.DONE and calls == ["drop"]
    assert _search_triggers() == triggers
    assert list(search.filter_companies({"q": "ромашка"})) == [Company.objects.get(inn=INN1)]
    # The triggers are back: a company added afterwards is found as well.
    CompanyFactory.create(legal_name='ООО "Незабудка"', search_name='ооо "незабудка"')
    assert search.filter_companies({"q": "незабудка"}).count() == 1


@pytest.mark.django_db
def test_failed_large_import_leaves_the_search_indexes_as_they_were(
    do_import: Any, monkeypatch: Any
) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the rebuild is SQLite only")
    CompanyFactory.create(legal_name='ООО "Лютик"', search_name='ооо "лютик"')
    triggers = _search_triggers()
    monkeypatch.setattr(runner, "REBUILD_SEARCH_FROM_ROWS", 1)
    rows = company_rows(RU_HEADER)
    rows[-1][1] = "1234567890"  # a wrong check digit: the whole import is undone
    job = do_import(csv_bytes(rows))
    assert job.status == ImportJob.Status.FAILED
    assert _search_triggers() == triggers
    assert search.filter_companies({"q": "лютик"}).count() == 1
    assert not search.filter_companies({"q": "ромашка"}).exists()


@pytest.mark.django_db
def test_small_or_valid_only_imports_keep_the_triggers(do_import: Any, monkeypatch: Any) -> None:
    calls: list[str] = []
    monkeypatch.setattr(search, "drop_search_indexes", lambda: calls.append("drop"))
    do_import(csv_bytes(company_rows(RU_HEADER)))  # 2 rows: under the threshold
    monkeypatch.setattr(runner, "REBUILD_SEARCH_FROM_ROWS", 1)
    do_import(csv_bytes(company_rows(RU_HEADER)), mode=VALID)
    # Contacts: their triggers cost about what a rebuild does.
    rows = [["ИНН компании", "ФИО"], [INN1, "Иванов Иван"], [INN2, "Петрова Анна"]]
    job = do_import(csv_bytes(rows), kind=ImportJob.Kind.CONTACTS)
    assert job.status == ImportJob.Status.DONE and job.created == 2
    assert calls == []
