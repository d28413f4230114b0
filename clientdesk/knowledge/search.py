"""Finding articles by what a reader types, whatever the word forms.

Each word of an article (both languages, title and text) is cut to the prefix it shares with its
Snowball stem (`clients.search.word_prefix`: "счета" → "счет", "invoices" → "invoic") and the
distinct prefixes are stored space-delimited in `Article.search_text`, padded with spaces. A
query word matches when some stored prefix starts with the query word's own prefix, which is a
plain `LIKE '% prefix%'`: the same on SQLite and PostgreSQL (where a pg_trgm index could serve it
when the base grows past a few thousand articles; at hundreds a scan costs under a millisecond).
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from clientdesk.clients.search import word_prefix
from clientdesk.service.text import html_to_text

from .models import Article

_WORDS = re.compile(r"\w+")
MIN_WORD = 3
MAX_QUERY_WORDS = 8
# Words that would match half the base and say nothing about the question.
_STOP = frozenset(
    {
        "как", "что", "для", "где", "или", "при", "это", "его", "она", "они", "мне", "нам",
        "вам", "наш", "ваш", "все", "чем", "кто", "the", "and", "for", "with", "how", "what",
        "where", "can", "from", "this", "that", "you", "your", "are", "our", "not",
    }
)  # fmt: skip


def _words(text: str) -> list[str]:
    lowered = (text or "").lower().replace("ё", "е")
    return [w for w in _WORDS.findall(lowered) if len(w) >= MIN_WORD and w not in _STOP]


def prefixes(text: str) -> list[str]:
    """Distinct stem prefixes of the words of `text`, in order of first appearance."""
    seen: dict[str, None] = {}
    for word in _words(text):
        if not word.isdigit():
            seen.setdefault(word_prefix(word), None)
        else:
            seen.setdefault(word, None)
    return list(seen)


def search_text_for(article: Article) -> str:
    parts = [
        article.title,
        article.title_en,
        html_to_text(article.body_html),
        html_to_text(article.body_html_en),
    ]
    return " " + " ".join(prefixes(" ".join(parts))) + " "


def match_all(qs: QuerySet[Article], q: str) -> QuerySet[Article]:
    """Articles containing every word of `q` (in some form); all of `qs` for an empty query."""
    for p in prefixes(q)[:MAX_QUERY_WORDS]:
        qs = qs.filter(search_text__contains=" " + p)
    return qs


def suggest(qs: QuerySet[Article], q: str, *, limit: int = 5) -> list[Article]:
    """Articles sharing the most words with `q` (any word will do), best first.

    A subject being typed is short and often half a sentence: requiring every word would
    suggest nothing, so candidates need one word and are ranked by how many they have, the
    title counting double.
    """
    words = prefixes(q)[:MAX_QUERY_WORDS]
    if not words:
        return []
    condition = Q()
    for p in words:
        condition |= Q(search_text__contains=" " + p)
    candidates = list(qs.filter(condition).order_by("-view_count", "id")[:100])

    def score(article: Article) -> tuple[int, int]:
        title = " " + " ".join(prefixes(f"{article.title} {article.title_en}")) + " "
        hits = sum(1 for p in words if " " + p in article.search_text)
        title_hits = sum(1 for p in words if " " + p in title)
        return (-(hits + title_hits), -article.view_count)

    return sorted(candidates, key=score)[:limit]
