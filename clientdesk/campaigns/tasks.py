"""Background jobs of the campaigns domain."""

from __future__ import annotations

from datetime import timedelta

from clientdesk.core.tasks import task

from . import sending


@task(name="clientdesk.campaigns.send_campaign")
def send_campaign_task(*, campaign_id: int) -> None:
    """Sends one campaign; safe to run twice (rows are claimed) and after a crash."""
    sending.send_campaign(campaign_id=campaign_id)


@task(every=timedelta(minutes=1), name="clientdesk.campaigns.send_due")
def send_due_campaigns() -> None:
    """Starts scheduled campaigns when due and resumes those whose worker died."""
    for campaign_id in sending.due_campaigns():
        send_campaign_task.enqueue(campaign_id=campaign_id)
