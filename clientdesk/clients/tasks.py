"""Background work of the client registry."""

from __future__ import annotations

from datetime import timedelta

from clientdesk.core.tasks import task


@task()
def run_import(*, job_id: int) -> None:
    """Runs a queued import; safe to deliver twice, the job is claimed atomically."""
    from .imports.services import run_import_job

    run_import_job(job_id)


@task(every=timedelta(days=1), name="clientdesk.clients.flag_stale_records")
def flag_stale_records() -> None:
    """Opens a verification to-do for each record nobody has checked for too long."""
    from .quality import flag_stale_records as flag

    flag()


@task(every=timedelta(hours=12), name="clientdesk.clients.recompute_completeness")
def recompute_completeness() -> None:
    """Keeps stored completeness in step with the configured required fields."""
    from .quality import recompute_completeness as recompute

    recompute()


@task(every=timedelta(days=1), name="clientdesk.clients.find_duplicates")
def find_duplicates() -> None:
    """Finds new duplicate candidates among companies and contacts for review."""
    from .dedupe import find_duplicates as find

    find("company")
    find("contact")
