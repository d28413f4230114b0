"""Importing responses collected on paper or by phone from CSV or XLSX.

The file is read with the registry's readers (encodings, delimiters and header detection as
for client imports). Every cell is checked with the same rules as the web form; one bad cell
rejects the whole file, and the report names its row and column, so the file can be fixed and
imported again without duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.accounts.models import User
from clientdesk.clients.imports.readers import ImportFileError, inspect, open_rows
from clientdesk.clients.models import Company, Contact
from clientdesk.core import audit

from . import answering
from .models import Answer, Question, QuestionKind, Response, Survey
from .services import follow_up_for, respondent_attributes

MAX_ERRORS = 200
META_COLUMNS = {"channel", "company_inn", "contact_email", "language"}


@dataclass
class ImportError_:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    errors: list[ImportError_] = field(default_factory=list)


def _columns(
    survey: Survey, headers: list[str]
) -> tuple[dict[int, tuple[Question, int]], list[str]]:
    questions = {q.code.lower(): q for q in survey.questions.all()}
    mapping: dict[int, tuple[Question, int]] = {}
    unknown: list[str] = []
    for i, header in enumerate(headers):
        name = header.strip().lower()
        if name in META_COLUMNS or not name:
            continue
        code, _dot, row = name.partition(".")
        q = questions.get(code)
        if q is None or (
            row
            and (
                q.kind != QuestionKind.MATRIX
                or not row.isdigit()
                or not 1 <= int(row) <= len(q.rows)
            )
        ):
            unknown.append(header)
            continue
        mapping[i] = (q, int(row) if row else 0)
    return mapping, unknown


@transaction.atomic
def import_responses(*, survey: Survey, path: Path, channel: str, by: User | None) -> ImportResult:
    result = ImportResult()
    try:
        info = inspect(path)
    except ImportFileError as exc:
        result.errors.append(ImportError_(0, "", str(exc)))
        return result
    mapping, unknown = _columns(survey, info.headers)
    for header in unknown:
        result.errors.append(
            ImportError_(
                info.header_row,
                header,
                _(
                    "No question has this code; name columns by question code (Q1) "
                    "or matrix row (Q5.2)."
                ),
            )
        )
    if not mapping:
        result.errors.append(ImportError_(info.header_row, "", _("No column names a question.")))
    if result.errors:
        return result
    lower = [h.strip().lower() for h in info.headers]
    meta = {name: lower.index(name) for name in META_COLUMNS if name in lower}
    questions = list(survey.questions.all())
    parsed: list[
        tuple[int, dict[answering.Key, answering.Cleaned], Company | None, Contact | None]
    ] = []
    with open_rows(path, info) as rows:
        for number, cells in rows:
            if len(result.errors) >= MAX_ERRORS:
                break
            row_errors = len(result.errors)
            found = _read_row(number, cells, mapping, info.headers, result)
            _check_logic(number, found, questions, result)
            company, contact = None, None
            if not survey.anonymous:
                company, contact = _who(cells, meta, number, result)
            if len(result.errors) == row_errors and found:
                parsed.append((number, found, company, contact))
    if result.errors:
        transaction.set_rollback(True)
        return result
    now = timezone.now()
    for number, found, company, contact in parsed:
        response = Response.objects.create(
            survey=survey,
            company=company,
            contact=contact,
            channel=channel,
            source=f"import:{path.name}:{number}"[:80],
            started_at=now,
            submitted_at=now,
            **respondent_attributes(company, contact),
        )
        Answer.objects.bulk_create(
            [
                Answer(response=response, question_id=q, item=item, value=c.value, text=c.text)
                for (q, item), c in found.items()
            ]
        )
        follow_up_for(response=response)
        result.created += 1
    audit.record(
        actor=by,
        action="surveys.responses_imported",
        target=survey,
        changes={"count": result.created, "channel": channel, "file": path.name},
    )
    return result


def _cell_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # Excel gives 9.0 for 9
    return "" if raw is None else str(raw)


def _read_row(
    number: int,
    cells: list[object],
    mapping: dict[int, tuple[Question, int]],
    headers: list[str],
    result: ImportResult,
) -> dict[answering.Key, answering.Cleaned]:
    found: dict[answering.Key, answering.Cleaned] = {}
    for i, (q, item) in mapping.items():
        try:
            cleaned = answering.clean(q, [_cell_text(cells[i] if i < len(cells) else None)])
        except answering.AnswerError as exc:
            result.errors.append(ImportError_(number, headers[i], str(exc)))
            continue
        if cleaned is not None:
            found[(q.pk, item)] = cleaned
    return found


def _check_logic(
    number: int,
    found: dict[answering.Key, answering.Cleaned],
    questions: list[Question],
    result: ImportResult,
) -> None:
    """Skip logic and required questions, as the web form applies them."""
    by_code = {q.code: float(found[(q.pk, 0)].value or 0) for q in questions if (q.pk, 0) in found}
    shown = {q.pk for q in answering.visible(questions, by_code)}
    answered = {k[0] for k in found}
    for q in questions:
        if q.pk in answered and q.pk not in shown:
            message = _("Should be empty: the question is shown only when %(cond)s.")
            result.errors.append(
                ImportError_(number, q.code, message % {"cond": _condition_text(q)})
            )
        elif q.required and q.pk in shown and q.pk not in answered:
            result.errors.append(ImportError_(number, q.code, _("This question needs an answer.")))


def _condition_text(q: Question) -> str:
    c = q.show_if or {}
    return f"{c.get('question')} {c.get('op')} {c.get('value')}"


def _who(
    cells: list[object], meta: dict[str, int], number: int, result: ImportResult
) -> tuple[Company | None, Contact | None]:
    def cell(name: str) -> str:
        i = meta.get(name)
        if i is None or i >= len(cells) or cells[i] is None:
            return ""
        value = cells[i]
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)

    inn, email = cell("company_inn").strip(), cell("contact_email").strip().lower()
    company = None
    if inn:
        company = (
            Company.objects.filter(inn=inn, merged_into__isnull=True)
            .select_related("industry", "region")
            .first()
        )
        if company is None:
            result.errors.append(
                ImportError_(number, "company_inn", _("No company with this INN in the registry."))
            )
    contact = None
    if email:
        qs = Contact.objects.filter(email__iexact=email)
        if company is not None:
            qs = qs.filter(company=company)
        contact = qs.first()
        if contact is None:
            result.errors.append(
                ImportError_(
                    number,
                    "contact_email",
                    _("No contact with this e-mail (at this company) in the registry."),
                )
            )
        elif company is None:
            company = contact.company
    return company, contact
