"""A fast path for the phone numbers that fill real files: Russian (+7) numbers written as
+7 495 123-45-67, 8 (916) 123-45-67, 7 916 1234567 and the like.

`validators.clean_phone` runs `phonenumbers.parse` and `is_valid_number`, about 90 µs a number:
at 300,000 contacts that is half of an import. Here a number of that shape is reduced to its ten
national digits with one regular expression, and its validity is decided by the same metadata
and the same steps as `phonenumbers.is_valid_number` (which region of +7 the number belongs to,
then whether its digits match the general pattern and a pattern of some number type), with the
patterns compiled once. Anything else (other countries, extensions, letters, an invalid number,
so also every error message) goes to `validators.clean_phone` unchanged: the fast path only ever
returns a value that the slow path would return too. tests/test_import_phones.py checks that
with hypothesis on many generated numbers, valid and invalid, in every accepted spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from .. import validators

_COUNTRY_CODE = 7
# Only separators that phonenumbers ignores and that cannot start an extension or a second
# number: spaces, hyphens, one pair of brackets around the area code.
_SHAPE = re.compile(
    r"(?P<prefix>\+ ?7|8)[ \-]?"
    r"(?:\((?P<area>\d{3})\)|(?P<area2>\d{3}))[ \-]?"
    r"(?P<a>\d{3})[ \-]?(?P<b>\d{2})[ \-]?(?P<c>\d{2})"
)
# The same digits written in one run ("+79161234567", "89161234567").
_RUN = re.compile(r"(?P<prefix>\+7|8)(?P<digits>\d{10})")

# The types `phonenumbers._number_type_helper` tries, in its order. Validity only asks whether
# any of them matches, so the order does not change the answer; it is kept for the reader.
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


@dataclass(frozen=True)
class _Desc:
    lengths: frozenset[int]
    pattern: re.Pattern[str]

    def matches(self, digits: str) -> bool:
        # As phonenumberutil._is_number_matching_desc: no lengths listed means any length.
        if self.lengths and len(digits) not in self.lengths:
            return False
        return self.pattern.fullmatch(digits) is not None


@dataclass(frozen=True)
class _Region:
    code: str
    leading_digits: re.Pattern[str] | None
    general: _Desc
    types: tuple[_Desc, ...]
    # For each length of number, one pattern: the alternation of the patterns of the types that
    # allow that length. It fully matches exactly when one of them does, in one regex call.
    by_length: dict[int, re.Pattern[str]]

    def knows(self, digits: str) -> bool:
        """phonenumberutil._number_type_helper(digits, metadata) != UNKNOWN."""
        if not self.general.matches(digits):
            return False
        pattern = self.by_length.get(len(digits))
        return pattern is not None and pattern.fullmatch(digits) is not None


def _by_length(general: _Desc, types: tuple[_Desc, ...]) -> dict[int, re.Pattern[str]]:
    # A type without lengths of its own takes any length the general description allows.
    lengths = set(general.lengths).union(*(t.lengths for t in types))
    combined = {}
    for length in sorted(lengths):
        alternatives = [
            f"(?:{t.pattern.pattern})" for t in types if not t.lengths or length in t.lengths
        ]
        if alternatives:
            combined[length] = re.compile("|".join(alternatives))
    return combined


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> _Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return _Desc(frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern))


def _regions() -> tuple[_Region, ...]:
    regions = []
    for code in COUNTRY_CODE_TO_REGION_CODE[_COUNTRY_CODE]:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(code, None)
        if meta is None:
            continue
        general = _desc(meta.general_desc)
        if general is None:
            continue
        types = tuple(d for d in (_desc(getattr(meta, name)) for name in _TYPES) if d)
        leading = re.compile(meta.leading_digits) if meta.leading_digits is not None else None
        regions.append(_Region(code, leading, general, types, _by_length(general, types)))
    return tuple(regions)


_REGIONS = _regions()


def is_valid_plus7(digits: str) -> bool:
    """Whether +7 `digits` (ten digits, the first not 0) is valid, as
    `phonenumbers.is_valid_number` decides: the number's region is the first of +7's regions
    (Russia, then Kazakhstan) whose leading digits match it or, for a region without leading
    digits, that knows the number; the number is valid if that region knows it."""
    for region in _REGIONS:
        if region.leading_digits is not None:
            if region.leading_digits.match(digits):
                return region.knows(digits)
        elif region.knows(digits):
            return True
    return False


def national_digits(raw: str) -> tuple[str, str] | None:
    """(prefix, the ten digits after it) when `raw` has one of the plain shapes, else None.
    The prefix is "+7" or the Russian trunk prefix "8"."""
    match = _RUN.fullmatch(raw)
    if match:
        return match.group("prefix"), match.group("digits")
    match = _SHAPE.fullmatch(raw)
    if match is None:
        return None
    area = match.group("area") or match.group("area2")
    prefix = "8" if match.group("prefix") == "8" else "+7"
    return prefix, f"{area}{match.group('a')}{match.group('b')}{match.group('c')}"


def clean_phone(value: str) -> str:
    """`validators.clean_phone(value)`, faster for typical Russian numbers."""
    raw = (value or "").strip()
    found = national_digits(raw)
    if found is not None:
        prefix, digits = found
        # The trunk prefix 8 means +7 only when numbers are read as Russian by default.
        russian = prefix == "+7" or getattr(settings, "PHONE_DEFAULT_REGION", "RU") == "RU"
        # "8 10 ..." is the international call prefix, and a national number never starts
        # with 0 or 1: such numbers are invalid in +7 anyway, and the slow path says why.
        if russian and digits[0] not in "01" and is_valid_plus7(digits):
            return f"+7{digits}"
    return validators.clean_phone(raw)
