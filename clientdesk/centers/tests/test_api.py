"""Centers API: centers, slots, appointments for staff and portal users, tickets read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clientdesk.centers import services
from clientdesk.centers.models import Appointment, Ticket
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.core.roles import Role
from clientdesk.portal.models import PortalAccount
from clientdesk.service.tests.factories import new_company, new_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    center = new_center()
    group = new_group(center, handling_minutes=30)
    new_desk(center, "1")
    company = new_company()
    contact = new_contact(company=company)
    local_tomorrow = (timezone.now().astimezone(center.tz) + dt.timedelta(days=1)).date()
    ten = dt.datetime.combine(local_tomorrow, dt.time(10, 0), tzinfo=center.tz)
    return center, group, company, contact, ten


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_staff_reads_centers_and_slots(world, make_staff) -> None:
    center, group, _company, _contact, ten = world
    api = _api(make_staff(Role.CALL_OPERATOR))
    listed = api.get("/api/v1/centers/").json()
    found = next(c for c in listed["results"] if c["id"] == center.pk)
    assert found["services"][0]["service"] == group.service.pk
    assert found["services"][0]["documents"] == ["Passport", "Power of attorney"]
    slots = api.get(
        f"/api/v1/centers/{center.pk}/slots/",
        {"service": group.service.pk, "day": ten.date().isoformat()},
    )
    assert slots.status_code == 200
    assert any(dt.datetime.fromisoformat(s["starts_at"]) == ten for s in slots.json())
    bad = api.get(f"/api/v1/centers/{center.pk}/slots/", {"service": group.service.pk})
    assert bad.status_code == 400 and "day" in bad.json()["error"]["fields"]


def test_staff_books_moves_and_cancels(world, make_staff) -> None:
    center, group, company, contact, ten = world
    api = _api(make_staff(Role.CALL_OPERATOR))
    body = {
        "center": center.pk,
        "service": group.service.pk,
        "starts_at": ten.isoformat(),
        "company": company.pk,
        "contact": contact.pk,
    }
    created = api.post("/api/v1/appointments/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert Appointment.objects.get(pk=pk).source == Appointment.Source.API
    # The one desk's place at 10:00 is taken now.
    again = api.post("/api/v1/appointments/", body, format="json")
    assert again.status_code == 400 and "starts_at" in again.json()["error"]["fields"]
    sneaky = api.post("/api/v1/appointments/", {**body, "state": "checked_in"}, format="json")
    assert sneaky.status_code == 400 and "state" in sneaky.json()["error"]["fields"]
    later = (ten + dt.timedelta(hours=1)).isoformat()
    moved = api.post(f"/api/v1/appointments/{pk}/reschedule/", {"starts_at": later}, format="json")
    assert moved.status_code == 200
    assert dt.datetime.fromisoformat(moved.json()["starts_at"]) == ten + dt.timedelta(hours=1)
    listed = api.get("/api/v1/appointments/", {"center": center.pk, "day": ten.date().isoformat()})
    assert [a["id"] for a in listed.json()["results"]] == [pk]
    cancelled = api.post(f"/api/v1/appointments/{pk}/cancel/", {}, format="json")
    assert cancelled.json()["state"] == "cancelled"


def test_portal_user_is_scoped_to_own_company(world, make_portal_user) -> None:
    center, group, company, contact, ten = world
    user = make_portal_user(company=company)
    PortalAccount.objects.filter(user=user).update(contact=contact)
    user.refresh_from_db()  # as a request would load it, with its account as now stored
    foreign = services.appointment_book(
        center=center, service=group.service, starts_at=ten, company=new_company()
    )
    api = _api(user)
    later = ten + dt.timedelta(hours=1)
    body = {"center": center.pk, "service": group.service.pk, "starts_at": later.isoformat()}
    refused = api.post("/api/v1/appointments/", {**body, "company": foreign.company_id})
    assert refused.status_code == 400
    created = api.post("/api/v1/appointments/", body, format="json")
    assert created.status_code == 201
    mine = Appointment.objects.get(pk=created.json()["id"])
    assert (mine.company, mine.contact, mine.source) == (company, contact, "portal")
    assert [a["id"] for a in api.get("/api/v1/appointments/").json()["results"]] == [mine.pk]
    assert api.get(f"/api/v1/appointments/{foreign.pk}/").status_code == 404
    assert api.post(f"/api/v1/appointments/{foreign.pk}/cancel/", {}).status_code == 404
    assert api.get("/api/v1/tickets/").status_code == 403
    assert api.post(f"/api/v1/appointments/{mine.pk}/check-in/").status_code == 403


def test_tickets_are_read_only_for_the_center(world, make_staff) -> None:
    center, group, company, _contact, _ten = world
    booked = Appointment.objects.create(
        center=center, service=group.service, starts_at=timezone.now(), company=company
    )
    operator = _api(make_staff(Role.CENTER_OPERATOR))
    checked_in = operator.post(f"/api/v1/appointments/{booked.pk}/check-in/")
    assert checked_in.status_code == 201 and checked_in.json()["code"] == "A-001"
    ticket = Ticket.objects.get()
    listed = operator.get("/api/v1/tickets/", {"center": center.pk})
    assert [t["code"] for t in listed.json()["results"]] == ["A-001"]
    assert operator.get(f"/api/v1/tickets/{ticket.pk}/").json()["appointment"] == booked.pk
    assert operator.delete(f"/api/v1/tickets/{ticket.pk}/").status_code == 405
    call_center = _api(make_staff(Role.CALL_OPERATOR))
    assert call_center.get("/api/v1/tickets/").status_code == 403
    marketer = _api(make_staff(Role.MARKETER))
    assert marketer.get("/api/v1/appointments/").status_code == 403
    assert APIClient().get("/api/v1/appointments/").status_code == 401
