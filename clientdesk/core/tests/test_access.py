"""Every view and endpoint declares who may use it; roles are enforced on the server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from clientdesk.core.permissions import DenyAll, _HasPermBase
from clientdesk.core.roles import ROLE_PERMS, Perm, Role

# The Django admin guards itself (staff flag plus model permissions).
ADMIN_ROUTE = "admin/"


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def _declares_access(callback: Any) -> bool:
    if getattr(callback, "public", False) or hasattr(callback, "required_perms"):
        return True
    view_class = getattr(callback, "cls", None)  # DRF views
    if view_class is not None:
        classes = view_class.permission_classes
        return bool(classes) and all(
            issubclass(c, (_HasPermBase, DenyAll)) or c.__module__.startswith("clientdesk.")
            for c in classes
        )
    return False


def test_every_view_declares_who_may_use_it() -> None:
    undeclared = [
        route
        for route, callback in _walk(get_resolver().url_patterns)
        if not route.startswith(ADMIN_ROUTE) and not _declares_access(callback)
    ]
    assert undeclared == []


def test_every_role_has_a_permission_set_and_admin_has_all() -> None:
    assert set(ROLE_PERMS) == set(Role.values)
    assert ROLE_PERMS[Role.ADMIN] == frozenset(Perm)


@pytest.mark.django_db
def test_role_without_right_gets_403_from_page_and_api(make_staff, login_as) -> None:
    operator = make_staff(Role.CALL_OPERATOR)
    client = login_as(operator)
    assert client.get(reverse("core:audit")).status_code == 403
    api = APIClient()
    api.force_authenticate(operator)
    response = api.get("/api/v1/audit-events/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_role_with_right_sees_page_and_api(make_staff, login_as) -> None:
    supervisor = make_staff(Role.SUPERVISOR)
    assert login_as(supervisor).get(reverse("core:audit")).status_code == 200
    api = APIClient()
    api.force_authenticate(supervisor)
    assert api.get("/api/v1/audit-events/").status_code == 200


@pytest.mark.django_db
def test_portal_user_gets_403_on_staff_pages_and_api(make_portal_user, login_as) -> None:
    portal_user = make_portal_user()
    client = login_as(portal_user)
    assert client.get(reverse("core:home")).status_code == 403
    assert client.get(reverse("clients:company_list")).status_code == 403
    api = APIClient()
    api.force_authenticate(portal_user)
    assert api.get("/api/v1/companies/").status_code == 403
    assert api.get("/api/v1/me/").status_code == 403


@pytest.mark.django_db
def test_staff_gets_403_on_portal_pages(make_staff, login_as) -> None:
    assert login_as(make_staff(Role.ADMIN)).get(reverse("portal:home")).status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_and_api_answers_401(client) -> None:
    response = client.get(reverse("clients:company_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    api_response = APIClient().get("/api/v1/companies/")
    assert api_response.status_code == 401
    assert api_response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_menu_shows_only_what_the_role_may_open(make_staff, login_as) -> None:
    html = login_as(make_staff(Role.CALL_OPERATOR)).get(reverse("core:home")).content.decode()
    assert reverse("clients:company_list") in html
    assert reverse("core:audit") not in html


@pytest.mark.django_db
def test_inactive_user_has_no_rights(make_staff) -> None:
    from clientdesk.core.permissions import user_perms

    user = make_staff(Role.ADMIN, is_active=False)
    assert user_perms(user) == frozenset()


@pytest.mark.django_db
def test_api_token_authenticates_integrations(make_staff) -> None:
    from clientdesk.accounts.services import api_token_rotate

    user = make_staff(Role.ANALYST)
    token = api_token_rotate(user=user, by=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = api.get("/api/v1/me/").json()
    assert body["username"] == user.username
    assert "clients.view" in body["perms"] and "audit.view" not in body["perms"]
    api_token_rotate(user=user, by=user)
    assert api.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_portal_user_menu_has_portal_pages_and_no_staff_pages(make_portal_user, login_as) -> None:
    html = login_as(make_portal_user()).get(reverse("portal:home")).content.decode()
    assert reverse("portal:requests") in html
    assert reverse("knowledge:index") in html
    assert reverse("clients:company_list") not in html
    assert reverse("core:audit") not in html


@pytest.mark.django_db
def test_menu_is_grouped_by_domain_and_single_entries_stay_plain_links(
    make_staff, login_as
) -> None:
    from clientdesk.core.navigation import menu_groups_for

    admin = make_staff(Role.ADMIN)
    groups = {str(group["label"]): group["items"] for group in menu_groups_for(admin)}
    assert [item["name"] for item in groups["Clients"]][:2] == [
        "clients:company_list",
        "clients:contact_list",
    ]
    html = login_as(admin).get(reverse("core:home")).content.decode()
    assert "<summary>Clients</summary>" in html  # a group the admin opens as a dropdown
    operator = make_staff(Role.CALL_OPERATOR)
    operator_groups = [str(group["label"]) for group in menu_groups_for(operator)]
    assert "Administration" in operator_groups  # the API docs are open to every staff member
    assert "Segments" not in operator_groups
