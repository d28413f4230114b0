"""Secrets kept encrypted at rest survive a SECRET_KEY rotation done the Django way."""

from __future__ import annotations

import pytest
from django.test import override_settings

from clientdesk.core import encryption


def test_round_trip_does_not_store_the_clear_text() -> None:
    stored = encryption.encrypt("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in stored and encryption.is_encrypted(stored)
    assert encryption.decrypt(stored) == "JBSWY3DPEHPK3PXP"
    # Each encryption is fresh (random IV): equal secrets do not show as equal values.
    assert encryption.encrypt("JBSWY3DPEHPK3PXP") != stored


def test_old_key_in_fallbacks_still_opens_values_and_a_lost_key_is_a_clear_error() -> None:
    with override_settings(SECRET_KEY="old-key-" + "x" * 50):
        stored = encryption.encrypt("seed")
    with override_settings(
        SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=["old-key-" + "x" * 50]
    ):
        assert encryption.decrypt(stored) == "seed"
    lost = override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=[])
    with lost, pytest.raises(encryption.CannotDecrypt):
        encryption.decrypt(stored)
    with pytest.raises(encryption.CannotDecrypt):
        encryption.decrypt("JBSWY3DPEHPK3PXP")  # never encrypted
