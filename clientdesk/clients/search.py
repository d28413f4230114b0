"""Finding companies and contact persons, fast at a million companies.

How a query is understood
-------------------------
* Something with ``@`` is an e-mail: exact match on the normalised address (ContactPoint values
  are lower-case; the e-mail columns hold `validators.clean_email` output).
* Digits that `validators.clean_phone` accepts (``+7 (495) 123-45-67``, ``8 495 1234567``) are a
  phone number, matched exactly in E.164 against ContactPoint(kind, value) and the phone columns.
* Up to 12 digits are also an INN prefix: a B-tree range scan ``inn >= '7701' AND inn < '7702'``
  (a range works on any collation; ``LIKE 'x%'`` does not use the index on PostgreSQL).
* Anything else is a name. Each word is normalised (`validators.normalise_name`), legal forms
  (ООО, АО...) are dropped, and the word is cut to the common prefix of itself and its Snowball
  stem (Russian for Cyrillic, English for Latin): "ромашки" → "ромашк", "company" → "compan".
  Names match when they contain a word *starting* with every prefix, so word forms on either side
  meet ("ромашки" finds «Ромашка», "ромашка" finds «Ромашки»), and "техносервис" finds
  «ТехноСервис-Урал» because the hyphen separates words.
* When no name matches, the query is treated as a typo: see below.

SQLite
------
The migration creates, per table, an FTS5 index ``*_fts`` over ``search_name`` (which every writer
fills with `normalise_name`; unicode61 words, prefix indexes of 2-4 letters) and a term table
``*_term`` (every word ever indexed, a plain B-tree). SQLite triggers on insert, delete and
``UPDATE OF search_name`` keep both current, so no write path - services, imports,
``bulk_create``, ``queryset.update()``, raw SQL, the demo generator - can forget them. Stemming
happens on the query side only, which is why the index needs no Python inside SQL.

Typos: a word prefix that matches nothing is replaced by those of its one-edit variants (a wrong,
missing, extra or swapped letter: ~400 strings for six letters) that begin some word in the term
table - one statement of B-tree probes, a few milliseconds - and the FTS query is run with those
alternatives. The result is a complete, lazy queryset like any other search, so the list page
can filter, sort and page it. (An FTS5 trigram index was measured first: LIKE patterns with a
wildcard made SQLite re-read hundreds of thousands of rows for common surnames; fts5vocab probes
cost 0.1 ms each.) `reindex_all()` rebuilds the indexes (repair only).

PostgreSQL
----------
pg_trgm GIN indexes on ``search_name`` (created by the migration). Names: ``search_name LIKE
'%prefix%'`` per word (served by the trigram index); typos: ``word <% search_name`` (word
similarity, also indexed), ranked by rapidfuzz as on SQLite.

Lists
-----
`filter_companies` / `filter_contacts` turn a list page's GET parameters into a queryset; the
export calls them with the same parameters so that an export is exactly the filtered list.
`keyset_page` pages through them by the sort key instead of OFFSET, and `capped_count` counts to
at most 1,000 rows: a COUNT(*) of a million rows on every page view would cost more than the page.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import snowballstemmer
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from rapidfuzz import fuzz

from .models import Company, Contact, ContactPoint
from .validators import clean_phone, name_without_legal_form, normalise_name

M = TypeVar("M", bound=Model)

CANDIDATES = 200  # rows ranked by rapidfuzz: enough for a first screen, ~1 ms to rank
RANK_POOL = 2000  # index hits considered for ranking, before the exact LIKE checks
COUNT_CAP = 1000
MIN_TYPO_LEN = 4  # shorter prefixes have too many one-edit neighbours to mean anything

_WORDS = re.compile(r"\w+")
_PHONE_CHARS = re.compile(r"[\s\-().]")
_LEGAL_FORMS = frozenset(
    [
        "ооо",
        "оао",
        "зао",
        "пао",
        "ао",
        "нао",
        "ип",
        "гуп",
        "муп",
        "фгуп",
        "фгбу",
        "ано",
        "нко",
        "llc",
        "ltd",
        "inc",
        "gmbh",
        "jsc",
    ]
)
_STEMMERS = {
    "ru": snowballstemmer.stemmer("russian"),
    "en": snowballstemmer.stemmer("english"),
}
_CYRILLIC = re.compile(r"[а-я]")

# table -> (word index, term table); names are fixed by the migration.
FTS_TABLES = {
    "clients_company": ("clients_company_fts", "clients_company_term"),
    "clients_contact": ("clients_contact_fts", "clients_contact_term"),
}


# --- Understanding the query ----------------------------------------------------------------


def word_prefix(word: str) -> str:
    """The part of a word shared by all its forms: its stem, cut to the word's own letters."""
    stemmer = _STEMMERS["ru" if _CYRILLIC.search(word) else "en"]
    stem = stemmer.stemWord(word)
    common = 0
    for a, b in zip(word, stem, strict=False):
        if a != b:
            break
        common += 1
    prefix = word[:common]
    # Stems of short words ("ао", "строй" → "стро") are kept, but never shorter than 3 letters.
    return prefix if len(prefix) >= 3 else word


def name_prefixes(q: str) -> list[str]:
    words = _WORDS.findall(normalise_name(q))
    # "ООО" alone still means something (the user is typing); after a name it is noise.
    words = [w for w in words if w not in _LEGAL_FORMS] or words
    return [word_prefix(w) for w in words]


@dataclass(frozen=True)
class Query:
    text: str
    prefixes: list[str]
    inn_prefix: str = ""
    phone: str = ""
    email: str = ""

    @property
    def is_identifier(self) -> bool:
        return bool(self.inn_prefix or self.phone or self.email)


def parse_query(q: str) -> Query:
    text = (q or "").strip()
    if "@" in text and " " not in text:
        local, _at, domain = text.rpartition("@")
        return Query(text=text, prefixes=[], email=f"{local}@{domain.lower()}")
    compact = _PHONE_CHARS.sub("", text)
    digits = compact.removeprefix("+")
    if digits.isdigit():
        phone = ""
        if len(digits) >= 10:
            try:
                phone = clean_phone(text)
            except ValidationError:
                phone = ""
        inn = digits if len(digits) <= 12 and not compact.startswith("+") else ""
        if phone or inn:
            return Query(text=text, prefixes=[], inn_prefix=inn, phone=phone)
    return Query(text=text, prefixes=name_prefixes(text))


def _prefix_range(field: str, prefix: str) -> Q:
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


_ALPHABETS = {
    "ru": "абвгдежзийклмнопрстуфхцчшщъыьэюя",
    "en": "abcdefghijklmnopqrstuvwxyz",
}


def one_edit_variants(prefix: str) -> list[str]:
    """Every string one typo away from `prefix`: a wrong, missing, extra or swapped letter."""
    letters = _ALPHABETS["ru" if _CYRILLIC.search(prefix) else "en"]
    variants: set[str] = set()
    n = len(prefix)
    for i in range(n):
        variants.add(prefix[:i] + prefix[i + 1 :])
        if i < n - 1:
            variants.add(prefix[:i] + prefix[i + 1] + prefix[i] + prefix[i + 2 :])
        for letter in letters:
            variants.add(prefix[:i] + letter + prefix[i + 1 :])
            variants.add(prefix[:i] + letter + prefix[i:])
    variants.discard(prefix)
    return sorted(v for v in variants if len(v) >= MIN_TYPO_LEN - 1)


# --- Name matching per database --------------------------------------------------------------


# FTS5 answers a prefix query straight from a prefix index when one has the prefix's length;
# a longer prefix makes it merge the lists of every word with that prefix ("александр*": the
# name and both patronymics, 480,000 rows at 3M contacts, 80 ms). So the index keeps prefixes of
# these lengths, queries are cut to the nearest one and the full prefix is checked with LIKE.
FTS_PREFIX_LENGTHS = (2, 3, 4, 6, 8)


def _fts_prefix(prefix: str) -> str:
    usable = [n for n in FTS_PREFIX_LENGTHS if n <= len(prefix)]
    return prefix[: usable[-1]] if usable else prefix


def _fts_expression(groups: Sequence[Sequence[str]]) -> str:
    """FTS5 query: every group must match, any prefix of a group will do."""
    parts = []
    for group in groups:
        alternatives = " OR ".join(sorted({f'"{_fts_prefix(p)}"*' for p in group}))
        parts.append(f"({alternatives})" if " OR " in alternatives else alternatives)
    return " AND ".join(parts)


def _name_match(table: str, groups: Sequence[Sequence[str]], limit: int | None = None) -> Q:
    """Rows whose name has, for every group, a word starting with one of its prefixes.

    With `limit`, at most that many index hits are considered: the ranked search wants a
    candidate set, not every Ivanov in the country.
    """
    condition = Q()
    if connection.vendor == "sqlite":
        fts = FTS_TABLES[table][0]
        sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"  # noqa: S608 - fixed names
        params: list[Any] = [_fts_expression(groups)]
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        condition &= Q(id__in=RawSQL(sql, params))  # noqa: S611 - bound params
    for group in groups:
        if connection.vendor == "sqlite" and all(_fts_prefix(p) == p for p in group):
            continue
        alternatives = Q()
        for p in group:
            alternatives |= Q(search_name__contains=p)
        condition &= alternatives
    return condition


def _word_exists(table: str, prefix: str) -> bool:
    """Does any indexed word start with `prefix`? One B-tree probe of the term table."""
    terms = FTS_TABLES[table][1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {terms} WHERE term >= %s AND term < %s LIMIT 1",  # noqa: S608
            [prefix, prefix + "\uffff"],
        )
        return cursor.fetchone() is not None


def corrections(table: str, prefix: str) -> list[str]:
    """Prefixes of words that occur in `table`'s names and are one typo away from `prefix`.

    The variants (about 400 for a 6-letter word) are probed against the term table, a plain
    B-tree of every word ever indexed, in one statement: a few ms even at a million names.
    """
    if len(prefix) < MIN_TYPO_LEN:
        return []
    terms = FTS_TABLES[table][1]
    variants = one_edit_variants(prefix)
    found: list[str] = []
    probe = (
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {terms} "  # noqa: S608 - fixed name
        "WHERE term >= %s AND term < %s)"
    )
    with connection.cursor() as cursor:
        # SQLite allows at most 500 terms in a compound SELECT.
        for start in range(0, len(variants), 400):
            chunk = variants[start : start + 400]
            params: list[str] = []
            for v in chunk:
                params += [v, v, v + "\uffff"]
            cursor.execute(" UNION ALL ".join([probe] * len(chunk)), params)
            found += [row[0] for row in cursor.fetchall()]
    return found


def _text_condition(table: str, query: Query, limit: int | None) -> Q:
    """Q for the name part of a query; a word that begins no indexed word is read as a typo."""
    if not query.prefixes:
        return Q(pk__in=[])
    prefixes = query.prefixes[:6]
    if connection.vendor != "sqlite":
        model: type[Company] | type[Contact] = Company if table == "clients_company" else Contact
        exact = _name_match(table, [[p] for p in prefixes])
        if model.objects.filter(exact).exists():
            if limit is None:
                return exact
            return Q(pk__in=model.objects.filter(exact).order_by().values("pk")[:limit])
        sql = f"SELECT id FROM {table} WHERE %s <%% search_name"  # noqa: S608 - fixed name
        # Whole words, not stemmed prefixes: cutting the ending costs a typo its trigrams.
        words = name_without_legal_form(query.text).split()[:6] or prefixes
        params: list[Any] = [" ".join(words)]
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        return Q(id__in=RawSQL(sql, params))  # noqa: S611 - bound parameters
    groups: list[list[str]] = []
    for p in prefixes:
        # Short words are too short to correct; the index alone says whether they match.
        if len(p) < MIN_TYPO_LEN or _word_exists(table, p):
            groups.append([p])
            continue
        alternatives = corrections(table, p)
        if not alternatives:
            return Q(pk__in=[])
        groups.append(alternatives)
    return _name_match(table, groups, limit)


def _contact_ids_by_point(kind: str, value: str) -> list[int]:
    return list(
        ContactPoint.objects.filter(kind=kind, value=value)
        .values_list("contact_id", flat=True)
        .distinct()[:CANDIDATES]
    )


def _identifier_condition(query: Query, *, for_contacts: bool) -> Q:
    """Phones and e-mails become a short list of ids, fetched by their own indexes first:
    inside one OR with other columns, SQLite would scan the whole table instead. Each lookup
    drops the default ordering, or SQLite walks the name index to avoid a sort (4 s at 1M)."""
    model: type[Company] | type[Contact] = Contact if for_contacts else Company
    by_inn = _prefix_range("inn", query.inn_prefix) if query.inn_prefix else None
    if for_contacts and by_inn is not None:
        by_inn = Q(
            company_id__in=Company.objects.filter(by_inn).order_by().values("pk")[:CANDIDATES]
        )
    if not (query.phone or query.email):
        return by_inn if by_inn is not None else Q(pk__in=[])
    ids: set[int] = set()
    contact_ids: list[int] = []
    if query.phone:
        ids.update(
            model.objects.filter(phone=query.phone).order_by().values_list("pk", flat=True)[:50]
        )
        contact_ids += _contact_ids_by_point(ContactPoint.Kind.PHONE, query.phone)
    if query.email:
        emails = {query.email, query.email.lower()}
        ids.update(
            model.objects.filter(email__in=emails).order_by().values_list("pk", flat=True)[:50]
        )
        contact_ids += _contact_ids_by_point(ContactPoint.Kind.EMAIL, query.email.lower())
    if contact_ids and for_contacts:
        ids.update(contact_ids)
    elif contact_ids:
        ids.update(Contact.objects.filter(pk__in=contact_ids).values_list("company_id", flat=True))
    if by_inn is not None:
        ids.update(
            model.objects.filter(by_inn).order_by().values_list("pk", flat=True)[:CANDIDATES]
        )
    return Q(pk__in=sorted(ids))


def company_condition(q: str, *, limit: int | None = None) -> Q:
    """Companies matching a search box entry, as a Q (lazy; `limit` bounds name matches)."""
    query = parse_query(q)
    if not query.text:
        return Q()
    if not query.is_identifier:
        return _text_condition("clients_company", query, limit)
    return _identifier_condition(query, for_contacts=False)


def contact_condition(q: str, *, limit: int | None = None) -> Q:
    query = parse_query(q)
    if not query.text:
        return Q()
    if not query.is_identifier:
        return _text_condition("clients_contact", query, limit)
    return _identifier_condition(query, for_contacts=True)


# --- Ranked search (live search, API ?q=) ----------------------------------------------------


def _ranked(qs: QuerySet[M], q: str, limit: int) -> list[M]:
    """The best `limit` rows of a bounded candidate set, best first."""
    text = " ".join(name_prefixes(q)) or normalise_name(q)
    candidates = list(qs.order_by().values_list("pk", "search_name")[:CANDIDATES])

    def score(row: tuple[int, str]) -> tuple[float, int]:
        # Shorter names first on a tie: «Ромашка» before «Ромашка-Строй-Инвест».
        return (-fuzz.WRatio(text, row[1]), len(row[1]))

    best = [pk for pk, _name in sorted(candidates, key=score)[:limit]]
    by_pk = {obj.pk: obj for obj in qs.filter(pk__in=best)}
    return [by_pk[pk] for pk in best if pk in by_pk]


def search_companies(q: str, *, limit: int = 20) -> list[Company]:
    """Companies matching `q` (name, word form, typo, INN, phone, e-mail), best first.

    Ranks the first few thousand index hits rather than all of them: at a million companies a
    common word has tens of thousands, and no one reads past the first screen.
    """
    if not (q or "").strip():
        return []
    qs = active_companies().filter(company_condition(q, limit=RANK_POOL))
    return _ranked(qs, q, limit)


def search_contacts(q: str, *, limit: int = 20) -> list[Contact]:
    if not (q or "").strip():
        return []
    qs = active_contacts().filter(contact_condition(q, limit=RANK_POOL))
    return _ranked(qs, q, limit)


# --- Filters for list pages and exports ------------------------------------------------------


def active_companies() -> QuerySet[Company]:
    return Company.objects.filter(merged_into__isnull=True).select_related(
        "industry", "region", "account_manager"
    )


def active_contacts() -> QuerySet[Contact]:
    return Contact.objects.filter(erased_at__isnull=True).select_related("company")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# Sort keys offered on the list pages: name -> (field, descending). Every one is indexed with
# the id as tie-breaker, which keyset pagination needs.
COMPANY_SORTS: dict[str, tuple[str, bool]] = {
    "name": ("legal_name", False),
    "-name": ("legal_name", True),
    "inn": ("inn", False),
    "-inn": ("inn", True),
    "updated": ("updated_at", False),
    "-updated": ("updated_at", True),
    "completeness": ("completeness", False),
    "-completeness": ("completeness", True),
}
CONTACT_SORTS: dict[str, tuple[str, bool]] = {
    "name": ("search_name", False),
    "-name": ("search_name", True),
    "updated": ("updated_at", False),
    "-updated": ("updated_at", True),
}


def _ordered(qs: QuerySet[M], sorts: Mapping[str, tuple[str, bool]], sort: str) -> QuerySet[M]:
    field, desc = sorts.get(sort, sorts["name"])
    return qs.order_by(f"-{field}", "-id") if desc else qs.order_by(field, "id")


def filter_companies(
    params: Mapping[str, str], *, user: Any = None, search_limit: int | None = None
) -> QuerySet[Company]:
    """Companies as a list page shows them for these GET parameters, sorted.

    `search_limit` bounds the rows a name search may match (the list page passes 1,001 so that
    "иванов" among 3M contacts sorts a thousand rows, not 350,000; an export passes nothing and
    gets every match).

    q, status, account_manager (user id), mine=1 (needs `user`), industry (id), section (OKVED
    letter), region (id), size, tag (id), legal_form, completeness_below (0-100), sort.
    """
    qs = active_companies()
    if q := (params.get("q") or "").strip():
        qs = qs.filter(company_condition(q, limit=search_limit))
    if status := params.get("status"):
        qs = qs.filter(status=status)
    if (manager := _int(params.get("account_manager"))) is not None:
        qs = qs.filter(account_manager_id=manager)
    if params.get("mine") in ("1", "true", "on") and user is not None:
        qs = qs.filter(account_manager_id=user.pk)
    if (industry := _int(params.get("industry"))) is not None:
        qs = qs.filter(industry_id=industry)
    if section := params.get("section"):
        qs = qs.filter(industry__section=section.upper()[:1])
    if (region := _int(params.get("region"))) is not None:
        qs = qs.filter(region_id=region)
    if size := params.get("size"):
        # The empty band is "unknown"; the form sends it as a word, "" meaning any size.
        qs = qs.filter(size_band="" if size == "unknown" else size)
    if (tag := _int(params.get("tag"))) is not None:
        qs = qs.filter(pk__in=Company.tags.through.objects.filter(tag_id=tag).values("company_id"))
    if legal_form := params.get("legal_form"):
        qs = qs.filter(legal_form=legal_form)
    if (below := _int(params.get("completeness_below"))) is not None:
        qs = qs.filter(completeness__lt=below)
    return _ordered(qs, COMPANY_SORTS, params.get("sort") or "name")


def filter_contacts(
    params: Mapping[str, str], *, user: Any = None, search_limit: int | None = None
) -> QuerySet[Contact]:
    """Contacts for these GET parameters: q, company (id), decision_role, left (yes/no),
    mine=1 (contacts of the user's companies), status (of the company), sort."""
    qs = active_contacts()
    if q := (params.get("q") or "").strip():
        qs = qs.filter(contact_condition(q, limit=search_limit))
    if (company := _int(params.get("company"))) is not None:
        qs = qs.filter(company_id=company)
    if role := params.get("decision_role"):
        qs = qs.filter(decision_role=role)
    if (left := params.get("left")) in ("yes", "no"):
        qs = qs.filter(left_company=(left == "yes"))
    if params.get("mine") in ("1", "true", "on") and user is not None:
        qs = qs.filter(company__account_manager_id=user.pk)
    if status := params.get("status"):
        qs = qs.filter(company__status=status)
    return _ordered(qs, CONTACT_SORTS, params.get("sort") or "name")


# --- Keyset pagination -----------------------------------------------------------------------


@dataclass
class KeysetPage(Generic[M]):
    """One page of a sorted list, found by the sort key of its neighbour rather than an OFFSET."""

    rows: list[M]
    next_cursor: str = ""
    prev_cursor: str = ""

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _encode(value: Any, pk: int) -> str:
    if isinstance(value, datetime):
        value = {"dt": value.isoformat()}
    raw = json.dumps([value, pk], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["dt"])
        if not isinstance(pk, int):
            return None
        return value, pk
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None


def keyset_page(
    qs: QuerySet[M], *, after: str = "", before: str = "", size: int = 50
) -> KeysetPage[M]:
    """The page after (or before) a cursor of a queryset ordered by (field, id) or its reverse.

    Cost is one indexed range scan of `size + 1` rows however deep the page: OFFSET would read
    and discard every row before it.
    """
    first_key = str(qs.query.order_by[0])
    field = first_key.lstrip("-")
    desc = first_key.startswith("-")
    backwards = bool(before) and not after
    cursor = _decode(before if backwards else after)
    if cursor is not None:
        value, pk = cursor
        # Going forward on an ascending list (or backwards on a descending one) means "greater".
        greater = desc == backwards
        op = "gt" if greater else "lt"
        # The redundant `field >= value` gives the planner a start for its index range scan;
        # the OR alone made PostgreSQL walk the (completeness, id) index from the beginning.
        qs = qs.filter(
            Q(**{f"{field}__{op}e": value}),
            Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"id__{op}": pk}),
        )
    if backwards:
        qs = qs.reverse()
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page: KeysetPage[M] = KeysetPage(rows=rows)
    if rows:
        first, last = rows[0], rows[-1]
        if more or backwards:
            page.next_cursor = _encode(getattr(last, field), last.pk)
        if (backwards and more) or (not backwards and cursor is not None):
            page.prev_cursor = _encode(getattr(first, field), first.pk)
    return page


def capped_count(qs: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """min(count, cap + 1): enough to say "1,000+" without counting a million rows."""
    return qs.order_by()[: cap + 1].count()


# --- Index DDL (used by migration 0002 and to repair) -----------------------------------------

# Plain B-tree indexes the list pages need, on both databases.
_BTREE_INDEXES = {
    "clients_company_name_sort": "clients_company (legal_name, id)",
    # "Mine" is an account manager's everyday list: served in name order without a sort.
    "clients_company_manager_name": "clients_company (account_manager_id, legal_name, id)",
    "clients_company_phone_find": "clients_company (phone)",
    "clients_company_email_find": "clients_company (email)",
    "clients_contact_updated_sort": "clients_contact (updated_at, id)",
}


def _split_words(column: str) -> str:
    """SQL turning a normalised name into a JSON array of its words, for json_each().

    Triggers cannot call Python, and CTEs are not allowed in triggers; json_each is. A name
    that still is not valid JSON yields no words rather than a failed write.
    """
    text = column
    for separator in ("\\", "-", ".", ",", "(", ")", "/", "+", "&"):
        text = f"replace({text}, '{separator}', ' ')"
    quote = '"'
    array = f"'[{quote}' || replace({text}, ' ', '{quote},{quote}') || '{quote}]'"
    return f"json_each(CASE WHEN json_valid({array}) THEN {array} ELSE '[]' END)"


def _sqlite_ddl(table: str) -> list[str]:
    words, terms = FTS_TABLES[table]
    content = f"content='{table}', content_rowid='id'"
    prefixes = " ".join(str(n) for n in FTS_PREFIX_LENGTHS)
    # Table names are the constants above, never input.
    add = (
        f"INSERT INTO {words}(rowid, search_name) VALUES (new.id, new.search_name);"  # noqa: S608
        f"INSERT OR IGNORE INTO {terms}(term) SELECT value FROM {_split_words('new.search_name')} "
        "WHERE length(value) >= 3;"
    )
    remove = (
        f"INSERT INTO {words}({words}, rowid, search_name) "  # noqa: S608
        "VALUES ('delete', old.id, old.search_name);"
    )
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {words} USING fts5(search_name, {content}, "
        f"tokenize='unicode61 remove_diacritics 0', prefix='{prefixes}')",
        # Every word ever indexed (never pruned: a stale word only costs a wasted probe).
        f"CREATE TABLE IF NOT EXISTS {terms} (term TEXT PRIMARY KEY) WITHOUT ROWID",
        f"CREATE TRIGGER IF NOT EXISTS {table}_search_ai AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_search_ad AFTER DELETE ON {table} "
        f"BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_search_au AFTER UPDATE OF search_name ON {table} "
        f"BEGIN {remove}{add} END",
    ]


def _sqlite_rebuild(cursor: Any) -> None:
    for table, (words, terms) in FTS_TABLES.items():
        cursor.execute(f"INSERT INTO {words}({words}) VALUES ('rebuild')")  # noqa: S608
        cursor.execute(
            f"INSERT OR IGNORE INTO {terms}(term) SELECT value "  # noqa: S608
            f"FROM {table}, {_split_words(f'{table}.search_name')} WHERE length(value) >= 3"
        )


def ensure_search_indexes(conn: Any = None, *, rebuild: bool = False) -> bool:
    """Create whatever search index, trigger or extension is missing; True if anything was.

    Safe to run after every `migrate`: on SQLite, Django rebuilds a table to alter it and the
    triggers die with the old table; this puts them back and rebuilds the indexes, because
    writes made while the triggers were missing are not in them.
    """
    conn = conn or connection
    created = False
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
            existing = {row[0] for row in cursor.fetchall()}
            for table in FTS_TABLES:
                wanted = {*FTS_TABLES[table], *(f"{table}_search_{s}" for s in ("ai", "ad", "au"))}
                if not wanted <= existing:
                    created = True
                    for statement in _sqlite_ddl(table):
                        cursor.execute(statement)
            if created or rebuild:
                _sqlite_rebuild(cursor)
        elif conn.vendor == "postgresql":
            # Deferred foreign-key checks still pending in this transaction forbid CREATE INDEX.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for table in FTS_TABLES:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {table}_search_trgm "
                    f"ON {table} USING gin (search_name gin_trgm_ops)"
                )
        for name, target in _BTREE_INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    return created


def drop_search_indexes(conn: Any = None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        for name in _BTREE_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        if conn.vendor == "sqlite":
            for table, indexes in FTS_TABLES.items():
                for suffix in ("ai", "ad", "au"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
                for name in indexes:
                    cursor.execute(f"DROP TABLE IF EXISTS {name}")
        elif conn.vendor == "postgresql":
            for table in FTS_TABLES:
                cursor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")


# --- Maintenance -----------------------------------------------------------------------------


def reindex_all() -> None:
    """Rebuild the search indexes from `search_name` (repair after restoring a backup, say).

    Triggers keep the SQLite indexes current and PostgreSQL indexes maintain themselves, so
    nothing needs to call this in normal operation.
    """
    ensure_search_indexes(rebuild=True)
