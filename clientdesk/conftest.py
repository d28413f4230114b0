"""Fixtures shared by every app's tests: users of each role, and the outsider."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from clientdesk.accounts.models import User
from clientdesk.accounts.tests.factories import PortalUserFactory, StaffFactory
from clientdesk.clients.models import Company
from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.roles import Role
from clientdesk.portal.models import PortalAccount

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["clientdesk.core.tests.browser"]  # browser, open_page, shot


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Guess counters (accounts.throttle) live in the cache: one test's 404s must not throttle
    # the next test, which comes from the same 127.0.0.1.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_staff(db: Any) -> Callable[..., User]:
    def make(role: Role | str = Role.ACCOUNT_MANAGER, **kwargs: Any) -> User:
        return StaffFactory.create(role=role, **kwargs)

    return make


@pytest.fixture
def make_portal_user(db: Any) -> Callable[..., User]:
    def make(company: Company | None = None, role: str = PortalAccount.Role.MEMBER) -> User:
        user = PortalUserFactory.create()
        PortalAccount.objects.create(
            user=user, company=company or CompanyFactory.create(), role=role
        )
        return user

    return make


@pytest.fixture
def login_as(client: Client) -> Callable[[User], Client]:
    def login(user: User) -> Client:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login
