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
* Company names also match on any part of a word ("строй" finds «Технострой»): companies glue
  words together. People match by words only ("водкин" finds «Петров-Водкин», "ров" finds no
  Петров): nobody looks for a person by the middle of a surname.
* A word that matches nothing is read as a typo: see below.

SQLite
------
The migration creates, per table, an FTS5 index ``*_fts`` over ``search_name`` (which every writer
fills with `normalise_name`; unicode61 words, prefix indexes of 2-4 letters) and a term table
``*_term`` (every word ever indexed, a plain B-tree). SQLite triggers on insert, delete and
``UPDATE OF search_name`` keep both current, so no write path - services, imports,
``bulk_create``, ``queryset.update()``, raw SQL, the demo generator - can forget them. Stemming
happens on the query side only, which is why the index needs no Python inside SQL.

Typos: a word that begins no indexed word becomes the whole words one edit away from it (a
wrong, missing, extra or swapped letter: ~600 strings for eight letters, one IN probe of the
term table), else the beginnings of words one edit away from its prefix (~400 B-tree probes in
one statement), a few milliseconds either way; the word index is then asked for those. The
result is a complete, lazy queryset like any other search, so the list page can filter, sort and
page it. (An FTS5 trigram index was measured first: LIKE patterns with a wildcard made SQLite
re-read hundreds of thousands of rows for common surnames; fts5vocab probes cost 0.1 ms each.)
Companies have an FTS5 *trigram* index ``clients_company_tri`` as well, kept by the same
triggers and used when every query word has 3 letters or more and none was mistyped: a trigram
phrase is an exact substring match, and LIMIT stops it early. Corrections do not go through it:
as parts of words, the short ones matched thousands of names with those letters inside.
`reindex_all()` rebuilds the indexes (repair only).

PostgreSQL
----------
Companies and people alike: a GIN expression index over ``to_tsvector('simple', search_name)``
(nothing for a writer to maintain) and a term table ``*_term`` of every word of a name, kept
by a trigger, as on SQLite. Each query word becomes the whole words it may stand for, found in
the term table, and the word index intersects their lists (a few ms at 3M rows):

* people: the word's forms (pymorphy3), else the words it begins, else, mistyped, the words one
  edit away; see `_pg_word_condition` for why whole words.
* companies: the words *containing* the word's prefix anywhere (a trigram index over the term
  table: "строй" is inside «технострой»), else, mistyped, the words one edit away. A part inside
  more than PG_PART_WORDS words is matched with ``search_name LIKE '%part%'`` over a pg_trgm
  index of the names instead; see `_pg_company_condition`.

Both databases rank a bounded candidate set with rapidfuzz.

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
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import snowballstemmer
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, F, Func, Model, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from rapidfuzz import fuzz

from .models import Company, Contact, ContactPoint
from .validators import clean_phone, normalise_name

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
# table -> FTS5 trigram index: any part of a company name ("строй" in «Технострой»). People are
# searched by word: nobody looks for "ров" in «Петров», and namesakes make trigrams slow.
TRIGRAM_TABLES = {"clients_company": "clients_company_tri"}


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


def name_words(q: str) -> list[str]:
    words = _WORDS.findall(normalise_name(q))
    # "ООО" alone still means something (the user is typing); after a name it is noise.
    return [w for w in words if w not in _LEGAL_FORMS] or words


def name_prefixes(q: str) -> list[str]:
    return [word_prefix(w) for w in name_words(q)]


@functools.cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def word_forms(word: str) -> list[str]:
    """The word and its inflected forms that share its prefix: "иванову" → иванов, иванова,
    ивановой... Names are stored as written (nominative), so any form typed finds them."""
    forms = {word}
    if _CYRILLIC.search(word):
        prefix = word_prefix(word)
        # A person is one: "иванов" read as "of the Ivans" (plural) would find every Иван.
        for parse in _morph().parse(word)[:4]:
            if "plur" in parse.tag:
                continue
            # Names are stored with е for ё (normalise_name); the dictionary writes ё.
            lexeme = (f.word.replace("ё", "е") for f in parse.lexeme if "plur" not in f.tag)
            forms.update(w for w in lexeme if w.startswith(prefix))
    return sorted(forms)


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


def _infix_searchable(table: str, groups: Sequence[Sequence[str]]) -> bool:
    """Can the trigram index answer this? It needs every prefix to be 3 letters or more."""
    return table in TRIGRAM_TABLES and all(len(p) >= 3 for group in groups for p in group)


def _trigram_expression(groups: Sequence[Sequence[str]]) -> str:
    """FTS5 trigram query: every group must occur somewhere in the name, any of its strings."""
    parts = []
    for group in groups:
        alternatives = " OR ".join(sorted({f'"{p}"' for p in group}))
        parts.append(f"({alternatives})" if " OR " in alternatives else alternatives)
    return " AND ".join(parts)


def _name_match(
    table: str, groups: Sequence[Sequence[str]], limit: int | None = None, *, infix: bool = True
) -> Q:
    """Rows whose name has, for every group, a word starting with one of its prefixes (or, for
    companies and with `infix`, containing it anywhere: see TRIGRAM_TABLES).

    With `limit`, at most that many index hits are considered: the ranked search wants a
    candidate set, not every Ivanov in the country.
    """
    condition = Q()
    if connection.vendor == "sqlite" and infix and _infix_searchable(table, groups):
        tri = TRIGRAM_TABLES[table]
        sql = f"SELECT rowid FROM {tri} WHERE {tri} MATCH %s"  # noqa: S608 - fixed names
        params_tri: list[Any] = [_trigram_expression(groups)]
        if limit is not None:
            sql += " LIMIT %s"
            params_tri.append(limit)
        # A trigram phrase is an exact substring match: nothing is left to check with LIKE.
        return Q(id__in=RawSQL(sql, params_tri))  # noqa: S611 - bound params
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
    """Does any indexed word start with `prefix` (or, where names are searched by any part,
    contain it)? One B-tree probe of the term table, then one trigram lookup."""
    terms = FTS_TABLES[table][1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {terms} WHERE term >= %s AND term < %s LIMIT 1",  # noqa: S608
            [prefix, prefix + "\uffff"],
        )
        if cursor.fetchone() is not None:
            return True
        if not _infix_searchable(table, [[prefix]]):
            return False
        tri = TRIGRAM_TABLES[table]
        cursor.execute(
            f"SELECT 1 FROM {tri} WHERE {tri} MATCH %s LIMIT 1",  # noqa: S608 - fixed names
            [_trigram_expression([[prefix]])],
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


# PostgreSQL searches names by word, like SQLite: a GIN index over the words of `search_name`
# (an expression index, so no writer maintains anything). The expression here and in the index
# must be the same text, or the planner will not use the index.
PG_WORD_TABLES = frozenset({"clients_company", "clients_contact"})
_PG_WORDS = "to_tsvector('simple'::regconfig, search_name)"


@dataclass(frozen=True)
class _Term:
    """One word of a query on PostgreSQL: any of `alternatives`, as whole words or prefixes."""

    alternatives: tuple[str, ...]
    prefix: bool = False


def _pg_tsquery(terms: Sequence[_Term]) -> str:
    """tsquery text: every term must match, any of its alternatives will do.

    Alternatives are runs of word characters of `normalise_name` output: they never hold a
    quote. One that is no indexed word costs one probe of the index's word tree and matches
    nothing, which is what makes a few hundred typo alternatives affordable.
    """
    parts = []
    for term in terms:
        star = ":*" if term.prefix else ""
        alternatives = " | ".join(f"'{a}'{star}" for a in sorted(set(term.alternatives)))
        parts.append(f"({alternatives})")
    return " & ".join(parts)


def _like_anywhere(part: str) -> str:
    """LIKE pattern for `part` anywhere in a string (`_` is a word character, and a wildcard)."""
    escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _pg_where(terms: Sequence[_Term], infixes: Sequence[str]) -> tuple[str, list[Any]]:
    """WHERE clause: every term as whole words (word index), every infix anywhere (trigrams)."""
    clauses: list[str] = []
    params: list[Any] = []
    if terms:
        clauses.append(f"{_PG_WORDS} @@ to_tsquery('simple'::regconfig, %s)")
        params.append(_pg_tsquery(terms))
    # Beside a word condition, a part is checked on the few rows the word index returns: as an
    # indexable LIKE it made the planner AND in the trigram bitmap of every name containing the
    # part ("логистик": 35,000 entries, 23 ms, for 7 rows).
    column = "(search_name || '')" if terms else "search_name"
    for part in infixes:
        clauses.append(f"{column} LIKE %s")
        params.append(_like_anywhere(part))
    return " AND ".join(clauses), params


def _pg_fetch(sql: str, params: Sequence[Any], *, bitmap: bool = False) -> list[tuple[Any, ...]]:
    """Rows of one statement that may not scan a whole table (with `bitmap`, nor a whole index).

    The planner underrates to_tsvector() and, for a broad or long query, would rather scan the
    table and compute it on each of 3M rows (seconds; a minute for a typo's few hundred
    alternatives). For a LIKE on a term table it expects many rows and, with a LIMIT, would
    read the table or its whole primary key in order (25 ms) rather than ask the trigram index
    (1-4 ms). Its choice is taken away for this one statement: the settings are turned off and
    on again around it in the same round trip (SET LOCAL outlives a savepoint, and a list page
    runs this inside a transaction; on its own, several statements sent at once are one
    transaction). Django's PostgreSQL cursor binds parameters client-side, which allows this.
    """
    names = ["enable_seqscan"] + (["enable_indexscan", "enable_indexonlyscan"] if bitmap else [])
    off = "".join(f"SET LOCAL {name} = off; " for name in names)
    on = "".join(f"; SET LOCAL {name} = on" for name in names)
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        cursor.execute(off + sql + on, params)
        raw = cursor.cursor
        while True:
            if raw.description is not None:
                rows = raw.fetchall()
            if not raw.nextset():
                break
    return rows


def _pg_ids(
    table: str, terms: Sequence[_Term], limit: int | None, infixes: Sequence[str] = ()
) -> list[int]:
    """Ids of the rows matching `terms` and `infixes`, at most `limit`, always through an index."""
    where, params = _pg_where(terms, infixes)
    sql = f"SELECT id FROM {table} WHERE {where}"  # noqa: S608 - fixed names
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    return [row[0] for row in _pg_fetch(sql, params)]


class _AnyOf(Func):
    """``lhs = ANY(array)``: a list of ids as one array parameter."""

    output_field = BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        rhs, rhs_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def _pg_pk_in(ids: list[int]) -> Q:
    """Rows with these ids, for PostgreSQL. As ``IN (%s, %s, ...)``, the 1,001 ids of a list
    page cost the planner ~3 ms a statement (the page and its count are two) and Django as
    much again to compile and quote them; one array parameter costs neither (measured: page +
    count 19.4 → 11.0 ms)."""
    if not ids:
        return Q(pk__in=[])
    from django.contrib.postgres.fields import ArrayField

    return Q(_AnyOf(F("pk"), Value(ids, output_field=ArrayField(BigIntegerField()))))


def _pg_match(
    table: str, terms: Sequence[_Term], limit: int | None, infixes: Sequence[str] = ()
) -> Q:
    """The condition: the ids themselves when `limit` bounds them."""
    if limit is not None:
        return _pg_pk_in(_pg_ids(table, terms, limit, infixes))
    # An export wants every match: a subquery the planner joins as it likes.
    where, params = _pg_where(terms, infixes)
    sql = f"SELECT id FROM {table} WHERE {where}"  # noqa: S608 - fixed names
    return Q(id__in=RawSQL(sql, params))  # noqa: S611 - bound parameters


def _known_words(table: str, candidates: Sequence[str]) -> list[str]:
    """Those of `candidates` that are whole words of some name (one probe of the term table)."""
    terms = FTS_TABLES[table][1]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT term FROM {terms} WHERE term = ANY(%s)",  # noqa: S608 - fixed name
                [list(candidates)],
            )
            return sorted(row[0] for row in cursor.fetchall())
        found: list[str] = []
        # SQLite binds at most 32,766 parameters (999 before 3.32): a few hundred at a time.
        for start in range(0, len(candidates), 500):
            chunk = list(candidates[start : start + 500])
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT term FROM {terms} WHERE term IN ({marks})", chunk)  # noqa: S608
            found += [row[0] for row in cursor.fetchall()]
        return sorted(found)


def _pg_words_starting(table: str, prefixes: Sequence[str], cap: int = 64) -> list[str] | None:
    """Words of names starting with any of `prefixes`; None when there are more than `cap`."""
    terms = FTS_TABLES[table][1]
    found: set[str] = set()
    with connection.cursor() as cursor:
        for p in prefixes:
            cursor.execute(
                f"SELECT term FROM {terms} WHERE term >= %s AND term < %s LIMIT %s",  # noqa: S608
                [p, p + "\uffff", cap + 1],
            )
            found.update(row[0] for row in cursor.fetchall())
            if len(found) > cap:
                return None
    return sorted(found)


def _pg_word_condition(table: str, words: list[str], limit: int | None) -> Q:
    """People whose name has every word of the query, in any form, typed partly or mistyped.

    The word index is asked for whole words only where it can be: a whole word is one list in
    the index and PostgreSQL intersects lists by skipping through them, a few ms even for
    "Иванов Иван" among 3M people, while a prefix ('ив':*) makes it merge the lists of every
    word so starting (half a million entries, a second on a busy machine). So each query word
    is first turned into the whole words it may stand for, from the term table: its forms
    ("иванову" → иванов, иванова), the words it begins ("иванов ив" → ивакин, иван...), or,
    mistyped, the words one edit away. A prefix goes to the index as such only when it begins
    too many words to list.
    """
    terms: list[_Term] = []
    for word in words:
        prefix = word_prefix(word)
        known = _known_words(table, word_forms(word))
        if known:
            terms.append(_Term(tuple(known)))
            continue
        starting = _pg_words_starting(table, [prefix])
        if starting is None:
            terms.append(_Term((prefix,), prefix=True))
            continue
        if starting:
            terms.append(_Term(tuple(starting)))
            continue
        if len(prefix) < MIN_TYPO_LEN:
            return Q(pk__in=[])
        # Mistyped: whole words one edit away, else words starting one edit away.
        close = _known_words(table, one_edit_variants(word))
        if not close:
            close = _pg_words_starting(table, corrections(table, prefix)) or []
        if not close:
            return Q(pk__in=[])
        terms.append(_Term(tuple(close)))
    return _pg_match(table, terms, limit)


# Words one part of a company name may stand for are listed in the query when there are at most
# this many: each costs the word index one lookup. A part inside more words than this ("строй")
# is looked for with trigrams instead, which finds it in every name at once.
PG_PART_WORDS = 128


def _pg_words_of_parts(table: str, parts: Sequence[str]) -> list[list[str] | None]:
    """For each part, the words of names containing it anywhere (a trigram lookup of the term
    table, under a million words, not of a million names) or, for a part too short for
    trigrams, starting with it; None where there are more than PG_PART_WORDS. One statement."""
    terms = FTS_TABLES[table][1]
    cap = PG_PART_WORDS
    # Table names are the constants of FTS_TABLES, never input.
    starting = f"(SELECT %s, term FROM {terms} WHERE term >= %s AND term < %s LIMIT %s)"  # noqa: S608
    containing = f"(SELECT %s, term FROM {terms} WHERE term LIKE %s LIMIT %s)"  # noqa: S608
    selects: list[str] = []
    params: list[Any] = []
    for i, part in enumerate(parts):
        if len(part) < 3:
            selects.append(starting)
            params += [i, part, part + "\uffff", cap + 1]
        else:
            selects.append(containing)
            params += [i, _like_anywhere(part), cap + 1]
    found: list[list[str]] = [[] for _ in parts]
    for i, term in _pg_fetch(" UNION ALL ".join(selects), params, bitmap=True):
        found[i].append(term)
    return [None if len(words) > cap else sorted(words) for words in found]


def _pg_company_condition(words: list[str], limit: int | None) -> Q:
    """Companies whose name has every word of the query, in any form, as any part of a word
    (companies glue words together: "строй" finds «Технострой»), or mistyped by one letter.

    Each query word is cut to the part its forms share ("ромашки" → ромашк) and becomes the
    whole words of names containing that part, from the term table (`_pg_words_of_parts`);
    the word index then intersects the lists of those words, a few ms. Trigram similarity over
    the names, used before for typos, cost 50-300 ms a query at a million companies; typos now
    become whole words too: those one edit away from the typed word, else those starting one
    edit away from its part. A part inside too many words to list ("строй") is matched with
    trigram LIKE over the names, as before (the bitmap of a few short trigrams is cheap).
    """
    table = "clients_company"
    terms: list[_Term] = []
    infixes: list[str] = []
    prefixes = [word_prefix(word) for word in words]
    for word, prefix, found in zip(
        words, prefixes, _pg_words_of_parts(table, prefixes), strict=True
    ):
        if found is None:
            # Too short for trigrams ("ао"): the prefix itself goes to the word index.
            if len(prefix) < 3:
                terms.append(_Term((prefix,), prefix=True))
            else:
                infixes.append(prefix)
            continue
        if found:
            terms.append(_Term(tuple(found)))
            continue
        if len(prefix) < MIN_TYPO_LEN:
            return Q(pk__in=[])
        # Mistyped: whole words one edit away, else words starting one edit away.
        close = _known_words(table, one_edit_variants(word))
        if close:
            terms.append(_Term(tuple(close)))
            continue
        corrected = corrections(table, prefix)
        if not corrected:
            return Q(pk__in=[])
        starting = _pg_words_starting(table, corrected, cap=PG_PART_WORDS)
        terms.append(
            _Term(tuple(corrected), prefix=True) if starting is None else _Term(tuple(starting))
        )
    return _pg_match(table, terms, limit, infixes)


def _text_condition(table: str, query: Query, limit: int | None) -> Q:
    """Q for the name part of a query; a word that begins no indexed word is read as a typo."""
    if not query.prefixes:
        return Q(pk__in=[])
    prefixes = query.prefixes[:6]
    if connection.vendor == "postgresql" and table == "clients_company":
        return _pg_company_condition(name_words(query.text)[:6], limit)
    if connection.vendor == "postgresql":
        return _pg_word_condition(table, name_words(query.text)[:6], limit)
    groups: list[list[str]] = []
    corrected = False
    for word, p in zip(name_words(query.text)[:6], prefixes, strict=True):
        # Short words are too short to correct; the index alone says whether they match.
        if len(p) < MIN_TYPO_LEN or _word_exists(table, p):
            groups.append([p])
            continue
        # Mistyped: whole words one edit away from the word typed ("карамисрой" → карамистрой),
        # else the beginnings of words one edit away from its prefix, as on PostgreSQL.
        alternatives = _known_words(table, one_edit_variants(word)) or corrections(table, p)
        if not alternatives:
            return Q(pk__in=[])
        groups.append(alternatives)
        corrected = True
    # Corrections are words, or beginnings of words, of the term table: they are asked of the
    # word index as such. As parts of words (trigrams) the short ones among them matched
    # thousands of names with the letters somewhere inside ("промре" for "промкре": 75 ms at 1M,
    # and those names ranked above the one meant).
    return _name_match(table, groups, limit, infix=not corrected)


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


def _ranked(
    base: QuerySet[M], condition: Q, q: str, limit: int, leading: Q | None = None
) -> list[M]:
    """The best `limit` rows of a bounded candidate set, best first.

    `leading` names rows to consider whatever the index returns first: a person typed as
    "Иванов Иван" is among ~1,600 such people, not among the 2,000 arbitrary hits of 60,000
    Ivanovs that the word index returns first.
    """
    text = " ".join(name_prefixes(q)) or normalise_name(q)
    candidates: dict[int, str] = {}
    if leading is not None:
        candidates.update(
            base.filter(leading).order_by().values_list("pk", "search_name")[:CANDIDATES]
        )
    candidates.update(
        base.filter(condition).order_by().values_list("pk", "search_name")[:CANDIDATES]
    )

    def score(row: tuple[int, str]) -> tuple[float, int]:
        # Shorter names first on a tie: «Ромашка» before «Ромашка-Строй-Инвест».
        return (-fuzz.WRatio(text, row[1]), len(row[1]))

    best = [pk for pk, _name in sorted(candidates.items(), key=score)[:limit]]
    # Fetched by id alone: repeating the condition would run the index query a second time.
    by_pk = {obj.pk: obj for obj in base.filter(pk__in=best)}
    return [by_pk[pk] for pk in best if pk in by_pk]


def search_companies(q: str, *, limit: int = 20) -> list[Company]:
    """Companies matching `q` (name, word form, typo, INN, phone, e-mail), best first.

    Ranks the first few thousand index hits rather than all of them: at a million companies a
    common word has tens of thousands, and no one reads past the first screen.
    """
    if not (q or "").strip():
        return []
    # PostgreSQL hands over the ids themselves, each a heap row read: no more than are ranked.
    pool = 2 * CANDIDATES if connection.vendor == "postgresql" else RANK_POOL
    return _ranked(active_companies(), company_condition(q, limit=pool), q, limit)


def search_contacts(q: str, *, limit: int = 20) -> list[Contact]:
    if not (q or "").strip():
        return []
    query = parse_query(q)
    leading = None
    if not query.is_identifier and (typed := normalise_name(q)):
        # People are written surname first: rows starting with exactly what was typed (a B-tree
        # range on search_name) are the likeliest answer.
        leading = _prefix_range("search_name", typed)
    # PostgreSQL hands over the ids themselves, each a heap row read: no more than are ranked.
    pool = 2 * CANDIDATES if connection.vendor == "postgresql" else RANK_POOL
    return _ranked(active_contacts(), contact_condition(q, limit=pool), q, limit, leading=leading)


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


# PostgreSQL: words for companies and people; trigrams for a part of a company name that occurs
# in too many words to list ("строй" in «Технострой», «Стройинвест»...).
_PG_INDEXES = {
    "clients_company_search_trgm": "clients_company USING gin (search_name gin_trgm_ops)",
    "clients_company_search_words": f"clients_company USING gin (({_PG_WORDS}))",
    "clients_contact_search_words": f"clients_contact USING gin (({_PG_WORDS}))",
    # An account manager's incomplete companies ("mine", completeness below N): counting them
    # (to 1,000) scanned the table, ~100,000 rows for 1,000 matches; this index reads 1,000.
    "clients_company_manager_completeness": (
        "clients_company (account_manager_id, completeness, id) "
        "WHERE merged_into_id IS NULL AND account_manager_id IS NOT NULL"
    ),
}
# Parts of company names are looked up among the words of names (a few hundred thousand), not
# among the names (a million): `_pg_words_containing`.
_PG_TERM_INDEXES = {
    "clients_company_term_trgm": "clients_company_term USING gin (term gin_trgm_ops)",
}
# Replaced by the word index (migration 0003); dropped wherever it still exists.
_PG_OBSOLETE_INDEXES = ("clients_contact_search_trgm",)
# Every word of a name ever indexed, as on SQLite (FTS_TABLES), kept by a trigger: typos are
# corrected against this small B-tree, not by asking the word index about hundreds of variants
# (each lookup there weighs every candidate row against the whole query) or by trigram
# similarity over a million names.
_PG_NEW_WORDS = _PG_WORDS.replace("search_name", "NEW.search_name")


def _pg_terms_ddl(table: str) -> list[str]:
    terms = FTS_TABLES[table][1]
    return [
        f"CREATE TABLE IF NOT EXISTS {terms} (term text PRIMARY KEY)",
        f"""
CREATE OR REPLACE FUNCTION {table}_add_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {terms} (term)
    SELECT word FROM unnest(tsvector_to_array({_PG_NEW_WORDS})) AS word
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
""",  # noqa: S608 - fixed names
        f"DROP TRIGGER IF EXISTS {table}_search_terms ON {table}",
        f"CREATE TRIGGER {table}_search_terms AFTER INSERT OR UPDATE OF search_name "
        f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_add_terms()",
    ]


def _pg_terms(cursor: Any, *, rebuild: bool) -> bool:
    created = False
    for table in PG_WORD_TABLES:
        terms = FTS_TABLES[table][1]
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [terms])
        missing = not cursor.fetchone()[0]
        for statement in _pg_terms_ddl(table):
            cursor.execute(statement)
        if missing or rebuild:
            cursor.execute(
                f"INSERT INTO {terms} (term) SELECT DISTINCT word FROM {table}, "  # noqa: S608
                f"unnest(tsvector_to_array({_PG_WORDS})) AS word ON CONFLICT DO NOTHING"
            )
        created = created or missing
    for name, target in _PG_TERM_INDEXES.items():
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        created = created or not cursor.fetchone()[0]
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    return created


def _pg_drop_terms(cursor: Any) -> None:
    for table in PG_WORD_TABLES:
        terms = FTS_TABLES[table][1]
        cursor.execute(f"DROP TRIGGER IF EXISTS {table}_search_terms ON {table}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {table}_add_terms()")
        cursor.execute(f"DROP TABLE IF EXISTS {terms}")


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
    statements = []
    if tri := TRIGRAM_TABLES.get(table):
        add += f"INSERT INTO {tri}(rowid, search_name) VALUES (new.id, new.search_name);"  # noqa: S608
        remove += (
            f"INSERT INTO {tri}({tri}, rowid, search_name) "  # noqa: S608
            "VALUES ('delete', old.id, old.search_name);"
        )
        statements.append(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {tri} USING fts5(search_name, {content}, "
            "tokenize='trigram')"
        )
    return [
        *statements,
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


def _sqlite_indexes(table: str) -> set[str]:
    triggers = {f"{table}_search_{s}" for s in ("ai", "ad", "au")}
    tri = {TRIGRAM_TABLES[table]} if table in TRIGRAM_TABLES else set()
    return {*FTS_TABLES[table], *tri, *triggers}


def _sqlite_rebuild(cursor: Any, tables: Sequence[str]) -> None:
    for table in tables:
        words, terms = FTS_TABLES[table]
        for index in (words, TRIGRAM_TABLES.get(table)):
            if index:
                cursor.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")  # noqa: S608
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
            stale = [t for t in FTS_TABLES if rebuild or not _sqlite_indexes(t) <= existing]
            for table in stale:
                if not _sqlite_indexes(table) <= existing:
                    created = True
                    # Triggers of an older layout may miss an index: replace them all.
                    for suffix in ("ai", "ad", "au"):
                        cursor.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
                    for statement in _sqlite_ddl(table):
                        cursor.execute(statement)
            _sqlite_rebuild(cursor, stale)
        elif conn.vendor == "postgresql":
            # Deferred foreign-key checks still pending in this transaction forbid CREATE INDEX.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for name, target in _PG_INDEXES.items():
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
            created = _pg_terms(cursor, rebuild=rebuild) or created
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
                for index in (*indexes, TRIGRAM_TABLES.get(table)):
                    if index:
                        cursor.execute(f"DROP TABLE IF EXISTS {index}")
        elif conn.vendor == "postgresql":
            for name in (*_PG_INDEXES, *_PG_OBSOLETE_INDEXES):
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            _pg_drop_terms(cursor)


# --- Maintenance -----------------------------------------------------------------------------


def reindex_all() -> None:
    """Rebuild the search indexes from `search_name` (repair after restoring a backup, say).

    Triggers keep the SQLite indexes current and PostgreSQL indexes maintain themselves, so
    nothing needs to call this in normal operation.
    """
    ensure_search_indexes(rebuild=True)
