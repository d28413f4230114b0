"""Finding records that may be one and the same, for a person to review.

Never all pairs: records are grouped into blocks (same identifier, same phone, same corporate
e-mail domain, same first / last letters of the normalised name, same tax office) and only
records within a block are compared. Oversized blocks are split by a longer key, and a value
shared by very many records (a call-center phone, a business-center address) identifies
nobody and is skipped. Every candidate carries human-readable reasons for its score.

The pure part (`company_pairs`, `contact_pairs`) works on plain rows so that bench/dedupe.py can
time it without a database; `find_duplicates` loads rows and stores DuplicateCandidate.
"""

from __future__ import annotations

import importlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rapidfuzz import fuzz, process

from clientdesk.core import audit

from .models import Company, Contact, ContactPoint, DuplicateCandidate, GroupRole
from .validators import name_without_legal_form, normalise_name

np: Any
try:
    # rapidfuzz's cdist needs numpy; without it the comparison falls back to row by row.
    np = importlib.import_module("numpy")
except ImportError:  # pragma: no cover
    np = None


THRESHOLD = 60  # candidates scoring below this are not stored
NAME_CUTOFF = 85  # name similarity (%) that counts as evidence on its own
WEAK_NAME_CUTOFF = 70  # supporting evidence for pairs found through another block
MAX_BLOCK = 1500  # larger name blocks are split by a longer key
MAX_SHARED = 25  # a phone/e-mail/address shared by more records than this identifies nobody

FREE_MAIL = frozenset(
    [
        "mail.ru",
        "bk.ru",
        "list.ru",
        "inbox.ru",
        "internet.ru",
        "yandex.ru",
        "ya.ru",
        "yandex.com",
        "rambler.ru",
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "yahoo.com",
        "proton.me",
        "protonmail.com",
    ]
)
# Latin letters that look Cyrillic: "Ромашкa" typed with a Latin "a" is the same name.
_HOMOGLYPHS = str.maketrans("aceopxykmthb", "асеорхукмтнв")
_CYRILLIC = re.compile(r"[а-я]")
_NON_DIGITS = re.compile(r"\D")
_ADDRESS_NOISE = re.compile(r"[.,;№#\"'«»()\-/]")
_SPACES = re.compile(r"\s+")
_NUMBERS = re.compile(r"\d+")


# --- normalising -----------------------------------------------------------------------------
def name_key(value: str) -> str:
    key = name_without_legal_form(value)
    if _CYRILLIC.search(key):
        key = key.translate(_HOMOGLYPHS)
    return key


def phone_key(value: str) -> str:
    digits = _NON_DIGITS.sub("", value or "")
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits[0] == "9":
        digits = "7" + digits
    return f"+{digits}" if len(digits) >= 7 else ""


def email_key(value: str) -> str:
    value = (value or "").strip().lower()
    return value if "@" in value else ""


def corporate_domain(email: str) -> str:
    domain = email.rpartition("@")[2]
    return "" if not domain or domain in FREE_MAIL else domain


def address_key(value: str) -> str:
    text = _ADDRESS_NOISE.sub(" ", (value or "").lower().replace("ё", "е"))
    return _SPACES.sub(" ", text).strip()


def external_key(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


# --- rows and evidence -----------------------------------------------------------------------
@dataclass(slots=True)
class CompanyRow:
    id: int
    name: str  # name_key of the legal (or short) name
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    external: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    address: str = ""
    parent_id: int | None = None
    group_role: str = ""
    display: str = ""


@dataclass(slots=True)
class ContactRow:
    id: int
    company_id: int
    name: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    external: str = ""
    display: str = ""


@dataclass
class Match:
    score: int
    reasons: list[str]


@dataclass
class Stats:
    """What the blocking did: how many pairs were really compared (for bench/dedupe.py)."""

    compared: int = 0
    blocks: int = 0
    skipped_shared: int = 0
    candidates: int = 0
    extra: dict[str, int] = field(default_factory=dict)


Pair = tuple[int, int]


def _pair(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def _noisy_or(probabilities: Iterable[float]) -> float:
    remaining = 1.0
    for p in probabilities:
        remaining *= 1 - p
    return 1 - remaining


def _name_evidence(similarity: float) -> float:
    """85 % → 0.5, 100 % → 0.85; below 85 % only weak support."""
    if similarity >= NAME_CUTOFF:
        return 0.5 + (similarity - NAME_CUTOFF) / (100 - NAME_CUTOFF) * 0.35
    if similarity >= WEAK_NAME_CUTOFF:
        return 0.2
    return 0.0


class _Evidence:
    """Collects probabilities and reasons; reasons are translated only for pairs that are kept
    (most compared pairs are not, and translating is the costly part)."""

    __slots__ = ("probabilities", "reasons")

    def __init__(self) -> None:
        self.probabilities: list[float] = []
        self.reasons: list[tuple[str, dict[str, Any]]] = []

    def add(self, probability: float, template: str, **params: Any) -> None:
        self.probabilities.append(probability)
        self.reasons.append((template, params))

    def note(self, template: str, **params: Any) -> None:
        self.reasons.append((template, params))

    def match(self, factor: float = 1.0) -> Match | None:
        percent = round(_noisy_or(self.probabilities) * factor * 100)
        if percent < THRESHOLD:
            return None
        return Match(min(percent, 100), [_(t) % params for t, params in self.reasons])


# --- blocking --------------------------------------------------------------------------------
def _groups(rows: Sequence[Any], keys: Callable[[Any], Iterable[str]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        for key in set(keys(row)):
            if key:
                groups[key].append(index)
    return groups


def _exact_pairs(
    rows: Sequence[Any],
    keys: Callable[[Any], Iterable[str]],
    targets: set[int] | None,
    stats: Stats,
    limit: int | None = MAX_SHARED,
) -> set[Pair]:
    pairs: set[Pair] = set()
    for members in _groups(rows, keys).values():
        if len(members) < 2:
            continue
        if limit is not None and len(members) > limit:
            stats.skipped_shared += 1
            continue
        stats.blocks += 1
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if targets is None or a in targets or b in targets:
                    pairs.add(_pair(a, b))
    return pairs


def _similar_within(
    keys: Sequence[str], members: list[int], targets: set[int] | None, stats: Stats
) -> Iterator[tuple[int, int, float]]:
    """Pairs of `members` (row indexes) whose keys are at least NAME_CUTOFF % alike."""
    queries = members if targets is None else [m for m in members if m in targets]
    if not queries:
        return
    choices = [keys[m] for m in members]
    stats.compared += len(queries) * len(members)
    if np is None:  # pragma: no cover - numpy is installed alongside rapidfuzz here
        for q in queries:
            for _choice, score, j in process.extract(
                keys[q], choices, scorer=fuzz.ratio, score_cutoff=NAME_CUTOFF, limit=None
            ):
                if members[j] != q:
                    yield q, members[j], score
        return
    matrix = process.cdist(
        [keys[q] for q in queries],
        choices,
        scorer=fuzz.ratio,
        score_cutoff=NAME_CUTOFF,
        dtype=np.uint8,
        workers=-1,
    )
    for qi, cj in zip(*np.nonzero(matrix), strict=True):
        a, b = queries[qi], members[cj]
        if a != b:
            yield a, b, float(matrix[qi, cj])


def _name_blocks(
    keys: Sequence[str], block_of: Callable[[int, int], str], start: int
) -> Iterator[list[int]]:
    """Blocks by a key of growing length: a block too large to compare is split further."""
    pending = [(list(range(len(keys))), start)]
    while pending:
        members, width = pending.pop()
        groups: dict[str, list[int]] = defaultdict(list)
        for m in members:
            key = block_of(m, width)
            if key:
                groups[key].append(m)
        for group in groups.values():
            if len(group) < 2:
                continue
            # Once the key is as long as the names, a block of identical names cannot be split.
            if len(group) > MAX_BLOCK and width <= max(len(keys[m]) for m in group) + 4:
                pending.append((group, width + 1))
            else:
                yield group


def _fuzzy_name_pairs(
    keys: Sequence[str],
    targets: set[int] | None,
    stats: Stats,
    extra_blockings: Sequence[Callable[[int, int], str]] = (),
) -> dict[Pair, float]:
    """Name similarity within blocks: by the first letters, by the last letters (so that a typo
    at either end is still caught) and by any extra key (tax office, company)."""
    blockings: list[Callable[[int, int], str]] = [
        lambda i, w: keys[i][:w],
        lambda i, w: keys[i][-w:],
        *extra_blockings,
    ]
    found: dict[Pair, float] = {}
    for block_of in blockings:
        for members in _name_blocks(keys, block_of, start=3):
            stats.blocks += 1
            for a, b, score in _similar_within(keys, members, targets, stats):
                pair = _pair(a, b)
                if score > found.get(pair, 0):
                    found[pair] = score
    return found


# --- companies -------------------------------------------------------------------------------
def _related(a: CompanyRow, b: CompanyRow) -> bool:
    """Parent and child, or branches of one parent: deliberately separate records."""
    if a.parent_id == b.id or b.parent_id == a.id:
        return True
    return a.parent_id is not None and a.parent_id == b.parent_id


def _hopeless(a: CompanyRow, b: CompanyRow) -> bool:
    """Different INNs and nothing exact in common: even an identical name, address and domain
    stay below the threshold (0.6 x 93 % = 56 < THRESHOLD), so the pair is not worth scoring."""
    return bool(
        a.inn
        and b.inn
        and a.inn != b.inn
        and not (a.ogrn and a.ogrn == b.ogrn)
        and not (a.external and a.external == b.external)
        and not set(a.phones).intersection(b.phones)
        and not set(a.emails).intersection(b.emails)
    )


def _identifier_evidence(a: CompanyRow, b: CompanyRow, ev: _Evidence) -> bool:
    """INN, OGRN and external ID; False when the pair are branches of one organisation."""
    if a.inn and a.inn == b.inn:
        if GroupRole.BRANCH in (a.group_role, b.group_role) and a.kpp != b.kpp:
            # Branches share the INN by law and differ by KPP; a record without a KPP is the
            # head organisation (paired with its other records, not with its branches).
            return False
        if a.kpp and b.kpp and a.kpp != b.kpp:
            ev.add(
                0.6,
                gettext_noop("same INN %(inn)s, KPP %(a)s / %(b)s"),
                inn=a.inn,
                a=a.kpp,
                b=b.kpp,
            )
        else:
            ev.add(0.9, gettext_noop("same INN %(inn)s"), inn=a.inn)
    if a.ogrn and a.ogrn == b.ogrn:
        ev.add(0.95, gettext_noop("same OGRN %(ogrn)s"), ogrn=a.ogrn)
    if a.external and a.external == b.external:
        ev.add(0.95, gettext_noop("same external ID %(id)s"), id=a.external)
    return True


def _company_evidence(a: CompanyRow, b: CompanyRow, name_sim: float) -> Match | None:
    ev = _Evidence()
    if not _identifier_evidence(a, b, ev):
        return None
    name_p = _name_evidence(name_sim)
    if name_p and _NUMBERS.findall(a.name) != _NUMBERS.findall(b.name):
        name_p = 0.0  # "Стройтрест-3" and "Стройтрест-5" are different companies
    if name_p:
        ev.add(
            name_p,
            gettext_noop("name %(pct)s %% similar: «%(a)s» / «%(b)s»"),
            pct=round(name_sim),
            a=a.display,
            b=b.display,
        )
    for phone in sorted(set(a.phones) & set(b.phones)):
        ev.add(0.6, gettext_noop("same phone %(phone)s"), phone=phone)
    for email in sorted(set(a.emails) & set(b.emails)):
        ev.add(0.7, gettext_noop("same e-mail %(email)s"), email=email)
    domains = {corporate_domain(e) for e in a.emails} & {corporate_domain(e) for e in b.emails}
    for domain in sorted(d for d in domains if d):
        ev.add(0.3, gettext_noop("same e-mail domain %(domain)s"), domain=domain)
    if a.address and b.address:
        address_sim = fuzz.token_sort_ratio(a.address, b.address)
        if address_sim >= 90:
            ev.add(0.3, gettext_noop("address %(pct)s %% similar"), pct=round(address_sim))
    if a.inn and b.inn and a.inn != b.inn:
        # Two valid, different INNs are two legal entities: only overwhelming evidence counts.
        ev.note(gettext_noop("but different INN: %(a)s / %(b)s"), a=a.inn, b=b.inn)
        return ev.match(0.6)
    return ev.match()


def company_pairs(
    rows: Sequence[CompanyRow],
    *,
    target_ids: Iterable[int] | None = None,
    stats: Stats | None = None,
) -> dict[Pair, Match]:
    """Candidate duplicate pairs (by company id) among `rows`; with target_ids, only pairs that
    involve one of them (an incremental run after an import)."""
    stats = stats if stats is not None else Stats()
    targets = None
    if target_ids is not None:
        wanted = set(target_ids)
        targets = {i for i, r in enumerate(rows) if r.id in wanted}
    keys = [r.name for r in rows]
    inns = [r.inn for r in rows]
    names = _fuzzy_name_pairs(
        keys,
        targets,
        stats,
        # Same tax office (first 4 INN digits) catches names whose both ends were changed.
        extra_blockings=[lambda i, w: f"{inns[i][:4]}|{keys[i][: w - 3]}" if inns[i] else ""],
    )
    candidates: set[Pair] = set(names)
    candidates |= _exact_pairs(rows, lambda r: [r.inn], targets, stats, limit=None)
    candidates |= _exact_pairs(rows, lambda r: [r.ogrn, r.external], targets, stats, limit=None)
    candidates |= _exact_pairs(rows, lambda r: r.phones, targets, stats)
    candidates |= _exact_pairs(rows, lambda r: r.emails, targets, stats)
    candidates |= _exact_pairs(
        rows, lambda r: {corporate_domain(e) for e in r.emails}, targets, stats
    )
    candidates |= _exact_pairs(rows, lambda r: [r.address], targets, stats)
    found: dict[Pair, Match] = {}
    for i, j in candidates:
        a, b = rows[i], rows[j]
        if _hopeless(a, b) or _related(a, b):
            continue
        sim = names.get((i, j))
        if sim is None:
            sim = fuzz.ratio(a.name, b.name) if a.name and b.name else 0.0
        stats.compared += 1
        match = _company_evidence(a, b, sim)
        if match is not None:
            found[_pair(a.id, b.id)] = match
    stats.candidates = len(found)
    return found


def load_company_rows() -> list[CompanyRow]:
    rows = []
    fields = [
        "id",
        "legal_name",
        "short_name",
        "inn",
        "kpp",
        "ogrn",
        "external_id",
        "phone",
        "email",
        "legal_address",
        "parent_id",
        "group_role",
    ]
    qs = Company.objects.filter(merged_into__isnull=True).order_by("id").values_list(*fields)
    for pk, legal, short, inn, kpp, ogrn, ext, phone, email, address, parent, role in qs.iterator(
        chunk_size=5000
    ):
        rows.append(
            CompanyRow(
                id=pk,
                name=name_key(legal) or name_key(short),
                inn=inn,
                kpp=kpp,
                ogrn=ogrn,
                external=external_key(ext),
                phones=(phone_key(phone),) if phone_key(phone) else (),
                emails=(email_key(email),) if email_key(email) else (),
                address=address_key(address),
                parent_id=parent,
                group_role=role,
                display=legal if name_key(legal) else short,
            )
        )
    return rows


# --- contacts --------------------------------------------------------------------------------
def _contact_evidence(a: ContactRow, b: ContactRow, name_sim: float) -> Match | None:
    ev = _Evidence()
    names = {"pct": round(name_sim), "a": a.display, "b": b.display}
    if a.company_id == b.company_id and name_sim >= NAME_CUTOFF:
        ev.add(
            _name_evidence(name_sim),
            gettext_noop("same company, name %(pct)s %% similar: «%(a)s» / «%(b)s»"),
            **names,
        )
    elif name_sim >= NAME_CUTOFF:
        ev.add(0.3, gettext_noop("name %(pct)s %% similar: «%(a)s» / «%(b)s»"), **names)
    for email in sorted(set(a.emails) & set(b.emails)):
        ev.add(0.7, gettext_noop("same e-mail %(email)s"), email=email)
    for phone in sorted(set(a.phones) & set(b.phones)):
        ev.add(0.5, gettext_noop("same phone %(phone)s"), phone=phone)
    if a.external and a.external == b.external and a.company_id != b.company_id:
        ev.add(0.9, gettext_noop("same external ID %(id)s"), id=a.external)
    if name_sim < 60:
        # A shared switchboard or a team mailbox: different people behind one number.
        ev.note(gettext_noop("but different names: «%(a)s» / «%(b)s»"), a=a.display, b=b.display)
        return ev.match(0.5)
    return ev.match()


def contact_pairs(
    rows: Sequence[ContactRow],
    *,
    target_company_ids: Iterable[int] | None = None,
    stats: Stats | None = None,
) -> dict[Pair, Match]:
    stats = stats if stats is not None else Stats()
    targets = None
    if target_company_ids is not None:
        wanted = set(target_company_ids)
        targets = {i for i, r in enumerate(rows) if r.company_id in wanted}
    keys = [r.name for r in rows]
    companies = [r.company_id for r in rows]
    # People are compared by name only within their company; across companies they meet
    # through a shared phone, e-mail or external ID.
    by_company: dict[int, list[int]] = defaultdict(list)
    for i, company_id in enumerate(companies):
        by_company[company_id].append(i)
    names: dict[Pair, float] = {}
    for members in by_company.values():
        if len(members) < 2:
            continue
        stats.blocks += 1
        for chunk in _split(members, keys):
            for x, y, score in _similar_within(keys, chunk, targets, stats):
                names[_pair(x, y)] = max(score, names.get(_pair(x, y), 0))
    candidates: set[Pair] = set(names)
    candidates |= _exact_pairs(rows, lambda r: r.phones, targets, stats)
    candidates |= _exact_pairs(rows, lambda r: r.emails, targets, stats)
    candidates |= _exact_pairs(rows, lambda r: [r.external], targets, stats)
    found: dict[Pair, Match] = {}
    for i, j in candidates:
        a, b = rows[i], rows[j]
        sim = names.get((i, j))
        if sim is None:
            sim = fuzz.token_sort_ratio(a.name, b.name) if a.name and b.name else 0.0
        stats.compared += 1
        match = _contact_evidence(a, b, sim)
        if match is not None:
            found[_pair(a.id, b.id)] = match
    stats.candidates = len(found)
    return found


def _split(members: list[int], keys: Sequence[str]) -> Iterator[list[int]]:
    if len(members) <= MAX_BLOCK:
        yield members
        return
    groups: dict[str, list[int]] = defaultdict(list)
    for m in members:
        groups[keys[m][:2]].append(m)
    yield from (g for g in groups.values() if len(g) > 1)


def load_contact_rows() -> list[ContactRow]:
    phones: dict[int, set[str]] = defaultdict(set)
    emails: dict[int, set[str]] = defaultdict(set)
    points = ContactPoint.objects.filter(contact__erased_at__isnull=True).values_list(
        "contact_id", "kind", "value"
    )
    for contact_id, kind, value in points.iterator(chunk_size=5000):
        if kind == ContactPoint.Kind.PHONE and phone_key(value):
            phones[contact_id].add(phone_key(value))
        elif email_key(value):
            emails[contact_id].add(email_key(value))
    rows = []
    qs = (
        Contact.objects.filter(erased_at__isnull=True, company__merged_into__isnull=True)
        .order_by("id")
        .values_list(
            "id",
            "company_id",
            "last_name",
            "first_name",
            "patronymic",
            "phone",
            "email",
            "external_id",
        )
    )
    for pk, company_id, last, first, patronymic, phone, email, ext in qs.iterator(chunk_size=5000):
        full = " ".join(p for p in (last, first, patronymic) if p)
        if phone_key(phone):
            phones[pk].add(phone_key(phone))
        if email_key(email):
            emails[pk].add(email_key(email))
        rows.append(
            ContactRow(
                id=pk,
                company_id=company_id,
                name=normalise_name(full),
                phones=tuple(sorted(phones.get(pk, ()))),
                emails=tuple(sorted(emails.get(pk, ()))),
                external=external_key(ext),
                display=full,
            )
        )
    return rows


# --- storing ---------------------------------------------------------------------------------
def find_duplicates(
    kind: str, company_ids: Iterable[int] | None = None, *, language: str | None = None
) -> int:
    """Finds candidate pairs of `kind` ("company" / "contact") and stores the new ones.

    Returns how many new candidates were stored. Re-running neither duplicates a pair nor
    reopens one a person dismissed or merged; open candidates get their score refreshed.
    """
    ids = list(company_ids) if company_ids is not None else None
    # Reasons are stored as text: written in the site's language, not a request's.
    with translation.override(language or settings.LANGUAGE_CODE):
        if kind == DuplicateCandidate.Kind.COMPANY:
            found = company_pairs(load_company_rows(), target_ids=ids)
        elif kind == DuplicateCandidate.Kind.CONTACT:
            found = contact_pairs(load_contact_rows(), target_company_ids=ids)
        else:
            raise ValueError(f"Unknown duplicate kind: {kind!r}")
    return store_candidates(kind, found)


@transaction.atomic
def store_candidates(kind: str, found: dict[Pair, Match]) -> int:
    existing = {
        (left, right): (pk, status, score, reasons)
        for pk, left, right, status, score, reasons in DuplicateCandidate.objects.filter(
            kind=kind
        ).values_list("id", "left_id", "right_id", "status", "score", "reasons")
    }
    new = []
    refreshed = []
    for pair, match in found.items():
        known = existing.get(pair)
        if known is None:
            new.append(
                DuplicateCandidate(
                    kind=kind,
                    left_id=pair[0],
                    right_id=pair[1],
                    score=min(match.score, 100),
                    reasons=match.reasons,
                )
            )
        elif known[1] == DuplicateCandidate.Status.OPEN and (known[2], known[3]) != (
            match.score,
            match.reasons,
        ):
            refreshed.append(
                DuplicateCandidate(id=known[0], score=min(match.score, 100), reasons=match.reasons)
            )
    # ignore_conflicts: a concurrent run may have stored the same pair a moment ago.
    DuplicateCandidate.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    DuplicateCandidate.objects.bulk_update(refreshed, ["score", "reasons"], batch_size=1000)
    return len(new)


@transaction.atomic
def dismiss_candidate(*, candidate: DuplicateCandidate, by: Any) -> DuplicateCandidate:
    """ "Not a duplicate": the pair is kept as dismissed so that later runs don't propose it."""
    updated = DuplicateCandidate.objects.filter(
        pk=candidate.pk, status=DuplicateCandidate.Status.OPEN
    ).update(status=DuplicateCandidate.Status.DISMISSED, decided_by=by, decided_at=timezone.now())
    if updated != 1:
        # Someone else decided on this pair first; their decision stands.
        candidate.refresh_from_db()
        return candidate
    candidate.refresh_from_db()
    audit.record(
        actor=by,
        action="clients.duplicate_dismissed",
        target=candidate,
        changes={"kind": candidate.kind, "left": candidate.left_id, "right": candidate.right_id},
    )
    return candidate


def open_candidates(kind: str = "") -> Any:
    qs = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN)
    return qs.filter(kind=kind) if kind else qs


def candidates_involving(kind: str, record_id: int) -> Any:
    return DuplicateCandidate.objects.filter(
        Q(left_id=record_id) | Q(right_id=record_id), kind=kind
    )
