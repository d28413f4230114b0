"""Sending a campaign in the background: throttled, resumable, and never twice.

Protocol (any number of workers may run it at once for one campaign):

1. Claim: a batch of `pending` rows is switched to `claimed` with the worker's random claim id
   in one UPDATE that repeats the `state='pending'` condition, so two workers never claim the
   same row; each worker then reads back only the rows carrying its own claim id.
2. Re-check: consent, erasure and "left the company" are checked again for the batch (one
   query per channel): an unsubscribe between the audience build and the send takes effect.
3. For each e-mail: the row goes to `sending` (its own commit), the message is handed to the
   e-mail backend, then the row goes to `sent` with the Message-ID, together with its timeline
   entry, in one transaction. Portal notices and SMS through the database backend are written in
   the same transaction that marks the row sent, so for them there is no window at all.
4. Throttle: at most `rate` messages per second per worker (campaign setting, else
   settings.CAMPAIGNS_RATE_PER_SECOND).

After a crash (`recover`): rows still `claimed` after `stale_after` were never handed to the
backend and go back to `pending`. Rows still `sending` are the only ones whose fate is unknown:
the SMTP server may have accepted the message just before the crash. They become `unknown` and
are NOT sent again: the guarantee is at-most-once, and the unknown rows — at most one per
worker that died, because a row is `sending` only while its own SMTP transaction runs — are
shown on the campaign page, where a person may re-send them knowingly. The Message-ID is derived
from the recipient's token, so a receiving server that de-duplicates by Message-ID would drop
even such a deliberate re-send.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from clientdesk.clients import services as client_services
from clientdesk.clients.models import Channel, ConsentPurpose, Contact, Interaction
from clientdesk.clients.selectors import contacts_with_consent

from . import rendering
from .models import (
    Campaign,
    CampaignRecipient,
    CaseStudy,
    ExclusionReason,
    PortalNotice,
    SmsMessage,
    Variant,
)

logger = logging.getLogger(__name__)
State = CampaignRecipient.State
STALE_AFTER = dt.timedelta(minutes=10)


# --- SMS ------------------------------------------------------------------------------------
class SmsBackend(Protocol):
    """Sends one SMS; returns the gateway's id. No gateway is bundled: the default backend
    stores the message (with its length in parts) for a gateway integration to drain."""

    def send(self, *, phone: str, text: str, recipient: CampaignRecipient | None) -> str: ...


class DatabaseSmsBackend:
    def send(self, *, phone: str, text: str, recipient: CampaignRecipient | None) -> str:
        parts, encoding = rendering.sms_segments(text)
        sms = SmsMessage.objects.create(
            recipient=recipient, phone=phone, text=text, segments=parts, encoding=encoding
        )
        return f"sms:{sms.pk}"


class ConsoleSmsBackend(DatabaseSmsBackend):
    def send(self, *, phone: str, text: str, recipient: CampaignRecipient | None) -> str:
        logger.info("SMS to %s: %s", phone, text)
        return super().send(phone=phone, text=text, recipient=recipient)


def sms_backend() -> SmsBackend:
    path = getattr(
        settings, "CAMPAIGNS_SMS_BACKEND", "clientdesk.campaigns.sending.DatabaseSmsBackend"
    )
    backend: SmsBackend = import_string(path)()
    return backend


# --- rendering one recipient's message -------------------------------------------------------
def base_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://localhost:8000")).rstrip("/")


def message_id_for(token: str) -> str:
    domain = str(getattr(settings, "CAMPAIGNS_MESSAGE_ID_DOMAIN", "campaigns.clientdesk.local"))
    return f"<{token}@{domain}>"


@dataclass
class SendContext:
    """What every message of a batch shares: the variants' texts, the cases, the figures."""

    campaign: Campaign
    texts: dict[tuple[str, str], tuple[str, str]]
    cases: list[CaseStudy]
    figures: dict[int, rendering.ClientFigures] = field(default_factory=dict)

    @classmethod
    def load(cls, campaign: Campaign) -> SendContext:
        texts = {
            (v.kind, v.language): (
                rendering.variant_subject(campaign, v),
                rendering.variant_text(campaign, v),
            )
            for v in campaign.variants.all()
        }
        cases = list(
            campaign.case_studies.filter(is_active=True).prefetch_related("industries", "offerings")
        )
        return cls(campaign=campaign, texts=texts, cases=cases)

    def text_for(self, kind: str, language: str) -> tuple[str, str]:
        return self.texts.get((kind, language)) or self.texts[(kind, "ru")]


@dataclass
class Rendered:
    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=16)
def _url_pattern(name: str, *extra: int) -> str:
    return reverse(name, args=["TOKEN", *extra])


def _url(name: str, token: str, *extra: int) -> str:
    """reverse() once per URL name, then a replace: 100,000 messages need 300,000 links."""
    return _url_pattern(name, *extra).replace("TOKEN", token, 1)


def render_for(recipient: CampaignRecipient, ctx: SendContext, kind: str | None = None) -> Rendered:
    """The message of one recipient on its channel (or as `kind`, e.g. talking points)."""
    from .services import CHANNEL_VARIANT

    kind = kind or CHANNEL_VARIANT[Channel(recipient.channel)]
    subject, template = ctx.text_for(kind, recipient.language)
    # The contact's company is the recipient's: no query per message for it.
    recipient.contact.company = recipient.company
    base = base_url()
    token = recipient.token
    links = ctx.campaign.links()
    if not links:
        cta = ""
    elif kind in {Variant.Kind.LETTER, Variant.Kind.TALKING_POINTS}:
        cta = links[0]  # on paper the address itself; nothing to track
    else:
        cta = base + _url("campaigns:click", token, 0)
    case = rendering.pick_case_study(ctx.cases, recipient.company) if ctx.cases else None
    personal = rendering.personal_for(
        recipient.contact,
        language=recipient.language,
        figures=ctx.figures.get(recipient.company_id),
        case=case,
        note=recipient.note,
        cta_link=cta,
    )
    text = rendering.fill(template, personal)
    subject = rendering.fill(subject, personal)
    if kind != Variant.Kind.EMAIL:
        return Rendered(subject=subject, text=text)
    unsubscribe = base + _url("campaigns:unsubscribe", token)
    pixel = base + _url("campaigns:open", token)
    label = rendering.LABELS["en" if recipient.language == "en" else "ru"]["unsubscribe"]
    footer = (
        f'<p style="color:#667;font-size:12px"><a href="{unsubscribe}">{label}</a></p>'
        f'<img src="{pixel}" width="1" height="1" alt="">'
    )
    cta_label = str(ctx.campaign.master(recipient.language).get("cta") or cta)
    html = rendering.text_to_html(text, links={cta: cta_label} if cta else None, footer=footer)
    return Rendered(
        subject=subject,
        text=f"{text}\n\n{label}: {unsubscribe}",
        html=html,
        headers={
            "Message-ID": message_id_for(token),
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


# --- the sender -----------------------------------------------------------------------------
@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    excluded: int = 0
    released: int = 0
    unknown: int = 0
    stopped: str = ""


def recover(campaign: Campaign, *, stale_after: dt.timedelta = STALE_AFTER) -> tuple[int, int]:
    """Cleans up after dead workers: (claimed rows released, sending rows marked unknown)."""
    cutoff = timezone.now() - stale_after
    rows = CampaignRecipient.objects.filter(campaign=campaign, claimed_at__lte=cutoff)
    released = rows.filter(state=State.CLAIMED).update(
        state=State.PENDING, claim_id="", claimed_at=None
    )
    unknown = rows.filter(state=State.SENDING).update(
        state=State.UNKNOWN, error="interrupted while sending; not re-sent"
    )
    return released, unknown


def _claim(campaign: Campaign, claim_id: str, size: int) -> list[CampaignRecipient]:
    ids = list(
        CampaignRecipient.objects.filter(campaign=campaign, state=State.PENDING)
        .order_by("id")
        .values_list("id", flat=True)[:size]
    )
    if not ids:
        return []
    CampaignRecipient.objects.filter(id__in=ids, state=State.PENDING).update(
        state=State.CLAIMED, claim_id=claim_id, claimed_at=timezone.now()
    )
    return list(
        CampaignRecipient.objects.filter(claim_id=claim_id, state=State.CLAIMED)
        .select_related("contact", "company__industry", "company__account_manager")
        .order_by("id")
    )


def _still_allowed(batch: list[CampaignRecipient]) -> list[CampaignRecipient]:
    """The batch without contacts who lost consent, left or were erased since the build."""
    allowed: set[tuple[int, str]] = set()
    for channel in {r.channel for r in batch}:
        ids = [r.contact_id for r in batch if r.channel == channel]
        qs = Contact.objects.filter(pk__in=ids, left_company=False)
        allowed.update(
            (pk, channel)
            for pk in contacts_with_consent(qs, ConsentPurpose.MARKETING, channel).values_list(
                "pk", flat=True
            )
        )
    keep: list[CampaignRecipient] = []
    drop: list[CampaignRecipient] = []
    for r in batch:
        (keep if (r.contact_id, r.channel) in allowed else drop).append(r)
    if drop:
        CampaignRecipient.objects.filter(pk__in=[r.pk for r in drop]).update(
            state=State.EXCLUDED, reason=ExclusionReason.WITHDRAWN, claim_id=""
        )
    return keep


def _record_sent(recipient: CampaignRecipient, rendered: Rendered, message_id: str) -> None:
    now = timezone.now()
    CampaignRecipient.objects.filter(pk=recipient.pk).update(
        state=State.SENT, sent_at=now, message_id=message_id, error=""
    )
    client_services.interaction_record(
        company=recipient.company,
        contact=recipient.contact,
        channel=recipient.channel,
        direction=Interaction.Direction.OUTBOUND,
        occurred_at=now,
        subject=rendered.subject or recipient.campaign.name,
        summary=rendered.text[:1000],
        source=f"campaigns.recipient:{recipient.pk}",
    )


def _send_email(recipient: CampaignRecipient, rendered: Rendered, connection: Any) -> str:
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        to=[recipient.address],
        headers=rendered.headers,
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
    return rendered.headers["Message-ID"]


def _deliver(recipient: CampaignRecipient, ctx: SendContext, claim_id: str, connection: Any) -> str:
    """Sends one message; returns 'sent', 'failed' or 'skipped'."""
    rendered = render_for(recipient, ctx)
    if recipient.channel == Channel.EMAIL:
        marked = CampaignRecipient.objects.filter(
            pk=recipient.pk, claim_id=claim_id, state=State.CLAIMED
        ).update(state=State.SENDING, claimed_at=timezone.now())
        if marked != 1:
            return "skipped"  # released by `recover` or the campaign was stopped
        try:
            message_id = _send_email(recipient, rendered, connection)
        except Exception as exc:  # the backend refused it: nothing was delivered
            CampaignRecipient.objects.filter(pk=recipient.pk).update(
                state=State.FAILED, error=str(exc)[:300]
            )
            logger.warning("Campaign e-mail to recipient %s failed: %s", recipient.pk, exc)
            return "failed"
        with transaction.atomic():
            _record_sent(recipient, rendered, message_id)
        return "sent"
    with transaction.atomic():
        still_mine = CampaignRecipient.objects.filter(
            pk=recipient.pk, claim_id=claim_id, state=State.CLAIMED
        ).update(state=State.SENDING)
        if still_mine != 1:
            return "skipped"
        if recipient.channel == Channel.SMS:
            message_id = sms_backend().send(
                phone=recipient.address, text=rendered.text, recipient=recipient
            )
        elif recipient.channel == Channel.PORTAL:
            notice = PortalNotice.objects.create(
                company=recipient.company,
                contact=recipient.contact,
                recipient=recipient,
                title=rendered.subject,
                body=rendered.text,
                link=ctx.campaign.cta_url,
            )
            message_id = f"portal:{notice.pk}"
        else:  # a letter: it is printed from the campaign page (letters.pdf)
            message_id = "letter"
        _record_sent(recipient, rendered, message_id)
    return "sent"


class Throttle:
    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


def _start(campaign_id: int) -> Campaign | None:
    from .services import valid_approval

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status not in {
        Campaign.Status.SCHEDULED,
        Campaign.Status.SENDING,
    }:
        return None
    if campaign.send_at and campaign.send_at > timezone.now():
        return None
    if valid_approval(campaign) is None:
        # Edited after approval: it waits for a new approval instead of going out unseen.
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
        return None
    Campaign.objects.filter(pk=campaign.pk, started_at__isnull=True).update(
        started_at=timezone.now()
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    campaign.status = Campaign.Status.SENDING
    return campaign


def _finish_if_done(campaign: Campaign) -> None:
    busy = CampaignRecipient.objects.filter(
        campaign=campaign, state__in=[State.PENDING, State.CLAIMED, State.SENDING]
    ).exists()
    if not busy:
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.DONE, finished_at=timezone.now()
        )


def send_campaign(
    *,
    campaign_id: int,
    batch_size: int = 100,
    stale_after: dt.timedelta = STALE_AFTER,
    max_messages: int | None = None,
    rate: float | None = None,
    email_backend: str | None = None,
) -> SendReport:
    """Sends what is pending of the campaign; safe to run twice and to run after a crash.

    `max_messages` stops after that many rows (tests and the benchmark's crash simulation);
    `email_backend` overrides settings.EMAIL_BACKEND (the demo uses the dummy backend)."""
    report = SendReport()
    campaign = _start(campaign_id)
    if campaign is None:
        report.stopped = "not due"
        return report
    report.released, report.unknown = recover(campaign, stale_after=stale_after)
    if rate is None:
        rate = campaign.rate_per_second or getattr(settings, "CAMPAIGNS_RATE_PER_SECOND", 20)
    throttle = Throttle(rate)
    ctx = SendContext.load(campaign)
    claim_id = secrets.token_hex(8)
    connection = get_connection(email_backend)
    handled = 0
    try:
        # One SMTP session for the whole run, not one per message.
        connection.open()
        while max_messages is None or handled < max_messages:
            status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True)
            if status.first() != Campaign.Status.SENDING:
                report.stopped = "paused"
                break
            size = batch_size if max_messages is None else min(batch_size, max_messages - handled)
            Campaign.objects.filter(pk=campaign.pk).update(heartbeat_at=timezone.now())
            batch = _claim(campaign, claim_id, size)
            if not batch:
                break
            kept = _still_allowed(batch)
            report.excluded += len(batch) - len(kept)
            ctx.figures = rendering.client_figures({r.company_id for r in kept})
            for recipient in kept:
                recipient.campaign = campaign
                throttle.wait()
                outcome = _deliver(recipient, ctx, claim_id, connection)
                report.sent += outcome == "sent"
                report.failed += outcome == "failed"
            handled += len(batch)
    finally:
        # Rows still claimed by this worker (a pause, a limit) go back for the next run.
        CampaignRecipient.objects.filter(claim_id=claim_id, state=State.CLAIMED).update(
            state=State.PENDING, claim_id="", claimed_at=None
        )
        connection.close()
    _finish_if_done(campaign)
    return report


HEARTBEAT_TIMEOUT = dt.timedelta(minutes=3)


def due_campaigns() -> Iterable[int]:
    """Scheduled campaigns that are due, and sending ones whose sender stopped beating (it
    died): a live sender is left alone, so the periodic job does not pile senders up."""
    now = timezone.now()
    silent = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - HEARTBEAT_TIMEOUT)
    return Campaign.objects.filter(
        Q(status=Campaign.Status.SCHEDULED) | (Q(status=Campaign.Status.SENDING) & silent),
        send_at__lte=now,
    ).values_list("pk", flat=True)
