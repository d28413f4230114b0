"""Portal appointment pages: a client's employee books, sees, moves and cancels the company's
visits; another company's appointment is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clientdesk.centers import services
from clientdesk.centers.models import Appointment
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.portal.models import PortalAccount
from clientdesk.service.tests.factories import new_company, new_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_portal_user):
    center = new_center()  # open around the clock
    group = new_group(center, handling_minutes=30)
    new_desk(center, "1")
    company = new_company()
    contact = new_contact(company=company, email="buh@example.ru", language="en")
    user = make_portal_user(company=company)
    PortalAccount.objects.filter(user=user).update(contact=contact)
    other = new_company()
    local_tomorrow = (timezone.now().astimezone(center.tz) + dt.timedelta(days=1)).date()
    ten = dt.datetime.combine(local_tomorrow, dt.time(10, 0), tzinfo=center.tz)
    return center, group, company, contact, user, other, ten


def test_portal_user_books_for_own_company_and_gets_the_confirmation(
    world, login_as, django_capture_on_commit_callbacks
) -> None:
    center, group, company, contact, user, _other, ten = world
    client = login_as(user)
    page = client.get(reverse("portal:appointment_new"))
    assert page.status_code == 200 and group.service.display_name in page.content.decode()
    partial = client.get(
        reverse("portal:appointment_slots"),
        {"service": group.service.pk, "center": center.pk, "day": ten.date().isoformat()},
    ).content.decode()
    assert ten.isoformat() in partial
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:appointment_new"),
            {
                "service": group.service.pk,
                "center": center.pk,
                "day": ten.date().isoformat(),
                "starts_at": ten.isoformat(),
            },
        )
    booked = Appointment.objects.get()
    assert response["Location"] == reverse("portal:appointment", args=[booked.pk])
    assert (booked.company, booked.contact, booked.booked_by) == (company, contact, user)
    assert booked.source == Appointment.Source.PORTAL
    assert mail.outbox[0].to == ["buh@example.ru"] and "Passport" in mail.outbox[0].body


def test_booking_without_a_time_says_what_to_fix(world, login_as) -> None:
    center, group, _company, _contact, user, _other, ten = world
    body = (
        login_as(user)
        .post(
            reverse("portal:appointment_new"),
            {"service": group.service.pk, "center": center.pk, "day": ten.date().isoformat()},
        )
        .content.decode()
    )
    assert "Choose a free time." in body
    assert not Appointment.objects.exists()


def test_list_shows_own_company_only_with_constant_queries(
    world, login_as, django_assert_max_num_queries
) -> None:
    center, group, company, contact, user, other, ten = world
    for i in range(6):
        services.appointment_book(
            center=center,
            service=group.service,
            starts_at=ten + dt.timedelta(minutes=30 * i),
            company=company,
            contact=contact,
        )
    foreign = services.appointment_book(
        center=center,
        service=group.service,
        starts_at=ten + dt.timedelta(hours=5),
        company=other,
    )
    client = login_as(user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("portal:appointments"))
    body = page.content.decode()
    assert body.count(reverse("portal:appointment", args=[foreign.pk]) + '"') == 0
    assert body.count(group.service.display_name) == 6


def test_other_companys_appointment_is_404_everywhere(world, login_as) -> None:
    center, group, _company, _contact, user, other, ten = world
    foreign = services.appointment_book(
        center=center, service=group.service, starts_at=ten, company=other
    )
    client = login_as(user)
    assert client.get(reverse("portal:appointment", args=[foreign.pk])).status_code == 404
    later = (ten + dt.timedelta(hours=1)).isoformat()
    move = reverse("portal:appointment_move", args=[foreign.pk])
    assert client.post(move, {"starts_at": later}).status_code == 404
    cancel = reverse("portal:appointment_cancel", args=[foreign.pk])
    assert client.post(cancel).status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == Appointment.State.BOOKED and foreign.starts_at == ten


def test_portal_user_moves_and_cancels(world, login_as) -> None:
    center, group, company, contact, user, _other, ten = world
    booked = services.appointment_book(
        center=center, service=group.service, starts_at=ten, company=company, contact=contact
    )
    client = login_as(user)
    page = client.get(reverse("portal:appointment", args=[booked.pk])).content.decode()
    assert "Move the appointment" in page and "Passport" in page
    later = ten + dt.timedelta(hours=1)
    client.post(
        reverse("portal:appointment_move", args=[booked.pk]), {"starts_at": later.isoformat()}
    )
    booked.refresh_from_db()
    assert booked.starts_at == later
    client.post(reverse("portal:appointment_cancel", args=[booked.pk]))
    booked.refresh_from_db()
    assert booked.state == Appointment.State.CANCELLED


def test_staff_get_403_on_portal_appointment_pages(world, make_staff, login_as) -> None:
    client = login_as(make_staff())
    assert client.get(reverse("portal:appointments")).status_code == 403
