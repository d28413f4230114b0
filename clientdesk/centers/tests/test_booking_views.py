"""Staff booking pages: the call center books for a client, the center sees its day, moves,
cancels and checks in; who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clientdesk.centers import services
from clientdesk.centers.models import Appointment, Ticket
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.core.roles import Role
from clientdesk.service.tests.factories import new_company, new_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    # Open around the clock: the tests do not depend on the hour they run at.
    center = new_center(name="Центр на Тверской")
    group = new_group(center, handling_minutes=15)
    new_desk(center, "1")
    company = new_company(short_name="Ромашка")
    contact = new_contact(company=company, last_name="Иванова")
    local_tomorrow = (timezone.now().astimezone(center.tz) + dt.timedelta(days=1)).date()
    ten = dt.datetime.combine(local_tomorrow, dt.time(10, 0), tzinfo=center.tz)
    return center, group, company, contact, ten


def _form(center, group, company, contact, at):
    return {
        "company": company.pk,
        "contact": contact.pk if contact else "",
        "service": group.service.pk,
        "center": center.pk,
        "day": at.date().isoformat(),
        "starts_at": at.isoformat(),
        "note": "Продление доверенности",
    }


def test_call_center_operator_books_through_the_page(setup, make_staff, login_as) -> None:
    center, group, company, contact, ten = setup
    operator = make_staff(Role.CALL_OPERATOR)
    client = login_as(operator)
    assert client.get(reverse("centers:appointment_new")).status_code == 200
    partial = client.get(
        reverse("centers:appointment_slots"),
        {"service": group.service.pk, "center": center.pk, "day": ten.date().isoformat()},
    ).content.decode()
    assert ten.isoformat() in partial and "10:00" in partial
    response = client.post(
        reverse("centers:appointment_new"), _form(center, group, company, contact, ten)
    )
    booked = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("centers:appointment", args=[booked.pk])
    assert booked.source == Appointment.Source.STAFF and booked.booked_by == operator
    assert (booked.company, booked.contact, booked.starts_at) == (company, contact, ten)
    page = client.get(reverse("centers:appointment", args=[booked.pk])).content.decode()
    assert "Passport" in page and "Иванова" in page


def test_booking_page_says_what_to_fix(setup, make_staff, login_as) -> None:
    center, group, company, contact, ten = setup
    client = login_as(make_staff(Role.CALL_OPERATOR))
    data = _form(center, group, company, new_contact(), ten)
    data["starts_at"] = ""
    body = client.post(reverse("centers:appointment_new"), data).content.decode()
    assert "Choose a free time." in body and "works for another company" in body
    data = _form(center, group, company, contact, ten + dt.timedelta(minutes=5))
    body = client.post(reverse("centers:appointment_new"), data).content.decode()
    assert "taken or outside the opening hours" in body
    data["day"] = "31.02"
    partial = client.get(reverse("centers:appointment_slots"), data).content.decode()
    assert "YYYY-MM-DD" in partial
    assert not Appointment.objects.exists()


def test_slots_of_a_service_not_offered_at_the_center(setup, make_staff, login_as) -> None:
    center, _group, _company, _contact, ten = setup
    foreign = new_group(new_center())
    client = login_as(make_staff(Role.CALL_OPERATOR))
    partial = client.get(
        reverse("centers:appointment_slots"),
        {"service": foreign.service.pk, "center": center.pk, "day": ten.date().isoformat()},
    ).content.decode()
    assert "not provided at this center" in partial


def test_day_list_query_count_does_not_grow(
    setup, make_staff, login_as, django_assert_max_num_queries
) -> None:
    center, group, company, contact, ten = setup
    new_desk(center, "2")
    new_desk(center, "3")
    for i in range(12):
        services.appointment_book(
            center=center,
            service=group.service,
            starts_at=ten + dt.timedelta(minutes=15 * (i // 3)),
            company=company,
            contact=contact,
        )
    client = login_as(make_staff(Role.CENTER_OPERATOR))
    url = reverse("centers:appointments") + f"?center={center.code}&day={ten.date().isoformat()}"
    with django_assert_max_num_queries(10):
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count("Иванова") == 12


def test_move_and_cancel_through_the_detail_page(setup, make_staff, login_as) -> None:
    center, group, company, contact, ten = setup
    booked = services.appointment_book(
        center=center, service=group.service, starts_at=ten, company=company, contact=contact
    )
    client = login_as(make_staff(Role.CALL_OPERATOR))
    later = ten + dt.timedelta(hours=2)
    client.post(
        reverse("centers:appointment_reschedule", args=[booked.pk]),
        {"starts_at": later.isoformat()},
    )
    booked.refresh_from_db()
    assert booked.starts_at == later
    response = client.post(
        reverse("centers:appointment_reschedule", args=[booked.pk]), {"starts_at": "soon"}
    )
    assert "Choose a free time from the list." in client.get(response["Location"]).content.decode()
    client.post(reverse("centers:appointment_cancel", args=[booked.pk]), {"reason": "Болезнь"})
    booked.refresh_from_db()
    assert booked.state == Appointment.State.CANCELLED


def test_reception_checks_in_from_the_desk_page(setup, make_staff, login_as) -> None:
    center, group, company, contact, _ten = setup
    # Booked for now (created directly: a slot may not start this very minute).
    today = Appointment.objects.create(
        center=center,
        service=group.service,
        starts_at=timezone.now(),
        company=company,
        contact=contact,
    )
    operator = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=center.desks.get(), operator=operator)
    client = login_as(operator)
    page = client.get(reverse("centers:desk")).content.decode()
    assert reverse("centers:appointment_check_in", args=[today.pk]) in page
    response = client.post(
        reverse("centers:appointment_check_in", args=[today.pk]),
        {"next": reverse("centers:desk")},
    )
    assert response["Location"] == reverse("centers:desk")
    ticket = Ticket.objects.get(appointment=today)
    assert ticket.priority > 0
    assert ticket.code in client.get(reverse("centers:desk")).content.decode()


def test_who_may_book_and_check_in(setup, make_staff, make_portal_user, login_as) -> None:
    center, group, company, contact, ten = setup
    booked = services.appointment_book(
        center=center, service=group.service, starts_at=ten, company=company, contact=contact
    )
    call_center = login_as(make_staff(Role.CALL_OPERATOR))
    # The call center books, but checking in is the center's job.
    assert call_center.get(reverse("centers:appointments")).status_code == 200
    check_in = reverse("centers:appointment_check_in", args=[booked.pk])
    assert call_center.post(check_in).status_code == 403
    marketer = login_as(make_staff(Role.MARKETER))
    assert marketer.get(reverse("centers:appointments")).status_code == 403
    assert marketer.get(reverse("centers:appointment", args=[booked.pk])).status_code == 403
    portal = login_as(make_portal_user(company=company))
    assert portal.get(reverse("centers:appointment", args=[booked.pk])).status_code == 403
    assert portal.post(reverse("centers:appointment_new"), {}).status_code == 403


def test_booking_pages_label_every_field_and_load_nothing_from_elsewhere(
    setup, make_staff, make_portal_user, login_as
) -> None:
    from clientdesk.core.tests.test_ui import scan

    center, group, company, contact, ten = setup
    booked = services.appointment_book(
        center=center, service=group.service, starts_at=ten, company=company, contact=contact
    )
    staff = login_as(make_staff(Role.SUPERVISOR))
    day = ten.date().isoformat()
    responses = [
        staff.get(reverse("centers:appointment_new") + f"?center={center.pk}&day={day}"),
        staff.get(reverse("centers:appointments") + f"?center={center.code}&day={day}"),
        staff.get(reverse("centers:appointment", args=[booked.pk])),
    ]
    portal = login_as(make_portal_user(company=company))
    responses += [
        portal.get(reverse("portal:appointment_new") + f"?center={center.pk}&day={day}"),
        portal.get(reverse("portal:appointments")),
        portal.get(reverse("portal:appointment", args=[booked.pk])),
    ]
    for response in responses:
        assert response.status_code == 200
        page = scan(response)
        assert page.unlabelled() == []
        assert all(not url.startswith(("http:", "https:", "//")) for url in page.fetched)
