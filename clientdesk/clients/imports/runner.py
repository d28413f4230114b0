"""Running an import job: read the file in batches, validate every row, write, report.

ALL_OR_NOTHING runs in one transaction: after the first invalid row nothing more is written,
the rest of the file is still checked so that the report lists every problem, and the
transaction is rolled back. VALID_ONLY commits batch by batch; the job's counters are updated in
the same transaction as the batch, so after a crash they say exactly what was saved.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientdesk.core import audit

from .. import search
from ..models import Company, Contact, ImportJob
from . import readers
from .readers import Cell, ImportFileError
from .rows import ParsedRow, RowParser
from .writers import WRITERS, BatchResult, Writer

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
MAX_ERRORS = 1000
PROGRESS_TTL = 24 * 3600


class _Rollback(Exception):
    """Raised to undo an all-or-nothing import that found invalid rows."""


@dataclass
class Stats:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, rows: list[ParsedRow], result: BatchResult) -> None:
        self.rows += len(rows)
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged
        for row in rows:
            if row.errors:
                self.rejected += 1
                self.error_count += len(row.errors)
                room = MAX_ERRORS - len(self.errors)
                self.errors.extend(e.as_dict() for e in row.errors[: max(room, 0)])

    def report(self) -> list[dict[str, Any]]:
        extra = self.error_count - len(self.errors)
        if extra <= 0:
            return list(self.errors)
        note = _("…and %(n)s more errors not listed here.") % {"n": extra}
        return [*self.errors, {"row": None, "column": "", "message": note}]


def progress_key(job_id: int) -> str:
    return f"clients:import:{job_id}:rows_done"


def rows_done(job: ImportJob) -> int:
    """Progress for the progress bar. An all-or-nothing import writes its counters only at the
    end (its transaction hides them until then), so it reports progress through the cache."""
    cached = cache.get(progress_key(job.pk))
    return max(job.rows_done, int(cached or 0))


def _batches(
    rows: Iterator[tuple[int, list[Cell]]], size: int
) -> Iterator[list[tuple[int, list[Cell]]]]:
    while batch := list(islice(rows, size)):
        yield batch


def job_mapping(job: ImportJob) -> dict[str, int]:
    return {str(k): int(v) for k, v in (job.mapping or {}).items() if v is not None and v != ""}


def _language(job: ImportJob) -> str:
    return getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE


def run(job: ImportJob) -> ImportJob:
    """Runs a job that has been claimed (status RUNNING); returns it finished, DONE or FAILED."""
    with translation.override(_language(job)):
        return _run(job)


def _run(job: ImportJob) -> ImportJob:
    stats = Stats()
    try:
        path = Path(job.file.path)
        info = readers.inspect(path)
        parser = RowParser(job.kind, job_mapping(job), info.headers)
        writer = WRITERS[job.kind](parser)
        ImportJob.objects.filter(pk=job.pk).update(rows_total=info.rows_estimate)
        job.rows_total = info.rows_estimate
        writer.prepare()
        with readers.open_rows(path, info) as rows:
            batches = _batches(rows, BATCH_SIZE)
            if job.mode == ImportJob.Mode.ALL_OR_NOTHING:
                _all_or_nothing(job, parser, writer, batches, stats)
            else:
                _valid_only(job, parser, writer, batches, stats)
    except _Rollback:
        _fail(job, stats, stats.report(), keep_counts=False)
    except ImportFileError as exc:
        _fail(job, stats, [*stats.report(), _note(str(exc))], keep_counts=True)
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        message = _(
            "The import stopped at row %(row)s because of an internal error. %(what)s "
            "Try again; if it happens again, send this file to your administrator."
        ) % {"row": stats.rows + 1, "what": _changes_kept(job)}
        _fail(job, stats, [*stats.report(), _note(message)], keep_counts=True)
    finally:
        cache.delete(progress_key(job.pk))
    return job


def _note(message: str) -> dict[str, Any]:
    return {"row": None, "column": "", "message": message}


def _changes_kept(job: ImportJob) -> str:
    if job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        return _("Nothing was changed.")
    return _("Rows of the batches finished before it were saved; the others were not.")


def _parse(parser: RowParser, batch: list[tuple[int, list[Cell]]]) -> list[ParsedRow]:
    return [parser.parse(number, cells) for number, cells in batch]


# An all-or-nothing import on SQLite at least this large, and at least as large as the
# registry it writes into, sets the search indexes aside and rebuilds them at the end.
REBUILD_SEARCH_FROM_ROWS = 10_000


def _rebuild_search_instead(job: ImportJob) -> bool:
    """Whether to drop the SQLite search triggers and FTS tables for this import and rebuild
    them once at the end, as the demo generator does.

    The triggers cost most of a company insert (measured: 10,000 companies 1.7-2.0 CPU-s with
    them, 0.26 s without; the whole company import 1.7-2.0 CPU-s instead of 2.8-4.1), a
    rebuild from the tables is far cheaper per row, but rebuilds the whole registry (contacts
    too): worth it only when the file is at least as large as what is indexed already.
    Only SQLite and only all-or-nothing: the drop happens inside the import's transaction,
    so readers keep seeing the committed indexes until the import commits with rebuilt ones,
    and a rollback (an invalid row, an error) restores the triggers with the data.
    PostgreSQL would lock the tables against readers for the whole import."""
    if connection.vendor != "sqlite" or job.mode != ImportJob.Mode.ALL_OR_NOTHING:
        return False
    if job.kind != ImportJob.Kind.COMPANIES:
        # Contacts have no trigram index: their triggers cost about what a rebuild does
        # (measured on 30,000 contacts), and the rebuild would redo the companies' too.
        return False
    if job.rows_total < REBUILD_SEARCH_FROM_ROWS:
        return False
    indexed = Company.objects.count() + Contact.objects.count()
    return job.rows_total >= indexed


def _all_or_nothing(
    job: ImportJob,
    parser: RowParser,
    writer: Writer[Any],
    batches: Iterable[list[tuple[int, list[Cell]]]],
    stats: Stats,
) -> None:
    with transaction.atomic():
        rebuild = _rebuild_search_instead(job)
        if rebuild:
            search.drop_search_indexes()
        for batch in batches:
            rows = _parse(parser, batch)
            # After the first invalid row the import is going to be undone: only check the rest.
            stats.add(rows, writer.apply(rows, write=not stats.rejected))
            cache.set(progress_key(job.pk), stats.rows, PROGRESS_TTL)
        if stats.rejected:
            raise _Rollback
        if rebuild:
            search.ensure_search_indexes(rebuild=True)
        _finish(job, stats, ImportJob.Status.DONE)


def _valid_only(
    job: ImportJob,
    parser: RowParser,
    writer: Writer[Any],
    batches: Iterable[list[tuple[int, list[Cell]]]],
    stats: Stats,
) -> None:
    for batch in batches:
        rows = _parse(parser, batch)
        with transaction.atomic():
            result = writer.apply(rows, write=True)
            # The counters commit with the rows they count.
            after = Stats(stats.rows, stats.created, stats.updated, stats.unchanged, stats.rejected)
            after.add(rows, result)
            ImportJob.objects.filter(pk=job.pk).update(**_counts(after))
        stats.add(rows, result)
    with transaction.atomic():
        _finish(job, stats, ImportJob.Status.DONE)


def _counts(stats: Stats) -> dict[str, int]:
    # A row that matched a record counts as updated even when it brought no change.
    return {
        "rows_done": stats.rows,
        "created": stats.created,
        "updated": stats.updated + stats.unchanged,
        "rejected": stats.rejected,
    }


def _finish(job: ImportJob, stats: Stats, status: str) -> None:
    for name, value in _counts(stats).items():
        setattr(job, name, value)
    job.rows_total = stats.rows
    job.errors = stats.report()
    job.status = status
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "rows_done",
            "rows_total",
            "created",
            "updated",
            "rejected",
            "errors",
            "status",
            "finished_at",
        ]
    )
    _audit(job, stats)


def _fail(job: ImportJob, stats: Stats, errors: list[dict[str, Any]], *, keep_counts: bool) -> None:
    with transaction.atomic():
        if keep_counts and job.mode == ImportJob.Mode.VALID_ONLY:
            # What the committed batches wrote, as counted in their own transactions.
            job.refresh_from_db(fields=["rows_done", "created", "updated", "rejected"])
        else:
            job.created = job.updated = 0
            job.rows_done = stats.rows
            job.rejected = stats.rejected
        job.errors = errors
        job.status = ImportJob.Status.FAILED
        job.finished_at = timezone.now()
        job.save(
            update_fields=[
                "rows_done",
                "created",
                "updated",
                "rejected",
                "errors",
                "status",
                "finished_at",
            ]
        )
        _audit(job, stats)


def _audit(job: ImportJob, stats: Stats) -> None:
    audit.record(
        actor=job.created_by,
        action="clients.import",
        target=job,
        changes={
            "kind": job.kind,
            "mode": job.mode,
            "file": job.original_name,
            "status": job.status,
            "rows": stats.rows,
            "created": job.created,
            "updated": job.updated,
            "unchanged": stats.unchanged,
            "rejected": job.rejected,
        },
    )
