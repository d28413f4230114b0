"""Encryption at rest for the few secrets the application must read back in clear (the seeds
of authenticator apps): a copy of the database or a backup alone does not give them away.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) with a key derived from
SECRET_KEY. Rotating SECRET_KEY the Django way keeps them readable: the old key goes into
SECRET_KEY_FALLBACKS, which are tried in turn. A value that no key opens raises
`CannotDecrypt`; for a second factor that means the user signs in with a recovery code or an
administrator resets it.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

PREFIX = "enc1:"


class CannotDecrypt(Exception):
    """No configured key (SECRET_KEY or a fallback) opens the value."""


def _fernet(secret_key: str) -> Fernet:
    digest = salted_hmac(
        "clientdesk.core.encryption", "fernet key", secret=secret_key, algorithm="sha256"
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(text: str) -> str:
    return PREFIX + _fernet(settings.SECRET_KEY).encrypt(text.encode()).decode()


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def decrypt(value: str) -> str:
    if not is_encrypted(value):
        raise CannotDecrypt("not an encrypted value")
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    try:
        return (
            MultiFernet([_fernet(k) for k in keys]).decrypt(value[len(PREFIX) :].encode()).decode()
        )
    except InvalidToken as exc:
        raise CannotDecrypt("no configured key opens this value") from exc
