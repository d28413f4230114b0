from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    # Attachments of the tests go to a temporary directory, never into var/.
    settings.SERVICE_PRIVATE_ROOT = tmp_path / "private"
