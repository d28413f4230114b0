"""Pages: the operator's desk (guarded), the kiosk and the board (public, nothing private)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientdesk.centers import services
from clientdesk.centers.models import Ticket, TicketState
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.core.roles import Role
from clientdesk.service.tests.factories import new_company, new_contact

pytestmark = pytest.mark.django_db


def test_call_center_operator_and_portal_user_get_403_on_the_desk(
    make_staff, make_portal_user, login_as
) -> None:
    client = login_as(make_staff(Role.CALL_OPERATOR))
    assert client.get(reverse("centers:desk")).status_code == 403
    assert client.post(reverse("centers:call_next")).status_code == 403
    client = login_as(make_portal_user())
    assert client.get(reverse("centers:desk")).status_code == 403


def test_anonymous_is_sent_to_login_from_the_desk(client) -> None:
    response = client.get(reverse("centers:desk"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_operator_signs_in_calls_and_finishes_through_the_page(make_staff, login_as) -> None:
    center = new_center()
    group = new_group(center)
    desk = new_desk(center, "7")
    ticket = services.ticket_issue(center=center, service=group.service)
    client = login_as(make_staff(Role.CENTER_OPERATOR))
    assert "Sign in at the desk" in client.get(reverse("centers:desk")).content.decode()
    client.post(reverse("centers:desk_signin"), {"desk": desk.pk})
    client.post(reverse("centers:call_next"))
    page = client.get(reverse("centers:desk")).content.decode()
    assert ticket.code in page
    client.post(reverse("centers:ticket_action", args=[ticket.pk, "start"]))
    client.post(
        reverse("centers:ticket_action", args=[ticket.pk, "finish"]),
        {"outcome": "resolved", "first_contact_resolved": "on"},
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DONE and ticket.first_contact_resolved is True


def test_desk_page_query_count_does_not_grow_with_the_queue(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    center = new_center()
    group = new_group(center)
    operator = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=new_desk(center), operator=operator)
    for _ in range(15):
        services.ticket_issue(center=center, service=group.service)
    client = login_as(operator)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("centers:desk")).status_code == 200


def test_kiosk_is_public_and_shows_number_wait_and_documents(client) -> None:
    center = new_center()
    group = new_group(center, "C")
    page = client.get(reverse("centers:kiosk", args=[center.code]))
    assert page.status_code == 200 and group.service.display_name in page.content.decode()
    response = client.post(
        reverse("centers:kiosk_issue", args=[center.code]), {"service": group.service.pk}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "C-001" in body
    assert "Passport" in body  # documents to bring, in the page's language
    assert Ticket.objects.filter(center=center).count() == 1


def test_kiosk_refuses_a_service_of_another_center(client) -> None:
    center = new_center()
    new_group(center)
    foreign = new_group(new_center())
    response = client.post(
        reverse("centers:kiosk_issue", args=[center.code]),
        {"service": foreign.service.pk},
        follow=True,
    )
    assert "not provided at this center" in response.content.decode()
    assert not Ticket.objects.exists()


def test_kiosk_speaks_russian(client) -> None:
    center = new_center()
    new_group(center)
    page = client.get(reverse("centers:kiosk", args=[center.code]), HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200


def test_board_is_public_polls_and_shows_no_client_names(make_staff, client) -> None:
    center = new_center()
    group = new_group(center)
    desk = new_desk(center, "12")
    company = new_company(legal_name="ООО Секретная Фирма", short_name="Секретная Фирма")
    contact = new_contact(company=company, last_name="Тайнов")
    operator = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=desk, operator=operator)
    services.ticket_issue(center=center, service=group.service, company=company, contact=contact)
    services.ticket_call_next(by=operator)
    page = client.get(reverse("centers:board", args=[center.code])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    partial = client.get(reverse("centers:board", args=[center.code]), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "A-001" in body and "12" in body
    for private in ("Секретная", "Тайнов", operator.last_name):
        assert private not in body and private not in page


def test_unknown_center_is_404(client) -> None:
    assert client.get(reverse("centers:kiosk", args=["nowhere"])).status_code == 404


def test_call_center_operator_cannot_act_on_tickets(make_staff, login_as) -> None:
    center = new_center()
    group = new_group(center)
    operator = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=new_desk(center), operator=operator)
    services.ticket_issue(center=center, service=group.service)
    ticket = services.ticket_call_next(by=operator)
    assert ticket is not None
    client = login_as(make_staff(Role.CALL_OPERATOR))
    url = reverse("centers:ticket_action", args=[ticket.pk, "finish"])
    assert client.post(url, {"outcome": "resolved"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CALLED


def test_colleague_cannot_finish_a_ticket_of_another_desk_through_the_page(
    make_staff, login_as
) -> None:
    center = new_center()
    group = new_group(center)
    operator = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=new_desk(center, "1"), operator=operator)
    services.ticket_issue(center=center, service=group.service)
    ticket = services.ticket_call_next(by=operator)
    assert ticket is not None
    colleague = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=new_desk(center, "2"), operator=colleague)
    response = login_as(colleague).post(
        reverse("centers:ticket_action", args=[ticket.pk, "finish"]),
        {"outcome": "resolved"},
        follow=True,
    )
    assert "at another desk" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CALLED
