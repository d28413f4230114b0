"""B2B communications: one master message, rendered into channel variants, sent to an audience.

The master (`Campaign.content` + `Campaign.facts`) is written once in Russian and English:
subject, key points, conditions, call to action, and the facts every variant must carry
(price, discount, date, term: `{"name", "value", "unit"}`). Variants (`Variant`) are rendered
from the master by a template per channel (see `rendering.py`); a marketer may replace a
variant's text by hand, and the drift check (`drift.py`) then compares the figures in it with the
master's facts. An approval (`Approval`) binds to the content hash of master + variants + case
studies: any later edit changes the hash and the approval no longer counts.

Delivery: one `CampaignRecipient` row per contact and channel, with its state and the reason an
excluded contact was left out. See `sending.py` for the claim/send protocol and its guarantee.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import Channel, Company, Contact, Industry, Offering

# Channels a campaign can go out through; talking points are for the account manager, not sent.
SEND_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PORTAL, Channel.LETTER)
LANGUAGES = ("ru", "en")


def new_token() -> str:
    return secrets.token_urlsafe(18)


class CaseStudy(models.Model):
    """A reusable, quantified story of a client: tagged by industry and service, so that each
    recipient gets the case closest to their own business."""

    title_ru = models.CharField(_("title (Russian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_ru = models.TextField(_("text (Russian)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    industries = models.ManyToManyField(
        Industry, verbose_name=_("industries"), blank=True, related_name="+"
    )
    # OKVED sections ("C", "G"): a coarser match when no industry class fits.
    sections = models.CharField(_("OKVED sections"), max_length=40, blank=True)
    offerings = models.ManyToManyField(
        Offering, verbose_name=_("services"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")
        ordering = ["title_ru", "id"]

    def __str__(self) -> str:
        return self.title_ru

    def title(self, language: str) -> str:
        return (self.title_en if language == "en" else "") or self.title_ru

    def body(self, language: str) -> str:
        return (self.body_en if language == "en" else "") or self.body_ru


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # {"ru": {"subject", "key_points": [...], "conditions", "cta"}, "en": {...}}
    content = models.JSONField(_("master message"), default=dict)
    # [{"name": "Скидка", "name_en": "Discount", "value": "15", "unit": "%"}]; units: % RUB date
    # months days pcs or empty. Values are canonical (dot decimals, ISO dates).
    facts = models.JSONField(_("facts and figures"), default=list, blank=True)
    cta_url = models.URLField(_("call-to-action link"), blank=True)
    channels = models.JSONField(_("channels"), default=list)
    case_studies = models.ManyToManyField(
        CaseStudy, verbose_name=_("case studies"), blank=True, related_name="campaigns"
    )
    # Audience: segment filters passed to segments.selectors.companies_in, plus contact filters.
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    decision_roles = models.JSONField(_("roles in decisions"), default=list, blank=True)
    respect_preference = models.BooleanField(
        _("only the preferred channel"),
        default=True,
        help_text=_(
            "A contact who named a preferred channel gets the message only through that "
            "channel when the campaign uses it."
        ),
    )
    rate_per_second = models.PositiveIntegerField(
        _("messages per second"), default=0, help_text=_("0 uses the site default.")
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    follow_up_days = models.PositiveSmallIntegerField(
        _("results window, days"), default=30,
        help_text=_("Requests and deals within this many days after a send count as results."),
    )  # fmt: skip
    audience_built_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Renewed by the sender after every batch: the periodic job starts another sender only
    # when this is old (the previous one died), so throttling is not multiplied by piling up.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def master(self, language: str) -> dict[str, object]:
        ru = self.content.get("ru") or {}
        if language == "en":
            return self.content.get("en") or ru
        return ru

    def links(self) -> list[str]:
        """Every URL a click link may lead to: the click endpoint redirects only to these."""
        return [u for u in [self.cta_url] if u]


class Variant(models.Model):
    """One channel and language of the message. `body` empty means "as rendered from the
    master"; a text typed by hand replaces the rendered one and goes through the drift check."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        PORTAL = "portal", _("Portal notice")
        LETTER = "letter", _("Printed letter")
        TALKING_POINTS = "talking_points", _("Talking points for the account manager")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    kind = models.CharField(_("channel"), max_length=16, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=2, default="ru")
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text, edited by hand"), blank=True)
    # Drift found by the last check: [{"kind": "missing"|"different"|"extra", "fact", "found"}].
    drift = models.JSONField(default=list, blank=True, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind", "language"], name="variant_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class Approval(models.Model):
    """An approver's yes to one exact version (`version_hash`). Never edited; a new edit
    simply makes the campaign's current hash differ from it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="approvals")
    version_hash = models.CharField(max_length=64)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(auto_now_add=True)
    # Drift the approver saw and accepted for this version ("the SMS rounds the price").
    accepted_drift = models.JSONField(default=list, blank=True)
    comment = models.CharField(_("comment"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-approved_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.version_hash[:8]}"


class ExclusionReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No marketing consent for this channel")
    WITHDRAWN = "withdrawn", _("Marketing consent withdrawn")
    LEFT_COMPANY = "left_company", _("Left the company")
    ERASED = "erased", _("Personal data erased")
    NO_ADDRESS = "no_address", _("No address for this channel")
    PREFERENCE = "preference", _("Prefers another channel")
    ROLE = "role", _("Role in decisions not targeted")
    DUPLICATE = "duplicate", _("Same address as another recipient")
    OPTED_OUT = "opted_out", _("Switched newsletters off in the portal")


class CampaignRecipient(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CLAIMED = "claimed", _("Taken by a sender")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Interrupted: delivery unknown, not re-sent")
        EXCLUDED = "excluded", _("Excluded")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    # Denormalised for the account manager's view and the results by company.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    language = models.CharField(max_length=2, default="ru")
    address = models.CharField(_("address"), max_length=254, blank=True)
    segment = models.CharField(_("segment"), max_length=16, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    reason = models.CharField(
        _("reason"), max_length=16, choices=ExclusionReason.choices, blank=True
    )
    token = models.CharField(max_length=32, unique=True, default=new_token)
    claim_id = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    note = models.TextField(_("personal note"), blank=True)
    note_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact", "channel"], name="recipient_once_per_channel"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "state"]),
            models.Index(fields=["company", "campaign"]),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.contact_id}/{self.channel}"


class SmsMessage(models.Model):
    """What the database SMS backend 'sent': the outbox an SMS gateway integration would drain."""

    recipient = models.OneToOneField(
        CampaignRecipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(max_length=32)
    text = models.TextField()
    segments = models.PositiveSmallIntegerField()
    encoding = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS")

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:40]}"


class PortalNotice(models.Model):
    """A notice for the client portal to show its users (read by the portal domain)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.OneToOneField(
        CampaignRecipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    body = models.TextField()
    link = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("portal notice")
        verbose_name_plural = _("portal notices")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "-created_at"])]

    def __str__(self) -> str:
        return self.title
