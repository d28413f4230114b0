"""Import jobs: upload, column mapping, claiming and running. Views and the task call these."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ImportJob
from . import readers, runner
from .columns import Field, fields_for, guess_mapping
from .readers import ImportFileError, TableInfo
from .rows import RowParser
from .values import as_text

ALLOWED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
PREVIEW_ROWS = 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


def _check_upload(upload: UploadedFile) -> None:
    name = upload.name or ""
    suffix = Path(name).suffix.lower()
    head = upload.read(4)
    upload.seek(0)
    if suffix == ".xls" or head == _OLE_MAGIC:
        raise ValidationError(
            _("This is an old Excel file (.xls). Open it in Excel and save it as .xlsx or CSV.")
        )
    if suffix not in ALLOWED_SUFFIXES:
        raise ValidationError(
            _("Upload a CSV or Excel (.xlsx) file; “%(name)s” is neither.") % {"name": name}
        )


def create_job(*, kind: str, mode: str, upload: UploadedFile, by: Any) -> ImportJob:
    """Stores the file and checks that it reads as a table; the job waits for its mapping.

    Not audited: the import itself records one event with its counts when it runs."""
    _check_upload(upload)
    job = ImportJob(
        kind=kind,
        mode=mode,
        original_name=(upload.name or "")[:255],
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    job.file.save(Path(upload.name or "upload").name, upload, save=False)
    try:
        info = readers.inspect(Path(job.file.path))
    except ImportFileError as exc:
        job.file.delete(save=False)
        raise ValidationError(str(exc)) from exc
    job.mapping = guess_mapping(kind, info.headers)
    job.rows_total = info.rows_estimate
    job.save()
    return job


def table_info(job: ImportJob) -> TableInfo:
    return readers.inspect(Path(job.file.path))


def mapping_problems(kind: str, mapping: dict[str, int]) -> list[str]:
    """What is missing from a mapping before the import can run."""
    fields = {f.name: f for f in fields_for(kind)}
    problems = [
        _("Choose the column for “%(field)s”.") % {"field": f.label}
        for f in fields.values()
        if f.required and f.name not in mapping
    ]
    if "company_inn" in fields and not {"company_inn", "company_external_id"} & set(mapping):
        problems.append(
            _(
                "Choose the column with the company's INN or its external ID: rows are linked to "
                "companies by them."
            )
        )
    if (
        kind == ImportJob.Kind.CONTACTS
        and "full_name" not in mapping
        and not {
            "last_name",
            "first_name",
        }
        <= set(mapping)
    ):
        problems.append(_("Choose a column with the full name, or columns for surname and name."))
    if kind == ImportJob.Kind.COMPANIES and not {"inn", "external_id"} & set(mapping):
        problems.append(
            _(
                "Choose the column with the INN or an external ID: without them a second import "
                "of the same file could not find the companies again."
            )
        )
    return problems


@transaction.atomic
def queue_job(*, job: ImportJob, mapping: dict[str, int], mode: str, by: Any) -> ImportJob:
    """Saves the mapping and queues the job; the task runs after this transaction commits."""
    from ..tasks import run_import

    problems = mapping_problems(job.kind, mapping)
    if problems:
        raise ValidationError(problems)
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.UPLOADED).update(
        mapping=mapping, mode=mode, status=ImportJob.Status.QUEUED
    )
    if updated != 1:
        raise ValidationError(_("This import has already been started."))
    job.refresh_from_db()
    run_import.enqueue(job_id=job.pk)
    return job


def run_import_job(job_id: int) -> ImportJob | None:
    """Claims a queued job and runs it. Returns None when another worker claimed it first."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        # Already running or finished: a re-delivered task must not import the file twice.
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    return runner.run(job)


@dataclass
class PreviewCell:
    raw: str
    value: str
    error: str


@dataclass
class PreviewRow:
    number: int
    cells: list[PreviewCell]
    errors: list[str]


def preview(job: ImportJob, mapping: dict[str, int]) -> tuple[list[Field], list[PreviewRow]]:
    """The first rows as the import will read them: parsed values and row-level errors."""
    path = Path(job.file.path)
    info = readers.inspect(path)
    parser = RowParser(job.kind, mapping, info.headers)
    fields = [f for f, _i, _t in parser.columns]
    result: list[PreviewRow] = []
    with readers.open_rows(path, info) as rows:
        for number, cells in islice(rows, PREVIEW_ROWS):
            parsed = parser.parse(number, cells)
            by_column = {e.column: e.message for e in parsed.errors}
            preview_cells = []
            for f, index, title in parser.columns:
                raw = as_text(cells[index] if index < len(cells) else None)
                value = parsed.values.get(f.name, "")
                preview_cells.append(
                    PreviewCell(raw=raw, value=_display(value), error=by_column.pop(title, ""))
                )
            result.append(PreviewRow(number, preview_cells, list(by_column.values())))
    return fields, result


def _display(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "strftime"):
        return str(value.strftime("%d.%m.%Y"))
    return "" if value is None else str(value)
