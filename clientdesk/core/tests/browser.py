"""Browser fixtures shared by every app's tests (a pytest plugin, see clientdesk/conftest.py).

`browser` is Debian's Chromium driven by Playwright; `open_page()` gives a fresh page (own
cookies) on the live server and fails the test if any page fetched something from another
host. Without Chromium or Playwright the tests are skipped, or fail when
CLIENTDESK_REQUIRE_SERVICES=1. Screenshots go to SHOTS (outside the repository).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import get_resolver

CHROMIUM = "/usr/bin/chromium"
# For a human to look at, deliberately outside the repository.
SHOTS = Path(os.environ.get("CLIENTDESK_SHOTS_DIR", "/tmp/shots"))  # noqa: S108
PASSWORD = "pw"  # the factories' password
PAGE_TIMEOUT_MS = 30_000  # a loaded machine is slow; never a timing assertion


def unavailable(reason: str) -> None:
    if os.environ.get("CLIENTDESK_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed")
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
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[[], Any]]:
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
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.on(
            "request",
            lambda r: None if r.url.startswith(live_server.url) else foreign.append(r.url),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert foreign == [], f"pages fetched from other hosts: {foreign}"


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """shot(page, "name") saves a full-page screenshot as SHOTS/name.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Any, username: str, password: str = PASSWORD, landing: str = "**/home/") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(landing)
