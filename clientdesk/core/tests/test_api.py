"""The API speaks one error format, documents itself, and serves its docs without a CDN."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.test import APIClient

from clientdesk.accounts.services import api_token_rotate
from clientdesk.core.api import exception_handler
from clientdesk.core.roles import Role

REPO = Path(__file__).resolve().parents[3]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.fixture
def api_as(make_staff):
    def make(role: Role | str) -> APIClient:
        api = APIClient()
        api.force_authenticate(make_staff(role))
        return api

    return make


@pytest.mark.django_db
def test_invalid_filter_is_a_400_naming_the_field(api_as) -> None:
    response = api_as(Role.SUPERVISOR).get("/api/v1/audit-events/", {"actor": "ivanov"})
    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == {"actor"}
    assert error["fields"]["actor"]


@pytest.mark.django_db
def test_valid_filter_narrows_the_audit_trail(api_as, make_staff) -> None:
    from clientdesk.core import audit

    actor, other = make_staff(), make_staff()
    audit.record(actor=actor, action="clients.edit")
    audit.record(actor=other, action="clients.edit")
    audit.record(actor=actor, action="auth.login")
    api = api_as(Role.SUPERVISOR)
    rows = api.get("/api/v1/audit-events/", {"actor": actor.pk, "action": "clients."}).json()
    assert [(r["actor"], r["action"]) for r in rows["results"]] == [
        (actor.username, "clients.edit")
    ]


def test_serializer_errors_keep_field_and_general_messages() -> None:
    class CompanyInput(serializers.Serializer):
        inn = serializers.RegexField(r"^\d{10}$")

        def validate(self, attrs):
            raise serializers.ValidationError("The company is already registered.")

    bad = CompanyInput(data={"inn": "12"})
    with pytest.raises(serializers.ValidationError) as caught:
        bad.is_valid(raise_exception=True)
    response = exception_handler(caught.value, {})
    assert response is not None and response.status_code == 400
    assert response.data["error"]["code"] == "validation_error"
    assert set(response.data["error"]["fields"]) == {"inn"}

    good_inn = CompanyInput(data={"inn": "7707083893"})
    with pytest.raises(serializers.ValidationError) as caught:
        good_inn.is_valid(raise_exception=True)
    response = exception_handler(caught.value, {})
    assert response is not None
    assert response.data["error"]["fields"] == {
        "non_field_errors": ["The company is already registered."]
    }


def test_model_validation_errors_from_services_become_400() -> None:
    """Services raise Django's ValidationError (full_clean); the API must not answer 500."""
    by_field = exception_handler(DjangoValidationError({"kpp": ["KPP must have 9 digits."]}), {})
    assert by_field is not None and by_field.status_code == 400
    assert by_field.data["error"]["fields"] == {"kpp": ["KPP must have 9 digits."]}

    general = exception_handler(DjangoValidationError("The merge would lose data."), {})
    assert general is not None and general.status_code == 400
    assert general.data["error"]["fields"] == {"non_field_errors": ["The merge would lose data."]}


@pytest.mark.django_db
def test_anonymous_gets_401_with_a_token_challenge() -> None:
    response = APIClient().get("/api/v1/audit-events/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Token realm="api"'


@pytest.mark.django_db
def test_unknown_token_gets_401() -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert_error(api.get("/api/v1/me/"), 401, "authentication_failed")


@pytest.mark.django_db
def test_role_without_the_right_gets_403(api_as) -> None:
    assert_error(api_as(Role.CALL_OPERATOR).get("/api/v1/audit-events/"), 403, "permission_denied")


@pytest.mark.django_db
def test_portal_user_gets_403_even_with_a_token(make_portal_user) -> None:
    user = make_portal_user()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_rotate(user=user, by=user).key}")
    assert_error(api.get("/api/v1/me/"), 403, "permission_denied")


@pytest.mark.django_db
def test_missing_object_gets_404(api_as) -> None:
    assert_error(api_as(Role.SUPERVISOR).get("/api/v1/companies/999999/"), 404, "not_found")


@pytest.mark.django_db
def test_unknown_api_url_gets_the_json_404(api_as) -> None:
    assert_error(api_as(Role.SUPERVISOR).get("/api/v1/no-such-thing/"), 404, "not_found")


def test_api_500_is_json_too() -> None:
    from clientdesk.core.views import error_500

    response = error_500(RequestFactory().get("/api/v1/companies/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_wrong_method_gets_405(api_as) -> None:
    assert_error(
        api_as(Role.SUPERVISOR).post("/api/v1/audit-events/", {}), 405, "method_not_allowed"
    )


@pytest.mark.django_db
def test_error_message_follows_the_language(api_as) -> None:
    api = api_as(Role.CALL_OPERATOR)
    english = api.get("/api/v1/audit-events/", HTTP_ACCEPT_LANGUAGE="en").json()
    russian = api.get("/api/v1/audit-events/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert english["error"]["code"] == russian["error"]["code"] == "permission_denied"
    assert "permission" in english["error"]["message"]
    assert re.search("[а-яА-Я]", russian["error"]["message"])


def test_openapi_schema_is_valid_and_free_of_warnings(tmp_path) -> None:
    schema = tmp_path / "schema.yaml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "clientdesk",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--api-version",
            "v1",
            "--file",
            str(schema),
        ],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DEBUG": "true",
            "CLIENTDESK_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr
    document = yaml.safe_load(schema.read_text())
    for path in ("/api/v1/me/", "/api/v1/audit-events/", "/api/v1/companies/"):
        assert path in document["paths"]
    assert "tokenAuth" in document["components"]["securitySchemes"]
    # Every operation documents the shared error shape.
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code in ("401", "403"):
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"] == error_ref, (method, path, code)
    audit_list = document["paths"]["/api/v1/audit-events/"]["get"]
    assert "400" in audit_list["responses"]
    assert "404" in document["paths"]["/api/v1/companies/{id}/"]["get"]["responses"]


@pytest.mark.django_db
def test_swagger_ui_serves_staff_from_local_static_files(make_staff, login_as) -> None:
    html = login_as(make_staff(Role.CALL_OPERATOR)).get("/api/v1/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file"
    assert not re.search(r"https?://", html.replace("http://www.w3.org", ""))


@pytest.mark.django_db
def test_swagger_ui_sends_anonymous_to_login_and_refuses_portal_users(
    client, make_portal_user, login_as
) -> None:
    response = client.get("/api/v1/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert login_as(make_portal_user()).get("/api/v1/docs/").status_code == 403


@pytest.mark.django_db
def test_schema_is_served_to_staff_only(make_staff, login_as, client) -> None:
    assert client.get("/api/v1/schema/").status_code == 401
    assert login_as(make_staff(Role.ANALYST)).get("/api/v1/schema/").status_code == 200
