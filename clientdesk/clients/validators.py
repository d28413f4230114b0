"""Normalising and validating what people type into the registry.

Each `clean_*` function takes raw input (as typed, pasted from Excel or exported from 1C) and
returns the canonical value or raises `ValidationError` with a message a user can act on.
Forms, the API and imports all call these, so one value is judged the same way everywhere.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as inn_std
from stdnum.ru import ogrn as ogrn_std

_NON_DIGITS = re.compile(r"[\s\-\u00a0]")
_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({c: " " for c in "\"'«»“”„`"})


def _digits(value: str) -> str:
    return _NON_DIGITS.sub("", value or "")


def clean_inn(value: str, *, sole_proprietor: bool | None = None) -> str:
    """INN: 10 digits for an organisation, 12 for a sole proprietor, check digits verified."""
    number = _digits(value)
    if not number:
        return ""
    if not number.isdigit():
        raise ValidationError(_("INN must contain digits only."), code="inn_digits")
    if sole_proprietor is True and len(number) != 12:
        raise ValidationError(
            _("A sole proprietor's INN has 12 digits; %(n)s were entered.") % {"n": len(number)},
            code="inn_length",
        )
    if sole_proprietor is False and len(number) != 10:
        raise ValidationError(
            _("An organisation's INN has 10 digits; %(n)s were entered.") % {"n": len(number)},
            code="inn_length",
        )
    try:
        return str(inn_std.validate(number))
    except InvalidLength:
        raise ValidationError(
            _("INN has 10 digits (organisation) or 12 (sole proprietor); %(n)s were entered.")
            % {"n": len(number)},
            code="inn_length",
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            _("INN %(inn)s has a wrong check digit: check it for a typo.") % {"inn": number},
            code="inn_checksum",
        ) from None
    except StdnumError:
        raise ValidationError(_("INN %(inn)s is not valid.") % {"inn": number}) from None


def clean_kpp(value: str) -> str:
    """KPP: 9 characters — tax office (4 digits), reason (2 digits or letters), number (3)."""
    kpp = _digits(value).upper()
    if not kpp:
        return ""
    if not _KPP.match(kpp):
        raise ValidationError(
            _("KPP has 9 characters: 4 digits, 2 digits or capital Latin letters, 3 digits."),
            code="kpp_format",
        )
    return kpp


def clean_ogrn(value: str, *, sole_proprietor: bool | None = None) -> str:
    """OGRN (13 digits) or OGRNIP (15 digits), with its check digit."""
    number = _digits(value)
    if not number:
        return ""
    expected = {True: 15, False: 13}.get(sole_proprietor) if sole_proprietor is not None else None
    if expected and len(number) != expected:
        raise ValidationError(
            _("OGRNIP has 15 digits; %(n)s were entered.") % {"n": len(number)}
            if sole_proprietor
            else _("OGRN has 13 digits; %(n)s were entered.") % {"n": len(number)},
            code="ogrn_length",
        )
    try:
        return str(ogrn_std.validate(number))
    except InvalidLength:
        raise ValidationError(
            _("OGRN has 13 digits, OGRNIP 15; %(n)s were entered.") % {"n": len(number)},
            code="ogrn_length",
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            _("OGRN %(ogrn)s has a wrong check digit: check it for a typo.") % {"ogrn": number},
            code="ogrn_checksum",
        ) from None
    except StdnumError:
        raise ValidationError(_("OGRN %(ogrn)s is not valid.") % {"ogrn": number}) from None


def clean_phone(value: str, *, region: str | None = None) -> str:
    """A phone number in E.164 (+74951234567). Russian local forms (8 495 ..., 495 ...) accepted."""
    raw = (value or "").strip()
    if not raw:
        return ""
    default_region = region or getattr(settings, "PHONE_DEFAULT_REGION", "RU")
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(value)s” is not a phone number. Enter it as +7 495 123-45-67.") % {"value": raw},
            code="phone_format",
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("Phone number “%(value)s” does not exist: check the code and the number of digits.")
            % {"value": raw},
            code="phone_invalid",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """For display: +7 495 123-45-67."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def clean_email(value: str) -> str:
    email = (value or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not an e-mail address.") % {"value": email}, code="email"
        ) from None
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def parse_decimal(value: str | int | float | Decimal | None) -> Decimal | None:
    """Numbers as Russian users write them: '1 234 567,89', '1234567.89', '1.234.567,89'."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("₽", "")
    text = text.removesuffix("руб.").removesuffix("р.")
    if not text:
        return None
    if "," in text and "." in text:
        # The separator that comes last is the decimal one.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            _("“%(value)s” is not a number.") % {"value": value}, code="number"
        ) from None


def normalise_name(value: str) -> str:
    """A name for search and matching: lower case, ё→е, no quotes, single spaces."""
    text = (value or "").lower().replace("ё", "е").translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


_LEGAL_FORM_WORDS = re.compile(
    r"^(ооо|оао|зао|пао|ао|нао|ип|гуп|муп|фгуп|фгбу|ано|нко|llc|ltd|inc|gmbh|"
    r"общество с ограниченной ответственностью|акционерное общество|"
    r"публичное акционерное общество|индивидуальный предприниматель)\s+"
)


def name_without_legal_form(value: str) -> str:
    """'ООО "Ромашка"' → 'ромашка': what people mean when they search or compare names."""
    return _LEGAL_FORM_WORDS.sub("", normalise_name(value)).strip()
