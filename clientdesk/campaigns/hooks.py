"""Where the campaigns domain plugs into the domains to its left (from CampaignsConfig.ready()).

Inbound mail: a message whose In-Reply-To or References name a campaign e-mail is that
recipient's reply and is recorded by `services.recipient_replied` (a timeline entry and a
follow-up to-do for the account manager; recording twice changes nothing). The service domain
still makes a request of the message, since the client expects an answer (see
clientdesk/service/hooks.py).

A campaign Message-ID is "<token@domain>" (`sending.message_id_for`), so the lookup goes through
the unique index of the token instead of scanning every message ever sent, and the stored
Message-ID must match in full as well. The sender is not checked: the token is unguessable, so
naming it means having had the message, and a colleague answering a forwarded offer replies too.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

from clientdesk.clients.models import Channel

SUMMARY_LENGTH = 1000
_MESSAGE_ID = re.compile(r"<([^<>@\s]+)@[^<>\s]+>")


def _referenced_ids(message: EmailMessage) -> dict[str, str]:
    """Message-ID -> its local part (a campaign token, if it is one of ours)."""
    headers = f"{message.get('In-Reply-To', '')} {message.get('References', '')}"
    # The newest references are at the end; a long thread needs only those.
    return {m.group(0): m.group(1) for m in list(_MESSAGE_ID.finditer(headers))[-50:]}


def _summary(message: EmailMessage) -> str:
    from clientdesk.service.text import html_to_text

    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = str(part.get_content())
    except (LookupError, UnicodeDecodeError):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return content.strip()[:SUMMARY_LENGTH]


def campaign_reply(message: EmailMessage) -> bool:
    """Inbound mail handler: True when the message answers a campaign e-mail."""
    from . import services
    from .models import CampaignRecipient

    ids = _referenced_ids(message)
    if not ids:
        return False
    recipients = list(
        CampaignRecipient.objects.select_related("campaign", "company", "contact").filter(
            token__in=set(ids.values()), message_id__in=list(ids), channel=Channel.EMAIL
        )
    )
    if not recipients:
        return False
    summary = _summary(message)
    for recipient in recipients:
        services.recipient_replied(recipient=recipient, summary=summary)
    return True


def register() -> None:
    from clientdesk.service.hooks import register_inbound_mail_handler

    register_inbound_mail_handler(campaign_reply)
