"""The standard forms as PDF: the same figures as the XLSX, the request's language, tables that
run over pages with their header row repeated, and the rights."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from clientdesk.clients.models import Channel
from clientdesk.core.roles import Role
from clientdesk.service import report_pdf, selectors
from clientdesk.service.models import ServiceRequest
from clientdesk.service.services import RequestInput, request_create

from .factories import new_company, new_unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _readable_pdf(settings):
    settings.SERVICE_REPORT_PDF_COMPRESS = False


def pdf_text(data: bytes) -> str:
    """The text of an uncompressed fpdf2 file: strings hold glyph ids, which each font's ToUnicode
    map turns back into characters. Every string is decoded with every font's map, so a search
    may match a wrong decoding only by a coincidence no test here relies on."""
    maps = [
        {int(a, 16): chr(int(b, 16)) for a, b in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>", m)}
        for m in re.findall(rb"begincmap(.*?)endcmap", data, re.S)
    ]
    out: list[str] = []
    for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", data, re.S):
        unescaped = re.sub(
            rb"\\(.)", lambda m: {b"r": b"\r", b"n": b"\n"}.get(m[1], m[1]), raw, flags=re.S
        )
        ids = [int.from_bytes(unescaped[i : i + 2], "big") for i in range(0, len(unescaped), 2)]
        out.extend("".join(cmap.get(g, "\ufffd") for g in ids) for cmap in maps)
    return "\n".join(out)


def make_requests(n: int, *, assignee=None, team=None, resolved: bool = False):
    out = []
    for i in range(n):
        r = request_create(
            data=RequestInput(
                company=new_company(),
                contact=None,
                channel=Channel.PHONE,
                subject=f"Вопрос {i}",
                body="текст",
            ),
            by=None,
        )
        ServiceRequest.objects.filter(pk=r.pk).update(
            assignee=assignee, team=team, resolved_at=timezone.now() if resolved else None
        )
        out.append(r)
    return out


def test_unit_pdf_downloads_for_a_supervisor_with_the_figures_of_the_xlsx(
    make_staff, login_as
) -> None:
    unit = new_unit(name="Отдел сопровождения", name_en="Support desk")
    make_requests(3, team=unit, resolved=True)
    make_requests(4, team=unit)
    supervisor = login_as(make_staff(Role.SUPERVISOR))
    url = reverse("service:report_unit") + f"?unit={unit.pk}"

    response = supervisor.get(url + "&format=pdf", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Unit's monthly service report" in text
    assert "Support desk" in text
    assert "Generated" in text
    book = load_workbook(
        io.BytesIO(supervisor.get(url + "&format=xlsx", HTTP_ACCEPT_LANGUAGE="en").content)
    )
    figures = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert figures["Requests"] == 7 and figures["Resolved"] == 3
    summary = re.search(r"Requests\n(?:.*\n)*?7\n", text)
    assert summary, "the PDF lists the same count of requests as the XLSX"


def test_pdf_and_xlsx_come_from_the_same_form(make_staff) -> None:
    unit = new_unit()
    make_requests(5, team=unit, resolved=True)
    today = timezone.localdate()
    with translation.override("en"):
        form = report_pdf.unit_monthly_form(selectors.unit_monthly(unit, today.year, today.month))
        sheets = report_pdf.xlsx_sheets(form)
    assert [title for title, _rows in sheets] == [s.title for s in form.sections]
    assert ["Requests", 5] in sheets[0][1] and ["Resolved", 5] in sheets[0][1]
    assert sheets[0][1][1:3] == [["Unit", str(unit)], ["Month", f"{today:%Y-%m}"]]
    assert report_pdf.render(form).startswith(b"%PDF")


def test_operator_pdf_is_in_the_requests_language(make_staff, login_as) -> None:
    operator = make_staff(Role.CALL_OPERATOR)
    client = login_as(operator)
    url = reverse("service:report_operator") + "?format=pdf"
    for language in ("ru", "en"):
        with translation.override(language):
            title = translation.gettext("Operator's daily report")
            heading = translation.gettext("Requests resolved")
        text = pdf_text(client.get(url, HTTP_ACCEPT_LANGUAGE=language).content)
        assert title in text and heading in text


def test_long_table_runs_over_pages_and_repeats_its_header_row(make_staff, login_as) -> None:
    operator = make_staff(Role.CALL_OPERATOR)
    requests = make_requests(70, assignee=operator, resolved=True)
    supervisor = login_as(make_staff(Role.SUPERVISOR))

    response = supervisor.get(
        reverse("service:report_operator") + f"?user={operator.pk}&format=pdf",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    pages = len(re.findall(rb"/Type /Page\b(?!s)", response.content))
    assert pages >= 2
    text = pdf_text(response.content)
    assert text.count("Number") >= pages, "the header row is on every page"
    assert all(r.number in text for r in requests)
    assert f"Page {pages} of" in text


def test_operator_may_not_have_the_unit_pdf_and_a_marketer_not_the_daily_one(
    make_staff, login_as
) -> None:
    unit = new_unit()
    operator = login_as(make_staff(Role.CALL_OPERATOR))
    assert (
        operator.get(reverse("service:report_unit") + f"?unit={unit.pk}&format=pdf").status_code
        == 403
    )
    marketer = login_as(make_staff(Role.MARKETER))
    assert marketer.get(reverse("service:report_operator") + "?format=pdf").status_code == 403


def test_portal_user_gets_403_on_both_pdfs(make_portal_user, login_as) -> None:
    unit = new_unit()
    client = login_as(make_portal_user())
    assert client.get(reverse("service:report_operator") + "?format=pdf").status_code == 403
    assert (
        client.get(reverse("service:report_unit") + f"?unit={unit.pk}&format=pdf").status_code
        == 403
    )
