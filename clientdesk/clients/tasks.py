"""Background work of the client registry."""

from __future__ import annotations

from clientdesk.core.tasks import task


@task()
def run_import(*, job_id: int) -> None:
    """Runs a queued import; safe to deliver twice, the job is claimed atomically."""
    from .imports.services import run_import_job

    run_import_job(job_id)
