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
from .services import _attributes, follow_up_for

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


def _columns(survey: Survey, headers: list[str]) -> tuple[dict[int, tuple[Question, int]], list[str]]:
    questions = {q.code.lower(): q for q in survey.questions.all()}
    mapping: dict[int, tuple[Question, int]] = {}
    unknown: list[str] = []
    for i, header in enumerate(headers):
        name = header.strip().lower()
        if name in META_COLUMNS or not name:
            continue
        code, _dot, row = name.partition(".")
        q = questions.get(code)
        if q is None or (row and (q.kind != QuestionKind.MATRIX or not row.isdigit()
                                  or not 1 <= int(row) <= len(q.rows))):  # fmt: skip
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
        result.errors.append(ImportError_(info.header_row, header, _(
            "No question has this code; name columns by question code (Q1) or matrix row (Q5.2)."
        )))  # fmt: skip
    if not mapping:
        result.errors.append(ImportError_(info.header_row, "", _("No column names a question.")))
    if result.errors:
        return result
    lower = [h.strip().lower() for h in info.headers]
    meta = {name: lower.index(name) for name in META_COLUMNS if name in lower}
    questions = list(survey.questions.all())
    parsed: list[tuple[int, dict[answering.Key, answering.Cleaned], Company | None,
                       Contact | None]] = []  # fmt: skip
    with open_rows(path, info) as rows:
        for number, cells in rows:
            if len(result.errors) >= MAX_ERRORS:
                break
            found: dict[answering.Key, answering.Cleaned] = {}
            row_errors = len(result.errors)
            for i, (q, item) in mapping.items():
                raw = cells[i] if i < len(cells) else None
                text = "" if raw is None else str(raw)
                if isinstance(raw, float) and raw.is_integer():
                    text = str(int(raw))
                try:
                    cleaned = answering.clean(q, [text])
                except answering.AnswerError as exc:
                    result.errors.append(ImportError_(number, info.headers[i], str(exc)))
                    continue
                if cleaned is not None:
                    found[(q.pk, item)] = cleaned
            by_code = {q.code: found[(q.pk, 0)].value for q in questions
                       if (q.pk, 0) in found and found[(q.pk, 0)].value is not None}  # fmt: skip
            shown = {q.pk for q in answering.visible(questions, by_code)}  # type: ignore[arg-type]
            for q in questions:
                answered = any(k[0] == q.pk for k in found)
                if answered and q.pk not in shown:
                    result.errors.append(ImportError_(number, q.code, _(
                        "Should be empty: the question is shown only when %(cond)s."
                    ) % {"cond": _condition_text(q)}))  # fmt: skip
                elif q.required and q.pk in shown and not answered:
                    result.errors.append(
                        ImportError_(number, q.code, _("This question needs an answer."))
                    )
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
            **_attributes(company, contact),
        )
        Answer.objects.bulk_create(
            [Answer(response=response, question_id=q, item=item, value=c.value, text=c.text)
             for (q, item), c in found.items()]  # fmt: skip
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
        company = Company.objects.filter(inn=inn, merged_into__isnull=True).select_related(
            "industry", "region"
        ).first()
        if company is None:
            result.errors.append(ImportError_(number, "company_inn", _(
                "No company with this INN in the registry."
            )))  # fmt: skip
    contact = None
    if email:
        qs = Contact.objects.filter(email__iexact=email)
        if company is not None:
            qs = qs.filter(company=company)
        contact = qs.first()
        if contact is None:
            result.errors.append(ImportError_(number, "contact_email", _(
                "No contact with this e-mail (at this company) in the registry."
            )))  # fmt: skip
        elif company is None:
            company = contact.company
    return company, contact
