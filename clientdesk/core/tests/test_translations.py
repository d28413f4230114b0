"""Russian is complete: every string of the interface has a translation, and the compiled
catalogue that a fresh install uses says the same as the source catalogue."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings

PO = Path(settings.PACKAGE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_every_russian_string_is_translated(catalogue: polib.POFile) -> None:
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogue_matches_source(catalogue: polib.POFile) -> None:
    compiled = polib.mofile(str(PO.with_suffix(".mo")))
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in catalogue.translated_entries()
    }
    built = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in compiled}
    missing = {k for k in source if source[k] != built.get(k)}
    assert missing == set()
