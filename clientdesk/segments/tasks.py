"""Background work of the segments domain: a requested recompute, and the nightly one."""

from __future__ import annotations

from datetime import timedelta

from clientdesk.core.tasks import task

from .models import SegmentRun


@task()
def run_segmentation_task(*, run_id: int) -> None:
    """Carries out a queued run; a second delivery finds it claimed and does nothing."""
    from .services import run_segmentation

    run_segmentation(run_id=run_id)


@task(every=timedelta(days=1))
def nightly_recompute() -> None:
    """Recomputes the last complete month unless a run for it is already done or under way."""
    from .services import default_period_end, recompute_segments

    period_end = default_period_end()
    if SegmentRun.objects.filter(
        period_end=period_end,
        status__in=[SegmentRun.Status.DONE, SegmentRun.Status.RUNNING],
    ).exists():
        return
    recompute_segments(period_end=period_end, by=None)
