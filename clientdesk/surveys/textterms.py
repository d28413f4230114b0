"""Frequent terms in open answers: Russian words lemmatised (pymorphy3), English ones stemmed
(Snowball) and shown by their most frequent form. Each term keeps the answers it came from."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import snowballstemmer

WORD = re.compile(r"[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё\-]+")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")

_STOP_RU_WORDS = (
    "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только "
    "ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни "
    "быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где "
    "есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж "
    "тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы "
    "нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над "
    "больше тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою "
    "этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между это весь "
    "очень наш ваш свой который мочь такой "
)
STOP_RU = frozenset(_STOP_RU_WORDS.split())
_STOP_EN_WORDS = (
    "a an the and or but if of to in on at by for with about as is are was were be been being "
    "it its this that these those i we you he she they them our your their my me us not no do "
    "does did have has had so very too can could would should will just more most than then "
    "there here from into out up down over all any some also "
)
STOP_EN = frozenset(_STOP_EN_WORDS.split())


@cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@cache
def _stemmer() -> Any:
    return snowballstemmer.stemmer("english")


@cache
def _ru_lemma(word: str) -> str:
    return str(_morph().parse(word)[0].normal_form)


@dataclass
class Term:
    term: str
    language: str
    count: int  # answers that contain it
    response_ids: list[int] = field(default_factory=list)


def terms(answers: Iterable[tuple[int, str]], *, top: int = 20) -> list[Term]:
    """The `top` terms by the number of answers that use them, most frequent first."""
    answers_of: dict[tuple[str, str], list[int]] = defaultdict(list)
    forms: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    stem = _stemmer()
    for response_id, text in answers:
        seen: set[tuple[str, str]] = set()
        for match in WORD.finditer(text):
            word = match.group().lower().strip("-")
            if len(word) < 3:
                continue
            if CYRILLIC.search(word):
                if word in STOP_RU:
                    continue
                key = ("ru", _ru_lemma(word))
                if key[1] in STOP_RU:
                    continue
                forms[key][key[1]] += 1
            else:
                if word in STOP_EN:
                    continue
                key = ("en", str(stem.stemWord(word)))
                forms[key][word] += 1
            if key not in seen:
                seen.add(key)
                answers_of[key].append(response_id)
    ranked = sorted(answers_of.items(), key=lambda kv: (-len(kv[1]), kv[0][1]))[:top]
    return [Term(forms[key].most_common(1)[0][0], key[0], len(ids), ids) for key, ids in ranked]
