"""The import's fast paths for phones and e-mails give exactly what validators.clean_* give.

The fast path decides validity itself from phonenumbers' metadata, so it is compared with the
library on many generated numbers: every area code (valid and invalid ones), the Kazakh numbers
that share +7, the trunk prefix 8, the international prefix 8 10, and every spelling the fast
path accepts, plus spellings it must leave to the library.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.ru import inn as inn_std
from stdnum.ru import ogrn as ogrn_std

from clientdesk.clients import validators
from clientdesk.clients.imports import phones
from clientdesk.clients.imports import values as import_values


def _slow(raw: str) -> tuple[str, str]:
    try:
        return "ok", validators.clean_phone(raw)
    except ValidationError as exc:
        return "error", " ".join(exc.messages)


def _fast(raw: str) -> tuple[str, str]:
    try:
        return "ok", phones.clean_phone(raw)
    except ValidationError as exc:
        return "error", " ".join(exc.messages)


def _spell(digits: str, prefix: str, style: int) -> str:
    """Ten national digits written the ways 1C, Excel and people write them."""
    area, a, b, c = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return [
        f"{prefix}{digits}",
        f"{prefix} {area} {a}-{b}-{c}",
        f"{prefix} ({area}) {a}-{b}-{c}",
        f"{prefix}({area}){a}{b}{c}",
        f"{prefix}-{area}-{a}-{b}-{c}",
        f"{prefix} {area} {a}{b}{c}",
        f"{prefix} {area} {a} {b} {c}",
        f" {prefix}{area}{a} {b}{c} ",
        f"{prefix} ({area} {a}-{b}-{c}",  # an unclosed bracket: the library decides
        f"{prefix} {area} {a}-{b}-{c} доб. 12",  # an extension: the library decides
        f"{prefix}  {area}  {a}{b}{c}",
    ][style]


ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
# Area codes where something happens: mobile 9xx, Moscow/St Petersburg, toll-free 800,
# premium 803/809, personal 808, Kazakhstan 7xx, and unassigned ranges.
AREAS = "900 916 930 958 995 495 499 812 800 801 803 808 809 700 701 705 727 747 751 760 771"
AREAS += " 785 336 301 350 401 427 000 100 108 200 555 600 888 999 381"
interesting_area = st.sampled_from(AREAS.split())
rest = st.text(alphabet="0123456789", min_size=7, max_size=7)


@settings(max_examples=3000, deadline=None)
@given(
    digits=st.one_of(ten_digits, st.builds(str.__add__, interesting_area, rest)),
    prefix=st.sampled_from(["+7", "8", "+ 7", "7", "+8", "810", "07"]),
    style=st.integers(min_value=0, max_value=10),
)
@example(digits="9161234567", prefix="+7", style=0)
@example(digits="0123456789", prefix="8", style=0)
@example(digits="1012345678", prefix="8", style=0)
@example(digits="7012345678", prefix="+7", style=2)
@example(digits="8001234567", prefix="8", style=1)
@example(digits="9301234567", prefix="+7", style=0)
def test_fast_path_agrees_with_phonenumbers(digits: str, prefix: str, style: int) -> None:
    raw = _spell(digits, prefix, style)
    assert _fast(raw) == _slow(raw), raw


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="+78 ()-0123456789.", max_size=22))
def test_fast_path_agrees_on_arbitrary_strings(raw: str) -> None:
    assert _fast(raw) == _slow(raw)


def test_every_three_digit_prefix_is_judged_like_the_library() -> None:
    # The validity patterns look at the leading digits: walk every area code with a few
    # subscriber numbers each, so that no range is missed by chance.
    for area in range(1000):
        for tail in ("0000000", "1234567", "5555555", "9999999", "0050000", "3012345"):
            digits = f"{area:03d}{tail}"
            number = phonenumbers.PhoneNumber(country_code=7, national_number=int(digits))
            expected = digits[0] != "0" and phonenumbers.is_valid_number(number)
            assert phones.is_valid_plus7(digits) == expected, digits


@pytest.mark.parametrize(
    "raw",
    ["+7 916 123-45-67", "8 (495) 123-45-67", "89161234567", "+74951234567", "8 800 555-35-35"],
)
def test_typical_numbers_take_the_fast_path(raw: str, monkeypatch: Any) -> None:
    def slow(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("the slow path was used")

    monkeypatch.setattr(validators, "clean_phone", slow)
    assert phones.clean_phone(raw).startswith("+7")


def test_trunk_prefix_is_left_to_the_library_outside_russia(settings: Any) -> None:
    settings.PHONE_DEFAULT_REGION = "DE"
    assert phones.clean_phone("89161234567") == validators.clean_phone("89161234567")


def test_import_cell_parser_uses_the_fast_path_and_keeps_messages() -> None:
    assert import_values.phone("79161234567") == "+79161234567"
    assert import_values.phone(79161234567) == "+79161234567"
    with pytest.raises(ValidationError) as exc:
        import_values.phone("+7 000 123-45-67")
    with pytest.raises(ValidationError) as slow:
        validators.clean_phone("+7 000 123-45-67")
    assert exc.value.messages == slow.value.messages


# --- e-mail addresses ---------------------------------------------------------------------------
def _email(func: Any, raw: str) -> tuple[str, str]:
    try:
        return "ok", func(raw)
    except ValidationError as exc:
        return "error", " ".join(exc.messages)


local_part = st.text(alphabet="abcXYZ019.-_+!#\"' @", min_size=0, max_size=12)
domain_part = st.one_of(
    st.sampled_from(["example.ru", "Mail.RU", "localhost", "[127.0.0.1]", "[::1]", "xn--80a.ru"]),
    st.sampled_from(["пример.рф", "a..ru", "-a.ru", "ru", "a.r", "a.ru.", "[300.1.1.1]", ""]),
    st.text(alphabet="abc.-19[]:@", max_size=12),
)


@settings(max_examples=1500, deadline=None)
@given(local=local_part, domain=domain_part, pad=st.sampled_from(["", " ", "  "]))
@example(local="ivan.petrov", domain="Example.RU", pad=" ")
@example(local='"quoted name"', domain="example.ru", pad="")
@example(local="a" * 320, domain="example.ru", pad="")
def test_email_parser_agrees_with_the_validator(local: str, domain: str, pad: str) -> None:
    raw = f"{pad}{local}@{domain}{pad}"
    assert _email(import_values.email, raw) == _email(validators.clean_email, raw)
    # Twice: the second answer comes from the domain cache.
    assert _email(import_values.email, raw) == _email(validators.clean_email, raw)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_email_parser_agrees_on_arbitrary_text(raw: str) -> None:
    assert _email(import_values.email, raw) == _email(validators.clean_email, raw)


# --- INN and OGRN ------------------------------------------------------------------------------
def _ident(func: Any, raw: Any) -> tuple[str, str]:
    try:
        return "ok", func(raw)
    except ValidationError as exc:
        return "error", " ".join(exc.messages)


def _slow_inn(raw: str) -> Any:
    # What the import did before the fast path: the validator, with Excel's lost leading zero.
    return import_values._with_lost_zero(validators.clean_inn, raw, (9, 11))


@settings(max_examples=1500, deadline=None)
@given(
    digits=st.text(alphabet="0123456789", min_size=8, max_size=16),
    pad=st.sampled_from(["", " ", "-", "\u00a0"]),
    fix=st.booleans(),
)
@example(digits="7707083893", pad="", fix=False)
@example(digits="500100732259", pad="", fix=False)
@example(digits="1027700132195", pad="", fix=False)
def test_inn_and_ogrn_fast_paths_agree_with_the_validators(
    digits: str, pad: str, fix: bool
) -> None:
    if fix and len(digits) in (10, 12, 13, 15):
        # Make the check digits right, so that valid numbers are well represented.
        if len(digits) == 10:
            digits = digits[:9] + inn_std.calc_company_check_digit(digits[:9])
        elif len(digits) == 12:
            digits = digits[:10] + inn_std.calc_personal_check_digits(digits[:10])
        else:
            digits = digits[:-1] + ogrn_std.calc_check_digit(digits)
    raw = digits[:3] + pad + digits[3:] if pad else digits
    assert _ident(import_values.inn, raw) == _ident(_slow_inn, raw)
    assert _ident(import_values.ogrn, raw) == _ident(validators.clean_ogrn, raw)


def test_inn_fast_path_ignores_unicode_digits() -> None:
    arabic = "٧٧٠٧٠٨٣٨٩٣"  # 7707083893 in Arabic-Indic digits: str.isdigit() is True
    assert _ident(import_values.inn, arabic) == _ident(_slow_inn, arabic)
    assert _ident(import_values.ogrn, "١٠٢٧٧٠٠١٣٢١٩٥") == _ident(
        validators.clean_ogrn, "١٠٢٧٧٠٠١٣٢١٩٥"
    )
