"""A real browser signs in as two roles and sees what each role may see.

Screenshots go to /tmp/shots/ (outside the repository) for a human to look at. The `browser`
and `open_page` fixtures live in clientdesk/core/tests/browser.py (a pytest plugin).
"""

from __future__ import annotations

from typing import Any

import pytest

from clientdesk.core.roles import Role

from .browser import SHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def menu_links(page: Any) -> list[str]:
    return page.locator("nav .menu a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )


def test_operator_and_supervisor_see_their_own_menus(open_page, make_staff) -> None:
    SHOTS.mkdir(exist_ok=True)
    operator = make_staff(Role.CALL_OPERATOR, first_name="Olga")
    supervisor = make_staff(Role.SUPERVISOR, first_name="Sergey")

    page = open_page()
    sign_in(page, operator.username)
    assert page.locator("h1").inner_text() == "Welcome, Olga"
    links = menu_links(page)
    assert "/clients/" in links
    assert "/audit/" not in links
    page.screenshot(path=str(SHOTS / "call_operator.png"), full_page=True)

    response = page.goto("/audit/")
    assert response is not None and response.status == 403
    assert page.locator("h1").inner_text() == "Access denied"
    assert page.locator("nav .menu").is_visible()  # the 403 page keeps the layout
    page.screenshot(path=str(SHOTS / "call_operator_403.png"), full_page=True)

    page = open_page()
    sign_in(page, supervisor.username)
    assert "/audit/" in menu_links(page)
    page.locator("main").get_by_role("link", name="Audit trail").click()
    page.wait_for_url("**/audit/")
    assert page.locator("h1").inner_text() == "Audit trail"
    # Both sign-ins are in the trail.
    assert page.locator("table.table tbody tr", has_text="auth.login").count() == 2
    page.screenshot(path=str(SHOTS / "supervisor_audit.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")


def test_language_switch_in_the_browser(open_page, make_staff) -> None:
    page = open_page()
    sign_in(page, make_staff(Role.CALL_OPERATOR).username)
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("form.lang button[value=ru]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.url.endswith("/home/")


def test_swagger_ui_renders_from_local_files(open_page, make_staff) -> None:
    page = open_page()
    sign_in(page, make_staff(Role.ANALYST).username)
    page.goto("/api/v1/docs/")
    # Operations appear only once the bundled JS ran and fetched the schema.
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/me/").count() == 1
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "api_docs.png"))
