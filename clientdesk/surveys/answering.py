"""Reading and checking answers, the same way for the web form, the portal and imports.

Skip logic is a simple condition on an earlier answer, evaluated on the server: the form works
without JavaScript, and an answer to a question the respondent should not have seen is dropped.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import SCALES, Question, QuestionKind

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}
# Multiple choice: "contains" asks whether the option numbered `value` was ticked.
CONTAINS = "contains"

Key = tuple[int, int]  # (question id, matrix row or 0)


@dataclass(frozen=True)
class Cleaned:
    value: float | None
    text: str = ""


class AnswerError(ValueError):
    pass


def condition_holds(condition: Mapping[str, object] | None, by_code: Mapping[str, float]) -> bool:
    """True when there is no condition or it holds; an unanswered question fails it."""
    if not condition:
        return True
    code = str(condition.get("question", ""))
    op = str(condition.get("op", "="))
    try:
        target = float(condition.get("value"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
    value = by_code.get(code)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if op == CONTAINS:
        return bool(int(value) & (1 << (int(target) - 1)))
    compare = OPS.get(op)
    return True if compare is None else compare(value, target)


def visible(questions: Iterable[Question], by_code: Mapping[str, float]) -> list[Question]:
    return [q for q in questions if condition_holds(q.show_if, by_code)]


def _options(question: Question) -> list[int]:
    if question.kind in SCALES:
        return SCALES[question.kind]
    return list(range(1, len(question.choices) + 1))


def clean(question: Question, raw: Sequence[str]) -> Cleaned | None:
    """One answer from what was posted (or read from a file); None when left empty.

    Raises AnswerError with a message that says what to fix."""
    values = [r.strip() for r in raw if r is not None and str(r).strip() != ""]
    if not values:
        return None
    if question.kind == QuestionKind.TEXT:
        text = " ".join(values)
        if len(text) > 5000:
            raise AnswerError(_("Please keep the answer under 5,000 characters."))
        return Cleaned(None, text)
    allowed = _options(question)
    if question.kind == QuestionKind.MULTI:
        parts = [p.strip() for v in values for p in v.replace(",", ";").split(";") if p.strip()]
        mask = 0
        for part in parts:
            number = _number(part, allowed, question)
            mask |= 1 << (number - 1)
        return Cleaned(float(mask))
    if len(values) > 1:
        raise AnswerError(_("Choose one answer only."))
    return Cleaned(float(_number(values[0], allowed, question)))


def _number(raw: str, allowed: list[int], question: Question) -> int:
    try:
        number = float(raw.replace(",", "."))
    except ValueError:
        number = math.nan
    if math.isnan(number) or number != int(number) or int(number) not in allowed:
        if question.kind in SCALES:
            raise AnswerError(
                _("Choose a whole number from %(low)s to %(high)s.")
                % {"low": allowed[0], "high": allowed[-1]}
            )
        raise AnswerError(_("Choose one of the options (1 to %(n)s).") % {"n": len(allowed) or 1})
    return int(number)


def field_name(question: Question, row: int = 0) -> str:
    return f"q_{question.code}" + (f"_{row}" if row else "")


def read_page(
    questions: Sequence[Question], data: Mapping[str, Sequence[str]], *, enforce_required: bool
) -> tuple[dict[Key, Cleaned | None], dict[str, str]]:
    """Answers of the questions on one page from posted data, and messages per field name.

    Every question is returned, None meaning "cleared", so that a respondent can change a saved
    answer to nothing. Required questions are enforced only when moving on or submitting."""
    found: dict[Key, Cleaned | None] = {}
    errors: dict[str, str] = {}
    for q in questions:
        rows = [r for r, _label in q.rows_in()] if q.kind == QuestionKind.MATRIX else [0]
        for row in rows:
            name = field_name(q, row)
            try:
                cleaned = clean(q, list(data.get(name, [])))
            except AnswerError as exc:
                errors[name] = str(exc)
                continue
            found[(q.pk, row)] = cleaned
            if cleaned is None and q.required and enforce_required:
                errors[name] = (
                    _("Please answer this row.") if row else _("Please answer this question.")
                )
    return found, errors
