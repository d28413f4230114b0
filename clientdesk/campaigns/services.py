"""Writes of the campaigns domain: the master and its variants, approval, the audience,
scheduling, the account manager's notes, and what recipients do (open, click, reply,
unsubscribe). Sending itself is in `sending.py`.

Approval binds to `version_hash(campaign)`: the SHA-256 of the master, the facts, the link, the
channels, every variant's subject and text and the chosen case studies (with their last edit
time). Any edit changes the hash, so an approval of the previous version no longer counts and
the campaign cannot be sent until someone with CAMPAIGNS_APPROVE approves again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.clients import services as client_services
from clientdesk.clients.models import (
    Channel,
    Consent,
    ConsentPurpose,
    DecisionRole,
    Interaction,
    Todo,
)
from clientdesk.core import audit
from clientdesk.core.permissions import has_perm
from clientdesk.core.roles import Perm

from . import audience as audience_rules
from . import drift, rendering
from .models import (
    LANGUAGES,
    SEND_CHANNELS,
    Approval,
    Campaign,
    CampaignRecipient,
    CaseStudy,
    ExclusionReason,
    Variant,
)

if TYPE_CHECKING:
    from clientdesk.accounts.models import User

ErrorDict = dict[str, list[str]]
EDITABLE = {Campaign.Status.DRAFT, Campaign.Status.SCHEDULED, Campaign.Status.PAUSED}
FACT_UNITS = ("RUB", "%", "date", "", "мес.", "дн.", "шт.")

# Which variant renders a channel's message.
CHANNEL_VARIANT = {
    Channel.EMAIL: Variant.Kind.EMAIL,
    Channel.SMS: Variant.Kind.SMS,
    Channel.PORTAL: Variant.Kind.PORTAL,
    Channel.LETTER: Variant.Kind.LETTER,
}


def _add(errors: ErrorDict, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


@dataclass
class CampaignInput:
    """The master message and the audience, as typed objects (forms and the API build it)."""

    name: str
    content: dict[str, dict[str, Any]]
    facts: list[dict[str, str]] = field(default_factory=list)
    channels: list[str] = field(default_factory=lambda: [Channel.EMAIL.value])
    cta_url: str = ""
    audience: dict[str, Any] = field(default_factory=dict)
    decision_roles: list[str] = field(default_factory=list)
    respect_preference: bool = True
    case_study_ids: list[int] = field(default_factory=list)
    rate_per_second: int = 0
    follow_up_days: int = 30


def _check_facts(facts: list[dict[str, str]], errors: ErrorDict) -> None:
    for n, fact in enumerate(facts, start=1):
        if not str(fact.get("name", "")).strip():
            _add(errors, "facts", _("Fact %(n)s: give it a name (price, discount...).") % {"n": n})
        if fact.get("unit", "") not in FACT_UNITS:
            _add(
                errors,
                "facts",
                _("Fact %(n)s: the unit must be one of %(units)s.")
                % {"n": n, "units": ", ".join(u or "—" for u in FACT_UNITS)},
            )
        elif drift.fact_value(fact) is None:
            hint = _("a date as YYYY-MM-DD") if fact.get("unit") == "date" else _("a number")
            _add(
                errors,
                "facts",
                _("Fact %(n)s: the value must be %(hint)s.") % {"n": n, "hint": hint},
            )


def campaign_validate(data: CampaignInput) -> CampaignInput:
    errors: ErrorDict = {}
    data.name = " ".join(data.name.split())
    if not data.name:
        _add(errors, "name", _("Name the campaign."))
    ru = data.content.get("ru") or {}
    if not str(ru.get("subject", "")).strip():
        _add(errors, "subject_ru", _("Write the subject of the message in Russian."))
    if not [p for p in ru.get("key_points") or [] if str(p).strip()]:
        _add(errors, "key_points_ru", _("Give at least one key point."))
    en = data.content.get("en") or {}
    if any(en.values()) and not str(en.get("subject", "")).strip():
        _add(errors, "subject_en", _("The English version needs a subject too, or leave it empty."))
    _check_facts(data.facts, errors)
    bad = [c for c in data.channels if c not in SEND_CHANNELS]
    if not data.channels or bad:
        _add(errors, "channels", _("Choose channels among e-mail, SMS, portal and letter."))
    if data.cta_url:
        try:
            URLValidator(schemes=["https", "http"])(data.cta_url)
        except ValidationError:
            _add(errors, "cta_url", _("Enter a full web address starting with https://."))
    if [r for r in data.decision_roles if r not in DecisionRole.values]:
        _add(errors, "decision_roles", _("Choose roles from the list."))
    audience_rules.validate_filters(data.audience, errors)
    if data.rate_per_second > 10000:
        _add(errors, "rate_per_second", _("At most 10,000 messages per second."))
    if errors:
        raise ValidationError(errors)
    return data


def _apply(campaign: Campaign, data: CampaignInput) -> None:
    campaign.name = data.name
    campaign.content = data.content
    campaign.facts = data.facts
    campaign.channels = list(dict.fromkeys(data.channels))
    campaign.cta_url = data.cta_url
    campaign.audience = data.audience
    campaign.decision_roles = data.decision_roles
    campaign.respect_preference = data.respect_preference
    campaign.rate_per_second = data.rate_per_second
    campaign.follow_up_days = data.follow_up_days


def languages_of(campaign: Campaign) -> list[str]:
    return [lang for lang in LANGUAGES if any((campaign.content.get(lang) or {}).values())]


def _sync_variants(campaign: Campaign) -> None:
    """One variant per channel and language of the master, plus the talking points; variants of
    channels no longer used are dropped."""
    kinds = [CHANNEL_VARIANT[Channel(c)] for c in campaign.channels]
    kinds.append(Variant.Kind.TALKING_POINTS)
    wanted = {(k, lang) for k in kinds for lang in languages_of(campaign)}
    existing = {(v.kind, v.language): v for v in campaign.variants.all()}
    for key, variant in existing.items():
        if key not in wanted:
            variant.delete()
    Variant.objects.bulk_create(
        [Variant(campaign=campaign, kind=k, language=lang) for k, lang in wanted - set(existing)]
    )
    drift_check(campaign=campaign)


@transaction.atomic
def campaign_create(*, data: CampaignInput, by: User | None) -> Campaign:
    data = campaign_validate(data)
    campaign = Campaign(created_by=by)
    _apply(campaign, data)
    campaign.save()
    campaign.case_studies.set(CaseStudy.objects.filter(pk__in=data.case_study_ids))
    _sync_variants(campaign)
    audit.record(actor=by, action="campaigns.created", target=campaign, changes={"name": data.name})
    return campaign


def _ensure_editable(campaign: Campaign) -> None:
    if campaign.status not in EDITABLE:
        raise ValidationError(
            _("This campaign is %(status)s: it can no longer be changed.")
            % {"status": campaign.get_status_display()}
        )


def _back_to_draft(campaign: Campaign) -> None:
    """An edit of a scheduled campaign voids its approval, so it waits again as a draft."""
    if campaign.status == Campaign.Status.SCHEDULED:
        campaign.status = Campaign.Status.DRAFT
        campaign.save(update_fields=["status", "updated_at"])


def _audience_key(campaign: Campaign) -> str:
    return json.dumps(
        [
            campaign.audience,
            campaign.decision_roles,
            campaign.channels,
            campaign.respect_preference,
        ],
        sort_keys=True,
    )


@transaction.atomic
def campaign_update(*, campaign: Campaign, data: CampaignInput, by: User | None) -> Campaign:
    _ensure_editable(campaign)
    data = campaign_validate(data)
    before = version_hash(campaign)
    audience_before = _audience_key(campaign)
    _apply(campaign, data)
    if _audience_key(campaign) != audience_before:
        # Other filters, other people: the old list must not be sent by mistake.
        campaign.audience_built_at = None
        campaign.recipients.filter(state=CampaignRecipient.State.PENDING).delete()
    campaign.save()
    campaign.case_studies.set(CaseStudy.objects.filter(pk__in=data.case_study_ids))
    _sync_variants(campaign)
    if version_hash(campaign) != before:
        _back_to_draft(campaign)
    audit.record(
        actor=by,
        action="campaigns.updated",
        target=campaign,
        changes={"version": version_hash(campaign)[:12], "was": before[:12]},
    )
    return campaign


@transaction.atomic
def variant_update(*, variant: Variant, subject: str, body: str, by: User | None) -> Variant:
    """A hand edit of one variant; empty text goes back to the text rendered from the master."""
    campaign = variant.campaign
    _ensure_editable(campaign)
    unknown = {
        m.group(1)
        for m in rendering.PLACEHOLDER.finditer(body)
        if m.group(1) not in rendering.PLACEHOLDERS
    }
    if unknown:
        raise ValidationError(
            {
                "body": [
                    _("Unknown placeholders: %(names)s. Available: %(all)s.")
                    % {
                        "names": ", ".join(sorted(unknown)),
                        "all": ", ".join(f"[[{p}]]" for p in rendering.PLACEHOLDERS),
                    }
                ]
            }
        )
    if variant.kind == Variant.Kind.SMS and "[[cta_link]]" in body:
        raise ValidationError({"body": [_("An SMS carries no tracked link; write it as text.")]})
    default_body = rendering.default_body(campaign, variant.kind, variant.language)
    variant.subject = subject.strip()[:300]
    variant.body = "" if body.strip() == default_body.strip() else body.strip()
    variant.save(update_fields=["subject", "body"])
    drift_check(campaign=campaign)
    _back_to_draft(campaign)
    audit.record(
        actor=by,
        action="campaigns.variant_edited",
        target=campaign,
        changes={"variant": f"{variant.kind}/{variant.language}", "drift": variant.drift},
    )
    return variant


def master_text(campaign: Campaign, language: str) -> str:
    """The master's own wording in `language`: its figures are part of the master too."""
    m = campaign.master(language)
    points = m.get("key_points") or []
    parts = [m.get("subject"), *(points if isinstance(points, list) else []), m.get("conditions")]
    return "\n".join(str(p) for p in [*parts, m.get("cta")] if p)


def drift_check(*, campaign: Campaign) -> dict[int, list[dict[str, str]]]:
    """Checks every variant against the master and stores what it found on the variant."""
    now = timezone.now()
    found: dict[int, list[dict[str, str]]] = {}
    for variant in campaign.variants.all():
        text = (
            rendering.variant_subject(campaign, variant)
            + "\n"
            + rendering.variant_text(campaign, variant)
        )
        findings = drift.check(
            text, campaign.facts, variant.language, master_text(campaign, variant.language)
        )
        if variant.kind == Variant.Kind.SMS:
            # An SMS may omit facts for length, but whatever figure it gives must be right.
            findings = [f for f in findings if f["kind"] != "missing"]
        found[variant.pk] = findings
        Variant.objects.filter(pk=variant.pk).update(drift=findings, checked_at=now)
        variant.drift = findings
    return found


def version_hash(campaign: Campaign) -> str:
    variants = sorted((v.kind, v.language, v.subject, v.body) for v in campaign.variants.all())
    cases = sorted((c.pk, c.updated_at.isoformat()) for c in campaign.case_studies.all())
    payload = {
        "content": campaign.content,
        "facts": campaign.facts,
        "cta_url": campaign.cta_url,
        "channels": sorted(campaign.channels),
        "variants": variants,
        "cases": cases,
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def valid_approval(campaign: Campaign) -> Approval | None:
    """The approval of the campaign's current version, if there is one."""
    return campaign.approvals.filter(version_hash=version_hash(campaign)).first()


@transaction.atomic
def campaign_approve(
    *, campaign: Campaign, by: User, accept_drift: bool = False, comment: str = ""
) -> Approval:
    """Approves the current version. Drift blocks approval unless the approver accepts it
    explicitly (it is then kept with the approval, for the record)."""
    if not has_perm(by, Perm.CAMPAIGNS_APPROVE):
        raise PermissionDenied
    _ensure_editable(campaign)
    findings = drift_check(campaign=campaign)
    flagged = [
        {"variant": f"{v.kind}/{v.language}", **f}
        for v in campaign.variants.all()
        for f in findings.get(v.pk, [])
    ]
    if flagged and not accept_drift:
        raise ValidationError(
            _(
                "%(n)s variant figures differ from the master. Correct the variants, or accept "
                "the differences explicitly."
            )
            % {"n": len(flagged)}
        )
    approval = Approval.objects.create(
        campaign=campaign,
        version_hash=version_hash(campaign),
        approved_by=by,
        accepted_drift=flagged,
        comment=comment.strip()[:300],
    )
    audit.record(
        actor=by,
        action="campaigns.approved",
        target=campaign,
        changes={"version": approval.version_hash[:12], "accepted_drift": len(flagged)},
    )
    return approval


# --- audience -------------------------------------------------------------------------------
@transaction.atomic
def audience_build(*, campaign: Campaign, by: User | None) -> dict[str, int]:
    """(Re)builds the recipient list: one row per contact and channel, pending or excluded with
    the reason. Notes of account managers on rows that stay are kept. Only before sending."""
    if campaign.status not in {Campaign.Status.DRAFT, Campaign.Status.SCHEDULED}:
        raise ValidationError(_("The audience is fixed once sending has started."))
    if campaign.recipients.exclude(
        state__in=[CampaignRecipient.State.PENDING, CampaignRecipient.State.EXCLUDED]
    ).exists():
        raise ValidationError(_("Messages of this campaign went out already: the audience stays."))
    kept = {
        (r.contact_id, r.channel): (r.note, r.note_by_id, r.token)
        for r in campaign.recipients.exclude(note="")
    }
    campaign.recipients.all().delete()
    rows = audience_rules.recipients_for(campaign)
    for row in rows:
        key = (row.contact_id, row.channel)
        if key in kept:
            row.note, row.note_by_id, row.token = kept[key]
    CampaignRecipient.objects.bulk_create(rows, batch_size=2000)
    campaign.audience_built_at = timezone.now()
    campaign.save(update_fields=["audience_built_at", "updated_at"])
    counts = Counter(str(r.reason or r.state) for r in rows)
    audit.record(actor=by, action="campaigns.audience_built", target=campaign, changes=dict(counts))
    return dict(counts)


def check_sendable(campaign: Campaign) -> None:
    if valid_approval(campaign) is None:
        raise ValidationError(
            _("This version is not approved: an approver must approve it before it is sent.")
        )
    if campaign.audience_built_at is None:
        raise ValidationError(_("Build the audience first."))


@transaction.atomic
def campaign_schedule(
    *, campaign: Campaign, send_at: dt.datetime | None = None, by: User | None
) -> Campaign:
    """Schedules the approved campaign (now when `send_at` is empty); the periodic job or the
    task queued here sends it."""
    from .tasks import send_campaign_task

    _ensure_editable(campaign)
    check_sendable(campaign)
    campaign.send_at = send_at or timezone.now()
    campaign.status = Campaign.Status.SCHEDULED
    campaign.save(update_fields=["send_at", "status", "updated_at"])
    audit.record(
        actor=by, action="campaigns.scheduled", target=campaign, changes={"send_at": send_at}
    )
    if campaign.send_at <= timezone.now():
        send_campaign_task.enqueue(campaign_id=campaign.pk)
    return campaign


@transaction.atomic
def campaign_pause(*, campaign: Campaign, by: User | None) -> Campaign:
    if campaign.status not in {Campaign.Status.SCHEDULED, Campaign.Status.SENDING}:
        raise ValidationError(_("Only a scheduled or sending campaign can be paused."))
    campaign.status = Campaign.Status.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    audit.record(actor=by, action="campaigns.paused", target=campaign)
    return campaign


@transaction.atomic
def campaign_resend_unknown(*, campaign: Campaign, by: User | None) -> int:
    """Puts the rows left "unknown" by a crash back in the queue, at a person's explicit
    request: they may have been delivered already, so this may send a message twice."""
    count = campaign.recipients.filter(state=CampaignRecipient.State.UNKNOWN).update(
        state=CampaignRecipient.State.PENDING, claim_id="", claimed_at=None, error=""
    )
    if count and campaign.status == Campaign.Status.DONE:
        campaign.status = Campaign.Status.PAUSED
        campaign.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=by, action="campaigns.unknown_requeued", target=campaign, changes={"rows": count}
    )
    return count


# --- the account manager --------------------------------------------------------------------
@transaction.atomic
def recipient_note(*, recipient: CampaignRecipient, note: str, by: User) -> CampaignRecipient:
    """The account manager's personal note, added to a send that has not gone out yet. Only the
    manager of the client's company may write it; its figures must agree with the master."""
    if recipient.company.account_manager_id != by.pk:
        raise PermissionDenied
    if recipient.state not in {CampaignRecipient.State.PENDING}:
        raise ValidationError(_("This message has already gone out; the note can't be added."))
    note = note.strip()
    if len(note) > 1000:
        raise ValidationError({"note": [_("Keep the note under 1,000 characters.")]})
    campaign = recipient.campaign
    stray = [
        f["found"]
        for f in drift.check(
            note, campaign.facts, recipient.language, master_text(campaign, recipient.language)
        )
        if f["kind"] != "missing"
    ]
    if stray:
        raise ValidationError(
            {
                "note": [
                    _(
                        "The note gives figures the approved message does not have: %(f)s. "
                        "Remove them or ask the marketer to change the campaign."
                    )
                    % {"f": ", ".join(stray)}
                ]
            }
        )
    recipient.note = note
    recipient.note_by = by
    recipient.save(update_fields=["note", "note_by"])
    audit.record(
        actor=by,
        action="campaigns.note_added",
        target=recipient.contact,
        changes={"campaign": campaign.pk, "channel": recipient.channel},
    )
    return recipient


# --- what recipients do ---------------------------------------------------------------------
def _follow_up(recipient: CampaignRecipient, title: str, source: str) -> None:
    company = recipient.company
    already = Todo.objects.filter(source=source, done_at__isnull=True).exists()
    if company.account_manager_id is None or already:
        return
    client_services.todo_create(
        company=company,
        kind=Todo.Kind.FOLLOW_UP,
        title=title,
        contact=recipient.contact,
        due_on=timezone.localdate() + dt.timedelta(days=2),
        source=source,
        by=None,
    )


def track_open(*, token: str) -> None:
    CampaignRecipient.objects.filter(token=token, opened_at__isnull=True).update(
        opened_at=timezone.now()
    )


@transaction.atomic
def track_click(*, token: str, index: int) -> str | None:
    """The address behind link `index` of the recipient's campaign, or None: only links of the
    message itself are followed (no open redirect). The first click is a response: the account
    manager gets a follow-up to-do."""
    recipient = (
        CampaignRecipient.objects.select_related("campaign", "company", "contact")
        .filter(token=token)
        .first()
    )
    if recipient is None:
        return None
    links = recipient.campaign.links()
    if not 0 <= index < len(links):
        return None
    now = timezone.now()
    first = recipient.clicked_at is None
    CampaignRecipient.objects.filter(pk=recipient.pk, clicked_at__isnull=True).update(
        clicked_at=now
    )
    CampaignRecipient.objects.filter(pk=recipient.pk, opened_at__isnull=True).update(opened_at=now)
    if first:
        _follow_up(
            recipient,
            _("%(name)s opened the offer of “%(campaign)s”: follow up")
            % {"name": recipient.contact.full_name, "campaign": recipient.campaign.name},
            f"campaigns.click:{recipient.pk}",
        )
    return links[index]


@transaction.atomic
def unsubscribe(*, token: str) -> CampaignRecipient | None:
    """Withdraws the person's marketing consent for the recipient's channel, at once.

    A consent for every channel is withdrawn too: it covered this channel, and keeping it would
    keep the person subscribed. Pending sends to the person on that channel, in every campaign,
    are excluded in the same transaction."""
    recipient = (
        CampaignRecipient.objects.select_related("contact", "campaign", "company")
        .filter(token=token)
        .first()
    )
    if recipient is None:
        return None
    consents = Consent.objects.filter(
        contact_id=recipient.contact_id,
        purpose=ConsentPurpose.MARKETING,
        channel__in=["", recipient.channel],
        withdrawn_at__isnull=True,
    )
    for consent in consents:
        client_services.consent_withdraw(consent=consent, source=Consent.Source.EMAIL, by=None)
    now = timezone.now()
    if recipient.unsubscribed_at is None:
        recipient.unsubscribed_at = now
        recipient.save(update_fields=["unsubscribed_at"])
    CampaignRecipient.objects.filter(
        contact_id=recipient.contact_id,
        channel=recipient.channel,
        state=CampaignRecipient.State.PENDING,
    ).update(state=CampaignRecipient.State.EXCLUDED, reason=ExclusionReason.WITHDRAWN)
    audit.record(
        actor=None,
        action="campaigns.unsubscribed",
        target=recipient.contact,
        changes={"campaign": recipient.campaign_id, "channel": recipient.channel},
    )
    return recipient


@transaction.atomic
def recipient_replied(
    *, recipient: CampaignRecipient, summary: str = "", by: User | None = None
) -> CampaignRecipient:
    """A reply to a campaign message (recorded by staff, or by mail ingestion through
    `reply_from_message_id`): on the timeline, and a follow-up to-do for the manager."""
    if recipient.replied_at is not None:
        return recipient
    recipient.replied_at = timezone.now()
    recipient.save(update_fields=["replied_at"])
    client_services.interaction_record(
        company=recipient.company,
        contact=recipient.contact,
        channel=recipient.channel if recipient.channel in Channel.values else Channel.EMAIL,
        direction=Interaction.Direction.INBOUND,
        subject=_("Reply to “%(campaign)s”") % {"campaign": recipient.campaign.name},
        summary=summary,
        staff=by,
        source=f"campaigns.reply:{recipient.pk}",
    )
    _follow_up(
        recipient,
        _("%(name)s replied to “%(campaign)s”: answer")
        % {"name": recipient.contact.full_name, "campaign": recipient.campaign.name},
        f"campaigns.reply:{recipient.pk}",
    )
    return recipient


def reply_from_message_id(*, in_reply_to: str, summary: str = "") -> CampaignRecipient | None:
    """For mail ingestion: a message whose In-Reply-To names a campaign e-mail."""
    recipient = (
        CampaignRecipient.objects.select_related("campaign", "company", "contact")
        .filter(message_id=in_reply_to.strip())
        .first()
    )
    if recipient is not None:
        recipient_replied(recipient=recipient, summary=summary)
    return recipient


# --- case studies ---------------------------------------------------------------------------
@dataclass
class CaseStudyInput:
    title_ru: str
    body_ru: str
    title_en: str = ""
    body_en: str = ""
    sections: str = ""
    industry_ids: list[int] = field(default_factory=list)
    offering_ids: list[int] = field(default_factory=list)
    is_active: bool = True


@transaction.atomic
def case_study_save(
    *, data: CaseStudyInput, by: User | None, case: CaseStudy | None = None
) -> CaseStudy:
    errors: ErrorDict = {}
    if not data.title_ru.strip():
        _add(errors, "title_ru", _("Give the case a title."))
    if not drift.extract_figures(data.body_ru, "ru"):
        _add(errors, "body_ru", _("A case study needs figures: savings, volume, time."))
    sections = ",".join(s.strip().upper() for s in data.sections.split(",") if s.strip())
    if any(len(s) != 1 or not s.isalpha() for s in sections.split(",") if s):
        _add(errors, "sections", _("OKVED sections are single letters: C, G, J."))
    if errors:
        raise ValidationError(errors)
    case = case or CaseStudy()
    case.title_ru, case.title_en = data.title_ru.strip(), data.title_en.strip()
    case.body_ru, case.body_en = data.body_ru.strip(), data.body_en.strip()
    case.sections = sections
    case.is_active = data.is_active
    case.save()
    case.industries.set(data.industry_ids)
    case.offerings.set(data.offering_ids)
    audit.record(actor=by, action="campaigns.case_study_saved", target=case)
    return case
