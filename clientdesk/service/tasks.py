"""Background work of the service domain: e-mail after commit, the SLA job, the mail poller."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from clientdesk.core.tasks import task

logger = logging.getLogger(__name__)


@task()
def send_reply_email(*, message_id: int) -> bool:
    from .mail import send_reply

    return send_reply(message_id)


@task()
def send_status_email(*, request_id: int, status: str, comment: str = "") -> bool:
    from .mail import send_status_notice

    return send_status_notice(request_id=request_id, status=status, comment=comment)


@task()
def send_sla_warning_email(*, request_id: int, kind: str) -> None:
    from .mail import send_notice
    from .models import ServiceRequest, SlaEvent

    request = ServiceRequest.objects.select_related("assignee").filter(pk=request_id).first()
    if request is None or request.assignee is None or not request.assignee.email:
        return
    send_notice(
        to=[request.assignee.email],
        subject=f"[{request.number}] {SlaEvent.Kind(kind).label}",
        body=_("%(what)s: %(number)s %(subject)s")
        % {"what": SlaEvent.Kind(kind).label, "number": request.number, "subject": request.subject},
    )


@task()
def send_escalation_email(*, request_id: int, kind: str) -> None:
    from .mail import send_notice
    from .models import ServiceRequest, SlaEvent

    request = (
        ServiceRequest.objects.select_related("team__supervisor", "assignee")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.team is None:
        return
    to = {request.team.email} if request.team.email else set()
    if request.team.supervisor and request.team.supervisor.email:
        to.add(request.team.supervisor.email)
    send_notice(
        to=sorted(to),
        subject=f"[{request.number}] {SlaEvent.Kind(kind).label}",
        body=_("%(what)s: %(number)s %(subject)s, assignee: %(who)s")
        % {
            "what": SlaEvent.Kind(kind).label,
            "number": request.number,
            "subject": request.subject,
            "who": request.assignee or _("nobody"),
        },
    )


@task(every=timedelta(minutes=1), name="clientdesk.service.sla_check")
def sla_check_job() -> None:
    from .services import sla_check

    result = sla_check()
    if result.warnings or result.breaches:
        logger.info("SLA check: %s", result)


@task(every=timedelta(minutes=1), name="clientdesk.service.poll_maildir")
def poll_maildir() -> int:
    """Ingests messages delivered to SERVICE_MAILDIR (a Maildir an MTA or fetchmail fills).
    A message is moved to cur/ only after it was ingested, so a crash re-reads it; ingesting
    is idempotent by Message-ID."""
    from .mail import email_ingest

    root = getattr(settings, "SERVICE_MAILDIR", "")
    if not root:
        return 0
    new, cur = Path(root) / "new", Path(root) / "cur"
    if not new.is_dir():
        return 0
    cur.mkdir(exist_ok=True)
    done = 0
    for path in sorted(new.iterdir())[:500]:
        try:
            email_ingest(path.read_bytes())
        except Exception:
            logger.exception("Could not ingest %s; left in new/", path.name)
            continue
        path.rename(cur / (path.name + ":2,S"))
        done += 1
    return done
