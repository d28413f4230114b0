"""Background work of the surveys domain."""

from __future__ import annotations

from datetime import timedelta

from clientdesk.core.tasks import task


@task(every=timedelta(hours=1))
def send_survey_reminders() -> int:
    """Reminds non-respondents; safe to run twice (each reminder is claimed before sending)."""
    from .services import reminders_send

    return reminders_send()


@task()
def survey_after_request_task(*, request_id: int) -> None:
    """For the service domain to queue after a request is resolved or a visit finished."""
    from .services import survey_after_request

    survey_after_request(request_id=request_id)


@task()
def send_invitations(*, invitation_ids: list[int]) -> int:
    from .services import send_invitation_emails

    return send_invitation_emails(invitation_ids=invitation_ids)


@task(every=timedelta(hours=6))
def refresh_analysis_snapshots() -> None:
    """Keeps the columnar snapshot of large open surveys fresh, so reports read few rows."""
    from . import columns
    from .models import QuestionKind, Survey, SurveyStatus

    for survey in Survey.objects.filter(status=SurveyStatus.OPEN):
        if survey.responses.filter(submitted_at__isnull=False).count() < columns.SNAPSHOT_MIN:
            continue
        ids = list(survey.questions.exclude(kind=QuestionKind.TEXT).values_list("pk", flat=True))
        columns.load(survey.pk, ids)


@task(every=timedelta(minutes=15))
def invite_after_resolved_requests() -> int:
    """Transactional survey invitations for requests resolved and visits finished."""
    from .services import invite_after_resolved_requests as run

    return run()
