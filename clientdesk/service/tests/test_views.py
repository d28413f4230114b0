"""Staff pages: rights, queues with bounded queries, the request page and its actions,
attachments, reports."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from clientdesk.clients.models import Channel
from clientdesk.core.roles import Role
from clientdesk.service.models import Attachment, RequestMessage, ServiceRequest, Status
from clientdesk.service.services import RequestInput, request_create

from .factories import make_agent, new_company, new_contact, new_service, new_unit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_requests(n: int, assignee=None, team=None) -> list[ServiceRequest]:
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
        ServiceRequest.objects.filter(pk=r.pk).update(assignee=assignee, team=team)
        out.append(r)
    return out


@pytest.mark.parametrize(
    "name", ["service:my_queue", "service:triage_queue", "service:request_new", "service:catalogue"]
)
def test_marketer_and_portal_user_get_403_on_service_pages(
    make_staff, make_portal_user, login_as, name
) -> None:
    assert login_as(make_staff(Role.MARKETER)).get(reverse(name)).status_code == 403
    assert login_as(make_portal_user()).get(reverse(name)).status_code == 403


def test_operator_cannot_open_the_supervisor_view_or_reports(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.CALL_OPERATOR))
    assert client.get(reverse("service:supervisor")).status_code == 403
    assert client.get(reverse("service:reports")).status_code == 403


def test_my_queue_query_count_does_not_grow_with_rows(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    operator = make_staff(Role.CALL_OPERATOR)
    make_requests(3, assignee=operator)
    client = login_as(operator)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("service:my_queue"))
    make_requests(20, assignee=operator)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("service:my_queue"))
    assert response.content.decode().count("data-kb-row") == 23


def test_team_queue_and_supervisor_view_have_bounded_queries(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    unit = new_unit()
    agents = [make_staff(Role.CALL_OPERATOR) for _ in range(3)]
    for agent in agents:
        make_agent(agent, unit)
        make_requests(4, assignee=agent, team=unit)
    client = login_as(make_staff(Role.SUPERVISOR))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("service:team_queue", args=[unit.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        response = client.get(reverse("service:supervisor"))
    assert response.status_code == 200
    assert str(unit) in response.content.decode()


def test_queue_polling_returns_only_the_rows(make_staff, login_as) -> None:
    operator = make_staff(Role.CALL_OPERATOR)
    make_requests(2, assignee=operator)
    response = login_as(operator).get(
        reverse("service:my_queue") + "?partial=rows", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith("<tbody") and 'hx-trigger="every 15s"' in html


def test_request_page_shows_client_context_with_bounded_queries(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    kam = make_staff(Role.ACCOUNT_MANAGER, last_name="Менеджеров")
    company = new_company(account_manager=kam)
    contact = new_contact(company=company)
    service = new_service()
    first = request_create(
        data=RequestInput(
            company=company, contact=contact, channel="phone", subject="Первая", service=service
        ),
        by=None,
    )
    second = request_create(
        data=RequestInput(
            company=company, contact=contact, channel="phone", subject="Вторая", service=service
        ),
        by=None,
    )
    client = login_as(make_staff(Role.CALL_OPERATOR))
    with django_assert_max_num_queries(30):
        response = client.get(reverse("service:request_detail", args=[second.pk]))
    html = response.content.decode()
    assert (
        "Менеджеров" in html and first.number in html and ("Passport" in html or "Паспорт" in html)
    )


def test_reply_by_htmx_returns_the_thread_and_note_stays_internal(make_staff, login_as) -> None:
    request = make_requests(1)[0]
    client = login_as(make_staff(Role.CALL_OPERATOR))
    url = reverse("service:request_message", args=[request.pk])
    response = client.post(
        url, {"kind": "note", "body": "<i>для своих</i>"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "для своих" in response.content.decode()
    client.post(url, {"kind": "reply", "body": "ответ"}, HTTP_HX_REQUEST="true")
    kinds = list(request.messages.values_list("kind", flat=True))
    assert kinds == [
        RequestMessage.Kind.CLIENT,
        RequestMessage.Kind.NOTE,
        RequestMessage.Kind.REPLY,
    ]
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS


def test_empty_reply_is_refused_with_a_message(make_staff, login_as) -> None:
    request = make_requests(1)[0]
    response = login_as(make_staff(Role.CALL_OPERATOR)).post(
        reverse("service:request_message", args=[request.pk]),
        {"kind": "reply", "body": "  "},
        HTTP_HX_REQUEST="true",
    )
    assert 'role="alert"' in response.content.decode()
    assert request.messages.count() == 1


def test_status_buttons_change_status_and_invalid_one_shows_an_error(make_staff, login_as) -> None:
    request = make_requests(1)[0]
    client = login_as(make_staff(Role.CALL_OPERATOR))
    url = reverse("service:request_status", args=[request.pk])
    client.post(url, {"status": "resolved", "first_contact": "1"})
    request.refresh_from_db()
    assert request.status == Status.RESOLVED and request.first_contact_resolution
    response = client.post(url, {"status": "in_progress"}, follow=True)
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    assert list(response.context["messages"])


def test_new_request_form_opens_a_visit_resolved_at_first_contact(make_staff, login_as) -> None:
    company = new_company()
    contact = new_contact(company=company)
    service = new_service()
    client = login_as(make_staff(Role.CENTER_OPERATOR))
    assert client.get(reverse("service:request_new") + f"?company={company.pk}").status_code == 200
    response = client.post(
        reverse("service:request_new"),
        {
            "company": company.pk,
            "contact": contact.pk,
            "channel": "visit",
            "service": service.pk,
            "priority": "normal",
            "subject": "Справка",
            "resolved_now": "on",
        },
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert request.first_contact_resolution and request.status == Status.RESOLVED
    assert request.contact == contact


def test_new_request_form_shows_errors_and_keeps_nothing(make_staff, login_as) -> None:
    service = new_service(channels=["visit"], in_person_required=True, in_person_reason="оригиналы")
    response = login_as(make_staff(Role.CALL_OPERATOR)).post(
        reverse("service:request_new"),
        {
            "company": new_company().pk,
            "channel": "phone",
            "service": service.pk,
            "priority": "normal",
            "subject": "x",
        },
    )
    assert response.status_code == 200 and "оригиналы" in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_company_search_and_service_info_partials(make_staff, login_as) -> None:
    new_company(legal_name='ООО "Ромашка"', short_name="Ромашка", search_name="ооо ромашка")
    client = login_as(make_staff(Role.CALL_OPERATOR))
    assert client.get(reverse("service:company_search") + "?company_q=ром").status_code == 200
    service = new_service()
    html = client.get(reverse("service:service_info") + f"?service={service.pk}").content.decode()
    assert "Passport" in html or "Паспорт" in html


def test_attachment_limits_and_download_rights(
    make_staff, make_portal_user, login_as, settings
) -> None:
    settings.SERVICE_ATTACHMENT_MAX_BYTES = 1000
    request = make_requests(1)[0]
    client = login_as(make_staff(Role.CALL_OPERATOR))
    url = reverse("service:attachment_upload", args=[request.pk])

    def upload(name: str, content: bytes):
        f = io.BytesIO(content)
        f.name = name
        return client.post(url, {"file": f}, follow=True)

    upload("act.pdf", PDF)
    upload("big.pdf", PDF + b"0" * 2000)
    upload("evil.pdf", b"MZ\x90\x00 not a pdf")
    upload("page.txt", b"<html><script>alert(1)</script></html>")
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["act.pdf"]
    attachment = Attachment.objects.get()
    download = reverse("service:attachment_download", args=[attachment.pk])
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert login_as(make_staff(Role.MARKETER)).get(download).status_code == 403
    assert login_as(make_portal_user()).get(download).status_code == 403
    client.logout()
    assert client.get(download).status_code == 302


def test_call_card_page_and_finish(make_staff, login_as) -> None:
    contact = new_contact(phone="+74951234567")
    client = login_as(make_staff(Role.CALL_OPERATOR))
    response = client.post(reverse("service:call_lookup"), {"phone": "8 (495) 123-45-67"})
    assert response.status_code == 302
    card = client.get(response["Location"])
    assert str(contact.company) in card.content.decode()
    finished = client.post(response["Location"], {"duration": "60", "outcome": "resolved"})
    assert finished.status_code == 302


def test_reports_render_and_export_xlsx(make_staff, login_as) -> None:
    unit = new_unit()
    operator = make_staff(Role.CALL_OPERATOR)
    make_requests(3, assignee=operator, team=unit)
    supervisor = login_as(make_staff(Role.SUPERVISOR))
    assert supervisor.get(reverse("service:reports")).status_code == 200
    xlsx = supervisor.get(reverse("service:report_unit") + f"?unit={unit.pk}&format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) == 5
    printable = supervisor.get(reverse("service:report_unit") + f"?unit={unit.pk}&format=print")
    assert b"@page" in printable.content
    daily = supervisor.get(reverse("service:report_operator") + f"?user={operator.pk}&format=xlsx")
    assert load_workbook(io.BytesIO(daily.content)).sheetnames


def test_operator_sees_only_own_daily_report(make_staff, login_as) -> None:
    other = make_staff(Role.CALL_OPERATOR, last_name="Чужой")
    response = login_as(make_staff(Role.CALL_OPERATOR, last_name="Свой")).get(
        reverse("service:report_operator") + f"?user={other.pk}"
    )
    assert "Свой" in response.content.decode() and "Чужой" not in response.content.decode()


def test_standards_documents_need_the_configure_right_to_add(make_staff, login_as) -> None:
    unit = new_unit()
    data = {
        "unit": unit.pk,
        "kind": "regulations",
        "title": "Положение об отделе",
        "version": "1",
        "text": "Текст",
    }
    operator = login_as(make_staff(Role.CALL_OPERATOR))
    assert operator.post(reverse("service:standard_add"), data).status_code == 403
    supervisor = login_as(make_staff(Role.SUPERVISOR))
    supervisor.post(reverse("service:standard_add"), data)
    page = supervisor.get(reverse("service:standards")).content.decode()
    assert "Положение об отделе" in page


def test_supervisor_overview_counts_each_agent_per_team(make_staff) -> None:
    from clientdesk.service.selectors import supervisor_overview

    first, second = new_unit(), new_unit()
    agent = make_staff(Role.CALL_OPERATOR)
    make_requests(3, assignee=agent, team=first)
    make_requests(1, assignee=agent, team=second)
    make_requests(2, team=second)
    rows = {row.unit: row for row in supervisor_overview()}
    assert rows[first].counts.open == 3 and rows[second].counts.open == 3
    assert rows[second].counts.unassigned == 2
    assert [(user, c.open) for user, c in rows[second].agents] == [(agent, 1)]
    assert [(user, c.open) for user, c in rows[first].agents] == [(agent, 3)]
