"""Behind reverse proxies, audit and login throttling see the client's address, not the proxy's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientdesk.core.middleware import forwarded_client_ip
from clientdesk.core.models import AuditEvent


@pytest.mark.parametrize(
    ("remote", "header", "proxies", "expected"),
    [
        ("10.0.0.2", "203.0.113.7", 0, "10.0.0.2"),  # no proxy configured: header ignored
        ("10.0.0.2", "203.0.113.7", 1, "203.0.113.7"),
        # The client forged the left entry; our one proxy appended the real address.
        ("10.0.0.2", "1.2.3.4, 203.0.113.7", 1, "203.0.113.7"),
        ("10.0.0.3", "198.51.100.9, 203.0.113.7, 10.0.0.2", 2, "203.0.113.7"),
        ("10.0.0.2", "", 1, "10.0.0.2"),  # the request bypassed the proxy
        ("10.0.0.2", "not-an-address", 1, "10.0.0.2"),
        ("10.0.0.2", "2001:db8::1", 1, "2001:db8::1"),
    ],
)
def test_client_address_is_taken_from_our_proxies_only(remote, header, proxies, expected) -> None:
    assert forwarded_client_ip(remote, header, proxies) == expected


@pytest.mark.django_db
def test_login_audit_records_the_forwarded_address(client, settings, make_staff) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_staff()
    response = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": "pw"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="auth.login").latest("pk")
    assert event.ip_address == "203.0.113.7"
