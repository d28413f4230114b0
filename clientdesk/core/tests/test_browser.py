"""A real browser signs in as two roles and sees what each role may see.

Screenshots go to /tmp/shots/ (outside the repository) for a human to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import get_resolver

from clientdesk.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
# For a human to look at, deliberately outside the repository.
SHOTS = Path(os.environ.get("CLIENTDESK_SHOTS_DIR", "/tmp/shots"))  # noqa: S108
PASSWORD = "pw"  # the factories' password


def _unavailable(reason: str) -> None:
    if os.environ.get("CLIENTDESK_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Any]:
    """A fresh browser context (no shared cookies) that records requests to other hosts."""
    contexts: list[Any] = []
    foreign: list[str] = []
    # The first request imports every view of the URL conf (seconds on a busy machine): do it
    # here, not inside the browser's page-load timeout.
    get_resolver().url_patterns  # noqa: B018

    def make() -> Any:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 800}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on(
            "request",
            lambda r: None if r.url.startswith(live_server.url) else foreign.append(r.url),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert foreign == [], f"pages fetched from other hosts: {foreign}"


def sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/home/")


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
