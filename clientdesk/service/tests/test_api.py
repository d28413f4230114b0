"""The API: allow-lists, the common error shape, rights, the call-center endpoints."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from clientdesk.clients.models import ContactPoint, Interaction
from clientdesk.core.roles import Role
from clientdesk.service.models import CallLog, ServiceRequest, Status

from .factories import new_company, new_contact

pytestmark = [pytest.mark.django_db, pytest.mark.urls("clientdesk.service.tests.urls")]


@pytest.fixture
def api(make_staff):
    client = APIClient()
    client.force_authenticate(make_staff(Role.CALL_OPERATOR))
    return client


def test_api_opens_a_request_and_lists_it(api) -> None:
    company = new_company()
    response = api.post(
        "/api/v1/requests/",
        {"company": company.pk, "subject": "Акт", "body": "<b>x</b>"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("R-") and body["status"] == Status.NEW
    listed = api.get("/api/v1/requests/?open=true").json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]


def test_api_refuses_fields_outside_the_allow_list_in_the_common_shape(api) -> None:
    response = api.post(
        "/api/v1/requests/",
        {
            "company": new_company().pk,
            "subject": "x",
            "resolution_breached": True,
            "number": "R-1",
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"resolution_breached", "number"}


def test_api_reports_an_invalid_transition_as_a_validation_error(api) -> None:
    created = api.post(
        "/api/v1/requests/", {"company": new_company().pk, "subject": "x"}, format="json"
    ).json()
    response = api.post(
        f"/api/v1/requests/{created['id']}/status/", {"status": "reopened"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]
    assert ServiceRequest.objects.get(pk=created["id"]).status == Status.NEW
    ok = api.post(
        f"/api/v1/requests/{created['id']}/status/", {"status": "in_progress"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress"


def test_api_reply_is_recorded_and_sanitised(api) -> None:
    created = api.post(
        "/api/v1/requests/", {"company": new_company().pk, "subject": "x"}, format="json"
    ).json()
    response = api.post(
        f"/api/v1/requests/{created['id']}/reply/",
        {"body": "<p>ok</p><script>x()</script>"},
        format="json",
    )
    assert response.status_code == 201
    assert "script" not in response.json()["body_html"]
    assert ServiceRequest.objects.get(pk=created["id"]).first_response_at is not None


@pytest.mark.parametrize("role", [Role.MARKETER, Role.ANALYST])
def test_roles_without_the_right_get_403(make_staff, role) -> None:
    client = APIClient()
    client.force_authenticate(make_staff(role))
    assert client.get("/api/v1/requests/").status_code == 403
    response = client.post("/api/v1/calls/incoming/", {"phone": "+74951234567"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_portal_user_gets_403(make_portal_user) -> None:
    client = APIClient()
    client.force_authenticate(make_portal_user())
    assert client.get("/api/v1/requests/").status_code == 403


@pytest.mark.parametrize(
    "typed", ["+7 (495) 123-45-67", "8 495 123 45 67", "74951234567", "+74951234567"]
)
def test_incoming_call_finds_the_client_by_any_phone_format(api, typed) -> None:
    contact = new_contact()
    ContactPoint.objects.create(contact=contact, kind="phone", value="+74951234567")
    other_company_request = ServiceRequest.objects.create(
        company=new_company(), channel="phone", subject="чужая"
    )
    api.post("/api/v1/requests/", {"company": contact.company_id, "subject": "своя"}, format="json")
    response = api.post(
        "/api/v1/calls/incoming/", {"phone": typed, "call_id": "pbx-1"}, format="json"
    )
    assert response.status_code == 201, response.content
    card = response.json()
    assert card["company"]["id"] == contact.company_id and card["contact"]["id"] == contact.pk
    assert [r["subject"] for r in card["open_requests"]] == ["своя"]
    assert other_company_request.pk not in [r["id"] for r in card["open_requests"]]
    assert card["card_url"].startswith("/service/calls/")
    # The telephony retries the same event: one call, not two.
    api.post("/api/v1/calls/incoming/", {"phone": typed, "call_id": "pbx-1"}, format="json")
    assert CallLog.objects.count() == 1


def test_finishing_a_call_logs_duration_and_outcome_on_the_timeline(api) -> None:
    contact = new_contact(phone="+74951112233")
    card = api.post("/api/v1/calls/incoming/", {"phone": "8 495 111-22-33"}, format="json").json()
    response = api.post(
        f"/api/v1/calls/{card['call']}/finish/",
        {"duration": 125, "outcome": "resolved"},
        format="json",
    )
    assert response.status_code == 200, response.content
    call = CallLog.objects.get()
    assert (call.duration_seconds, call.outcome) == (125, "resolved")
    entry = Interaction.objects.get(company=contact.company)
    assert "2:05" in entry.subject
    again = api.post(
        f"/api/v1/calls/{card['call']}/finish/",
        {"duration": 1, "outcome": "resolved"},
        format="json",
    )
    assert again.status_code == 400


def test_unknown_number_gives_an_empty_card_and_bad_number_a_clear_error(api) -> None:
    card = api.post("/api/v1/calls/incoming/", {"phone": "+74990000000"}, format="json").json()
    assert card["company"] is None and card["open_requests"] == []
    bad = api.post("/api/v1/calls/incoming/", {"phone": "abc"}, format="json")
    assert bad.status_code == 400 and "phone" in bad.json()["error"]["fields"]


def test_api_resolves_at_first_contact_assigns_and_classifies(api, make_staff) -> None:
    created = api.post(
        "/api/v1/requests/", {"company": new_company().pk, "subject": "x"}, format="json"
    ).json()
    agent = make_staff(Role.CALL_OPERATOR)
    url = f"/api/v1/requests/{created['id']}"
    assert (
        api.post(f"{url}/assign/", {"assignee": agent.pk}, format="json").json()["assignee"]
        == agent.pk
    )
    classified = api.post(
        f"{url}/classify/", {"avoidable_reason": "unclear_invoice", "topic": "Счёт"}, format="json"
    )
    assert classified.status_code == 200, classified.content
    unknown = api.post(f"{url}/classify/", {"avoidable_reason": "nope"}, format="json")
    assert unknown.status_code == 400
    resolved = api.post(
        f"{url}/status/", {"status": "resolved", "first_contact": True}, format="json"
    )
    assert resolved.json()["first_contact_resolution"] is True
    request = ServiceRequest.objects.get(pk=created["id"])
    assert request.avoidable_reason is not None and request.topic == "счёт"


def test_api_reply_with_attachment_checks_the_file(api) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    created = api.post(
        "/api/v1/requests/", {"company": new_company().pk, "subject": "x"}, format="json"
    ).json()
    url = f"/api/v1/requests/{created['id']}/reply/"
    pdf = SimpleUploadedFile("act.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    ok = api.post(url, {"body": "Акт", "attachments": [pdf]}, format="multipart")
    assert ok.status_code == 201, ok.content
    fake = SimpleUploadedFile("act.pdf", b"MZ\x90\x00", content_type="application/pdf")
    refused = api.post(url, {"body": "Акт", "attachments": [fake]}, format="multipart")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "validation_error"
    request = ServiceRequest.objects.get(pk=created["id"])
    assert request.attachments.count() == 1
