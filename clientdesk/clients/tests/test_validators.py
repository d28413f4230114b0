"""What people type into the registry is judged the same way by every form, import and API."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum.ru import inn as inn_std
from stdnum.ru import ogrn as ogrn_std

from clientdesk.clients import validators

ORG_INN = "7707083893"  # Sberbank: a real, valid 10-digit INN
IP_INN = "500100732259"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Messages are asserted in their English source text, whatever the default language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def test_org_inn_with_spaces_and_dashes_is_normalised() -> None:
    assert validators.clean_inn(" 7707-083 893 ") == ORG_INN


def test_sole_proprietor_inn_has_twelve_digits() -> None:
    assert inn_std.is_valid(IP_INN)
    assert validators.clean_inn(IP_INN, sole_proprietor=True) == IP_INN


def test_inn_with_wrong_check_digit_names_inn_and_number() -> None:
    with pytest.raises(ValidationError) as exc:
        validators.clean_inn("7707083894")
    assert exc.value.code == "inn_checksum"
    assert "INN" in exc.value.messages[0] and "7707083894" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("value", "sole", "code"),
    [
        ("77070838", None, "inn_length"),
        (ORG_INN, True, "inn_length"),
        (IP_INN, False, "inn_length"),
        ("77O7083893", None, "inn_digits"),
    ],
)
def test_bad_inn_is_rejected_with_a_reason(value: str, sole: bool | None, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validators.clean_inn(value, sole_proprietor=sole)
    assert exc.value.code == code


def test_empty_inn_is_allowed_and_stays_empty() -> None:
    assert validators.clean_inn("  ") == ""


@pytest.mark.parametrize("value", ["773601001", "7736AB001", "7736 01 001"])
def test_good_kpp(value: str) -> None:
    assert len(validators.clean_kpp(value)) == 9


@pytest.mark.parametrize("value", ["77360100", "7736010011", "77ab01001", "KPP773601"])
def test_bad_kpp(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validators.clean_kpp(value)
    assert "KPP" in exc.value.messages[0]


def _ogrn(body: str) -> str:
    return body + ogrn_std.calc_check_digit(body + "0")[-1]


def test_ogrn_and_ogrnip_with_check_digits() -> None:
    ogrn = _ogrn("102770013219")
    ogrnip = _ogrn("30450011600015")
    assert validators.clean_ogrn(ogrn, sole_proprietor=False) == ogrn
    assert validators.clean_ogrn(ogrnip, sole_proprietor=True) == ogrnip


def test_ogrn_with_wrong_check_digit_or_length_is_rejected() -> None:
    good = _ogrn("102770013219")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as exc:
        validators.clean_ogrn(bad)
    assert exc.value.code == "ogrn_checksum"
    with pytest.raises(ValidationError) as exc:
        validators.clean_ogrn(good, sole_proprietor=True)
    assert "OGRNIP" in exc.value.messages[0]


@pytest.mark.parametrize(
    "value", ["8 495 123-45-67", "+7 (495) 123-45-67", "84951234567", "+74951234567"]
)
def test_russian_phone_forms_become_e164(value: str) -> None:
    assert validators.clean_phone(value) == "+74951234567"


@pytest.mark.parametrize("value", ["12345", "телефон", "+7 495 123"])
def test_bad_phone_says_how_to_write_it(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validators.clean_phone(value)
    assert exc.value.code in {"phone_format", "phone_invalid"}


def test_email_domain_is_lowercased_and_local_part_kept() -> None:
    assert validators.clean_email(" Ivan.Petrov@Example.RU ") == "Ivan.Petrov@example.ru"


@pytest.mark.parametrize("value", ["ivan@", "ivan.example.ru", "ivan@@example.ru"])
def test_bad_email_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validators.clean_email(value)
    assert value.strip() in exc.value.messages[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1 234,56", Decimal("1234.56")),
        ("1\u00a0234\u00a0567,89", Decimal("1234567.89")),
        ("1.234.567,89", Decimal("1234567.89")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("1234567.89", Decimal("1234567.89")),
        ("-500,00", Decimal("-500.00")),
        ("12 000 ₽", Decimal("12000")),
        ("", None),
        (None, None),
        (15, Decimal("15")),
    ],
)
def test_decimal_parsing_reads_russian_number_formats(value: object, expected: object) -> None:
    assert validators.parse_decimal(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["abc", "12,34,5x", "1 2 3 руб"])
def test_decimal_parsing_rejects_text(value: str) -> None:
    with pytest.raises(ValidationError):
        validators.parse_decimal(value)


def test_normalise_name_folds_case_yo_and_quotes() -> None:
    assert validators.normalise_name('ООО  «Ёлка»  "Плюс"') == "ооо елка плюс"


def test_phone_filter_shows_stored_numbers_readably() -> None:
    from clientdesk.clients.templatetags.registry import phone

    assert phone("+74951234567") == "+7 495 123-45-67"
    assert phone("") == ""
    assert phone("not a number") == "not a number"
