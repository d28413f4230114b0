"""The invitation e-mail: formal, in the contact person's language, sent after commit.

The raw token exists only in memory between creating the invitation and sending this e-mail
(the database keeps its hash), so the message is sent from `transaction.on_commit` in the web
process rather than through the task queue, which would copy the secret into the broker.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from clientdesk.service.mail import send_notice

from .models import Invitation


def invitation_link(token: str) -> str:
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return base + reverse("portal:invitation_accept", args=[token])


def send_invitation(*, invitation_id: int, token: str) -> None:
    invitation = (
        Invitation.objects.select_related("company", "contact", "created_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.state != Invitation.State.OPEN:
        return
    language = invitation.contact.language or "ru"
    with translation.override(language):
        context = {
            "invitation": invitation,
            "contact": invitation.contact,
            "company": invitation.company,
            "link": invitation_link(token),
            "expires": timezone.localtime(invitation.expires_at),
            "role": invitation.get_role_display(),
            "manager": invitation.company.account_manager,
        }
        subject = render_to_string("portal/email/invitation_subject.txt", context).strip()
        body = render_to_string("portal/email/invitation_body.txt", context)
    send_notice(to=[invitation.email], subject=" ".join(subject.split()), body=body)


def send_invitation_on_commit(*, invitation_id: int, token: str) -> None:
    transaction.on_commit(lambda: send_invitation(invitation_id=invitation_id, token=token))
