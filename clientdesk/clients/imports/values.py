"""Turning one cell into one value, as a form would: every parser raises ValidationError with a
message the user can act on, or returns the canonical value (None for an empty cell)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from operator import mul
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _
from stdnum.ru import ogrn as ogrn_std

from .. import validators
from . import phones

Parser = Callable[[Any], Any]

_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y", "%d-%m-%Y", "%Y.%m.%d")


def as_text(value: Any) -> str:
    """A cell as text: whole floats from Excel lose their '.0', dates become ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(max_length: int) -> Parser:
    def parse(value: Any) -> str:
        result = " ".join(as_text(value).split())
        if len(result) > max_length:
            raise ValidationError(
                _("The text is %(n)s characters long; at most %(max)s fit.")
                % {"n": len(result), "max": max_length}
            )
        return result

    return parse


def multiline(value: Any) -> str:
    return as_text(value)


def _with_lost_zero(clean: Callable[[str], str], raw: str, lengths: Iterable[int]) -> str:
    """Excel turns '0274062111' into the number 274062111; put the zero back if that helps."""
    try:
        return clean(raw)
    except ValidationError:
        digits = re.sub(r"\D", "", raw)
        if digits == raw.strip() and len(digits) in lengths:
            try:
                return clean("0" + digits)
            except ValidationError:
                pass
        raise


# The INN check-digit weights of python-stdnum (stdnum.ru.inn), applied with map() in C;
# tests/test_import_fast_paths.py compares the result with stdnum on many numbers.
_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(map(mul, weights, map(int, digits))) % 11 % 10)


def _plain_digits(raw: str, lengths: tuple[int, ...]) -> bool:
    return len(raw) in lengths and raw.isascii() and raw.isdigit()


def inn(value: Any) -> str:
    raw = as_text(value)
    # A plain 10- or 12-digit INN with right check digits: what validators.clean_inn returns,
    # with the check digits computed by python-stdnum's own functions, without its clean-up
    # of separators and Unicode that such a value does not need. Anything else, and every
    # error, goes through validators.clean_inn.
    if _plain_digits(raw, (10, 12)):
        if len(raw) == 10 and _check_digit(raw, _INN10) == raw[9]:
            return raw
        if (
            len(raw) == 12
            and _check_digit(raw, _INN12_1) == raw[10]
            and _check_digit(raw, _INN12_2) == raw[11]
        ):
            return raw
    return _with_lost_zero(validators.clean_inn, raw, (9, 11))


def kpp(value: Any) -> str:
    return _with_lost_zero(validators.clean_kpp, as_text(value), (8,))


def ogrn(value: Any) -> str:
    raw = as_text(value)
    # As inn(): a plain OGRN (13 digits, not starting with 0) or OGRNIP (15 digits starting
    # with 3 or 4) with the right check digit is what validators.clean_ogrn returns.
    plain = _plain_digits(raw, (13, 15))
    if plain and (raw[0] != "0" if len(raw) == 13 else raw[0] in "34"):  # noqa: SIM102
        if ogrn_std.calc_check_digit(raw) == raw[-1]:
            return raw
    return validators.clean_ogrn(raw)


def phone(value: Any) -> str:
    raw = as_text(value)
    # A number cell holding 79161234567 lost its '+'; 8XXXXXXXXXX is the Russian trunk form.
    if raw.isdigit() and len(raw) == 11 and raw[0] == "7":
        raw = "+" + raw
    # The same result as validators.clean_phone, without phonenumbers.parse for plain +7 numbers.
    return phones.clean_phone(raw)


# Files repeat a few domains (the company's, gmail.com, mail.ru) over thousands of addresses:
# Django's domain check is a long regular expression, so each distinct domain is judged once.
_DOMAINS_OK: dict[str, bool] = {}
_DOMAINS_CACHE_SIZE = 10_000


# Django's user-part pattern, compiled here: validate_email.user_regex is a lazy object whose
# every .match() goes through a proxy.
_EMAIL_USER = re.compile(validate_email.user_regex.pattern, validate_email.user_regex.flags)


def _domain_ok(domain: str) -> bool:
    ok = _DOMAINS_OK.get(domain)
    if ok is None:
        ok = domain in validate_email.domain_allowlist or bool(
            validate_email.validate_domain_part(domain)
        )
        if len(_DOMAINS_OK) >= _DOMAINS_CACHE_SIZE:
            _DOMAINS_OK.clear()
        _DOMAINS_OK[domain] = ok
    return ok


def email(value: Any) -> str:
    """validators.clean_email, with the same steps as Django's EmailValidator for a valid
    address (length, user part, domain part) but the domain's verdict cached; anything it does
    not accept goes to validators.clean_email, which words the error."""
    raw = as_text(value)
    if raw and "@" in raw and len(raw) <= 320:
        user, domain = raw.rsplit("@", 1)
        if _EMAIL_USER.match(user) and _domain_ok(domain):
            return f"{user}@{domain.lower()}"
    return validators.clean_email(raw)


def decimal(max_digits: int = 16, decimal_places: int = 2) -> Parser:
    def parse(value: Any) -> Decimal | None:
        if isinstance(value, float):
            value = Decimal(repr(value))
        number = validators.parse_decimal(value if not isinstance(value, str) else value.strip())
        if number is None:
            return None
        if not number.is_finite():
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": value})
        number = number.quantize(Decimal(1).scaleb(-decimal_places))
        if len(number.as_tuple().digits) > max_digits:
            raise ValidationError(_("The number %(value)s is too large.") % {"value": value})
        return number

    return parse


def positive_int(value: Any) -> int:
    number = validators.parse_decimal(value if not isinstance(value, str) else value.strip())
    if number is None:
        raise ValidationError(_("Enter a whole number."))
    if number != number.to_integral_value() or number < 0:
        raise ValidationError(
            _("“%(value)s” is not a whole number of zero or more.") % {"value": value}
        )
    if number > 2_147_483_647:
        raise ValidationError(_("The number %(value)s is too large.") % {"value": value})
    return int(number)


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = as_text(value)
    # 1C writes dates with a time: '31.12.2025 0:00:00'; ISO exports use 'T'.
    head = raw.split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(head, fmt).date()  # noqa: DTZ007 - a date, no zone
        except ValueError:
            continue
    raise ValidationError(
        _("“%(value)s” is not a date. Write it as 31.12.2025 or 2025-12-31.") % {"value": raw}
    )


def currency(value: Any) -> str:
    raw = as_text(value).upper().rstrip(".")
    aliases = {"РУБ": "RUB", "RUR": "RUB", "₽": "RUB", "Р": "RUB", "РУБЛЬ": "RUB", "$": "USD"}
    aliases |= {"€": "EUR", "ЕВРО": "EUR", "ДОЛЛ": "USD", "ЮАНЬ": "CNY"}
    code = aliases.get(raw, raw)
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValidationError(
            _("“%(value)s” is not a currency code: write RUB, USD, EUR, CNY…") % {"value": raw}
        )
    return code


def choice(options: dict[str, str], hint: Iterable[str]) -> Parser:
    """Maps any of the accepted spellings (lower case) to the stored value."""

    def parse(value: Any) -> str:
        key = " ".join(as_text(value).lower().replace("ё", "е").split())
        if key in options:
            return options[key]
        raise ValidationError(
            _("“%(value)s” is not one of: %(options)s.")
            % {"value": as_text(value), "options": ", ".join(hint)}
        )

    return parse


_COUNTRIES = {"россия": "RU", "рф": "RU", "russia": "RU", "russian federation": "RU"}
_COUNTRIES |= {"беларусь": "BY", "казахстан": "KZ", "belarus": "BY", "kazakhstan": "KZ"}


def country(value: Any) -> str:
    raw = as_text(value)
    code = _COUNTRIES.get(raw.lower(), raw.upper())
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValidationError(
            _("“%(value)s” is not a country code: write RU, BY, KZ, DE…") % {"value": raw}
        )
    return code


def website(value: Any) -> str:
    raw = as_text(value)
    url = raw if "://" in raw else f"https://{raw}"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(_("“%(value)s” is not a web address.") % {"value": raw}) from None
    if len(url) > 200:
        raise ValidationError(_("The web address is longer than 200 characters."))
    return url


def boolean(value: Any) -> bool:
    key = as_text(value).lower()
    if key in {"1", "да", "yes", "true", "y", "д", "+", "истина"}:
        return True
    if key in {"0", "нет", "no", "false", "n", "н", "-", "ложь"}:
        return False
    raise ValidationError(_("“%(value)s” is neither yes nor no.") % {"value": as_text(value)})
