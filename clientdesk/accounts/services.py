"""Writes on accounts. Each records its own audit event."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

import pyotp
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from clientdesk.core import audit, encryption
from clientdesk.core.roles import Role

from .models import RecoveryCode, TOTPDevice, User

logger = logging.getLogger(__name__)


@transaction.atomic
def staff_user_create(
    *,
    username: str,
    password: str | None,
    role: Role | str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    patronymic: str = "",
    position: str = "",
    by: Any = None,
) -> User:
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        patronymic=patronymic,
        position=position,
        kind=User.Kind.STAFF,
        role=Role(role),
        # Administrators configure the system in the Django admin.
        is_staff=Role(role) == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(actor=by, action="user.create", target=user, changes={"role": user.role})
    return user


@transaction.atomic
def staff_role_set(*, user: User, role: Role | str, by: Any) -> User:
    before = user.role
    user.role = Role(role)
    user.is_staff = user.role == Role.ADMIN
    user.save(update_fields=["role", "is_staff"])
    audit.record(actor=by, action="user.role", target=user, changes={"role": [before, user.role]})
    return user


@transaction.atomic
def api_token_rotate(*, user: User, by: Any) -> Token:
    """Replaces the user's API token; the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit.record(actor=by, action="user.api_token", target=user)
    return token


# --- second factor (TOTP) --------------------------------------------------------------------
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "clientdesk"


def totp_secret(device: TOTPDevice) -> str:
    """The device's base32 seed in clear (stored encrypted; raises encryption.CannotDecrypt
    when SECRET_KEY changed without the old key among SECRET_KEY_FALLBACKS)."""
    return encryption.decrypt(device.secret)


def totp_for(device: TOTPDevice) -> pyotp.TOTP:
    return pyotp.TOTP(totp_secret(device))


def totp_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI the authenticator app reads from the QR code."""
    user = device.user
    return totp_for(device).provisioning_uri(
        name=user.email or user.get_username(), issuer_name=TOTP_ISSUER
    )


def has_second_factor(user: Any) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def _hash_code(code: str) -> str:
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _i in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def totp_begin(*, user: User) -> TOTPDevice:
    """A new secret, not yet in force; replaces an unconfirmed one. A confirmed device must be
    disabled (with the password) before a new one is enrolled."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise ValidationError(_("The authenticator app is already enabled; disable it first."))
    if device is None:
        device = TOTPDevice(user=user)
    device.secret = encryption.encrypt(pyotp.random_base32())
    device.last_step = 0
    device.save()
    return device


def _accept_code(device: TOTPDevice, code: str) -> bool:
    """True when `code` is valid now (±1 step for clock drift) and newer than the last one
    accepted, so a code seen over a shoulder cannot be replayed."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return False
    try:
        totp = totp_for(device)
    except encryption.CannotDecrypt:
        # The key changed without a fallback: no code can be right. Recovery codes still work.
        logger.error(
            "TOTP seed of user %s cannot be decrypted (SECRET_KEY changed?)", device.user_id
        )
        return False
    now_step = totp.timecode(timezone.now())
    for step in (now_step - 1, now_step, now_step + 1):
        if step > device.last_step and hmac.compare_digest(totp.generate_otp(step), code):
            device.last_step = step
            device.save(update_fields=["last_step"])
            return True
    return False


@transaction.atomic
def totp_confirm(*, user: User, code: str) -> list[str]:
    """Enables the device after one correct code; returns fresh recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is not None:
        raise ValidationError(_("Start the set-up again: scan a new QR code."))
    if not _accept_code(device, code):
        raise ValidationError(
            _("The code is not correct. Check the time on your phone and type the current code.")
        )
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    codes = _recovery_codes_replace(user)
    audit.record(actor=user, action="auth.totp_enabled", target=user)
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _i in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_hash_code(c)) for c in codes]
    )
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    if not has_second_factor(user):
        raise ValidationError(_("Enable the authenticator app first."))
    codes = _recovery_codes_replace(user)
    audit.record(actor=user, action="auth.recovery_codes_regenerated", target=user)
    return codes


@transaction.atomic
def second_factor_verify(*, user: User, code: str) -> str | None:
    """Checks a sign-in code: "totp" or "recovery" (which is then spent), None when wrong."""
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None:
        return None
    if _accept_code(device, code):
        return "totp"
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_hash_code(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if used:
        audit.record(actor=user, action="auth.recovery_code_used", target=user)
        return "recovery"
    return None


@transaction.atomic
def totp_disable(*, user: User, password: str) -> None:
    if not user.check_password(password):
        raise ValidationError({"password": [_("The password is not correct.")]})
    deleted, _rows = TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    if deleted:
        audit.record(actor=user, action="auth.totp_disabled", target=user)
