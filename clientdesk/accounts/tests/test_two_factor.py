"""Two-step sign-in (TOTP), recovery codes, and throttling of guessed codes and tokens."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientdesk.accounts import services
from clientdesk.accounts.models import RecoveryCode, TOTPDevice
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
CODE = reverse("accounts:login_code")
TWO_FACTOR = reverse("accounts:two_factor")
PASSWORD = "pw"  # the factories' password


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def current_code(user) -> str:
    return pyotp.TOTP(services.totp_secret(TOTPDevice.objects.get(user=user))).now()


def enrol(user) -> list[str]:
    services.totp_begin(user=user)
    return services.totp_confirm(user=user, code=current_code(user))


def step_back(user) -> None:
    # Each accepted code raises last_step; tests that need a second code in the same 30 s
    # window move the device's memory back instead of waiting.
    TOTPDevice.objects.filter(user=user).update(last_step=0)


def test_enrolment_shows_an_inline_svg_qr_and_needs_a_correct_code(make_portal_user) -> None:
    user = make_portal_user()
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page = client.post(TWO_FACTOR, {"action": "begin"}).content.decode()
    assert "<svg" in page and "otpauth" not in page  # the URI is inside the QR, not the page
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed_at is None and services.totp_secret(device) in page
    # Stored encrypted: the seed shown once on the page is not what the database holds.
    assert services.totp_secret(device) not in device.secret
    wrong = client.post(TWO_FACTOR, {"action": "confirm", "code": "000000"}).content.decode()
    assert "not correct" in wrong
    device.refresh_from_db()
    assert device.confirmed_at is None
    ok = client.post(TWO_FACTOR, {"action": "confirm", "code": current_code(user)})
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", ok.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed_at is not None
    # Only hashes are stored.
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert not stored & set(codes) and len(stored) == 10
    assert AuditEvent.objects.filter(action="auth.totp_enabled", actor=user).exists()


def test_login_asks_for_the_code_after_the_password(make_portal_user) -> None:
    user = make_portal_user()
    enrol(user)
    step_back(user)
    client = Client()
    response = sign_in(client, user.username)
    assert response.status_code == 302 and response["Location"] == CODE
    # Not signed in yet.
    assert client.get(reverse("portal:home")).status_code == 302
    wrong = client.post(CODE, {"code": "123456"})
    assert wrong.status_code == 200 and "not correct" in wrong.content.decode()
    ok = client.post(CODE, {"code": current_code(user)})
    assert ok.status_code == 302 and ok["Location"] == "/portal/"
    assert client.get(reverse("portal:home")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", changes__method="totp").exists()


def test_a_code_cannot_be_replayed(make_staff) -> None:
    user = make_staff(Role.ANALYST)
    enrol(user)
    code = current_code(user)
    step_back(user)
    assert services.second_factor_verify(user=user, code=code) == "totp"
    assert services.second_factor_verify(user=user, code=code) is None


def test_recovery_code_signs_in_once(make_staff) -> None:
    user = make_staff(Role.ANALYST)
    codes = enrol(user)
    client = Client()
    sign_in(client, user.username)
    response = client.post(CODE, {"code": codes[0].upper()}, follow=True)
    assert response.status_code == 200 and "9 codes are left" in response.content.decode()
    other = Client()
    sign_in(other, user.username)
    again = other.post(CODE, {"code": codes[0]})
    assert again.status_code == 200 and "not correct" in again.content.decode()


def test_wrong_codes_are_throttled_per_account(make_staff, settings) -> None:
    user = make_staff(Role.ANALYST)
    enrol(user)
    step_back(user)
    client = Client()
    sign_in(client, user.username)
    for _i in range(5):
        assert client.post(CODE, {"code": "000000"}).status_code == 200
    blocked = client.post(CODE, {"code": current_code(user)})
    assert blocked.status_code == 429
    # From another address too: the limit is per account as well as per address.
    other = Client(REMOTE_ADDR="10.0.0.9")
    sign_in(other, user.username)
    assert other.post(CODE, {"code": current_code(user)}).status_code == 429


def test_code_step_expires(make_staff) -> None:
    user = make_staff(Role.ANALYST)
    enrol(user)
    client = Client()
    sign_in(client, user.username)
    session = client.session
    pending = session["auth_pending_2fa"]
    pending["at"] = timezone.now().timestamp() - 3600
    session["auth_pending_2fa"] = pending
    session.save()
    response = client.post(CODE, {"code": current_code(user)})
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_code_step_without_password_goes_to_login(client) -> None:
    response = client.get(CODE)
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_disable_needs_the_password(make_staff) -> None:
    user = make_staff(Role.ANALYST)
    enrol(user)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    wrong = client.post(TWO_FACTOR, {"action": "disable", "password": "nope"})
    assert "not correct" in wrong.content.decode()
    assert services.has_second_factor(user)
    client.post(TWO_FACTOR, {"action": "disable", "password": PASSWORD})
    assert not services.has_second_factor(user)
    assert not RecoveryCode.objects.filter(user=user).exists()
    # Signing in is back to the password alone.
    response = sign_in(Client(), user.username)
    assert response["Location"] == reverse("core:home")


def test_users_without_second_factor_sign_in_with_the_password(client, make_portal_user) -> None:
    user = make_portal_user()
    assert sign_in(client, user.username)["Location"] == "/portal/"


def test_two_factor_page_needs_a_signed_in_user(client) -> None:
    assert client.get(TWO_FACTOR).status_code == 302


# --- guessed tokens on other paths -----------------------------------------------------------
def test_guessed_password_reset_links_are_throttled(client, settings, make_staff) -> None:
    settings.TOKEN_GUESS_LIMIT = 3
    for i in range(3):
        url = reverse("accounts:password_reset_confirm", args=["MQ", f"bad-{i}"])
        response = client.get(url)
        assert response.status_code == 200 and "no longer valid" in response.content.decode()
    blocked = client.get(reverse("accounts:password_reset_confirm", args=["MQ", "bad-9"]))
    assert blocked.status_code == 429 and "Too many" in blocked.content.decode()


def test_guessed_survey_links_are_throttled(client, settings) -> None:
    settings.TOKEN_GUESS_LIMIT = 3
    for i in range(3):
        assert client.get(reverse("surveys:answer", args=[f"guess{i}"])).status_code == 404
    assert client.get(reverse("surveys:answer", args=["guess9"])).status_code == 429
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.7")
    assert other.get(reverse("surveys:answer", args=["guess10"])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_seeds_stored_in_clear(make_portal_user) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    user = make_portal_user()
    TOTPDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP")  # as before 0003
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0002_totp_and_recovery_codes")])
    executor.loader.build_graph()
    executor.migrate([("accounts", "0003_encrypt_totp_secrets")])
    device = TOTPDevice.objects.get(user=user)
    assert device.secret != "JBSWY3DPEHPK3PXP"
    assert services.totp_secret(device) == "JBSWY3DPEHPK3PXP"
