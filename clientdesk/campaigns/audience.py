"""Who gets a campaign, and why everyone else does not.

Companies come from the segments domain (`segments.selectors.companies_in`: ABC/XYZ, RFM,
lifecycle, at-risk, a saved rule segment). Every contact of those companies becomes one row per
campaign channel, pending or excluded with the first reason that applies, in this order:

1. erased — personal data erased (152-FZ): never contacted again;
2. left_company — no longer works there;
3. role — a role filter is set and the contact's role in decisions is not in it;
4. withdrawn / no_consent — no marketing consent in force for the channel (a general consent
   covers every channel); "withdrawn" when one existed and was withdrawn;
5. opted_out — the person switched newsletters off in the client portal (any active account
   of theirs says so: the strictest wins, as for the portal's own notices);
6. no_address — no e-mail for e-mail, no phone for SMS, no postal or legal address for a letter
   (the portal needs none: the notice waits in the client's portal);
7. preference — with "only the preferred channel", a contact whose preferred channel is among
   the campaign's channels and is itself eligible gets the message there only;
8. duplicate — the same address already gets this campaign on this channel (shared mailboxes).

A contact's language picks the variant; without a variant in that language the Russian one is
used. Everything is done in a few queries, whatever the size of the audience.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from clientdesk.clients.models import Channel, Company, Consent, ConsentPurpose, Contact
from clientdesk.portal.selectors import newsletters_refused
from clientdesk.segments import selectors as segment_selectors
from clientdesk.segments.models import RuleSegment

from .models import Campaign, CampaignRecipient, ExclusionReason

FILTER_KEYS = ("abc", "xyz", "rfm_segment", "lifecycle", "at_risk", "rule_segment")
SEGMENT_CHUNK = 5000


def validate_filters(audience: dict[str, Any], errors: dict[str, list[str]]) -> None:
    unknown = set(audience) - set(FILTER_KEYS)
    if unknown:
        errors.setdefault("audience", []).append(
            _("Unknown audience filters: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    rule = audience.get("rule_segment")
    if rule is not None and not RuleSegment.objects.filter(pk=rule).exists():
        errors.setdefault("audience", []).append(_("The chosen rule segment no longer exists."))


def audience_companies(campaign: Campaign) -> QuerySet[Company]:
    """Adapter over the segments domain: the campaign's filters as `companies_in` arguments."""
    filters = {k: v for k, v in (campaign.audience or {}).items() if k in FILTER_KEYS}
    if filters.get("rule_segment") is not None:
        filters["rule_segment"] = int(filters["rule_segment"])
    return segment_selectors.companies_in(**filters)


def _consent_exists(channel: str, *, withdrawn: bool) -> Exists:
    return Exists(
        Consent.objects.filter(
            contact=OuterRef("pk"),
            purpose=ConsentPurpose.MARKETING,
            channel__in=["", channel],
            withdrawn_at__isnull=not withdrawn,
        )
    )


def _address(row: dict[str, Any], channel: str) -> str:
    if channel == Channel.EMAIL:
        return str(row["email"] or "").strip().lower()
    if channel == Channel.SMS:
        return str(row["phone"] or "").strip()
    if channel == Channel.LETTER:
        return str(row["company__postal_address"] or row["company__legal_address"] or "")[:254]
    return f"portal:{row['company_id']}"


def _segment_labels(company_ids: list[int]) -> dict[int, str]:
    labels: dict[int, str] = {}
    for start in range(0, len(company_ids), SEGMENT_CHUNK):
        chunk = company_ids[start : start + SEGMENT_CHUNK]
        for company_id, seg in segment_selectors.segments_for(chunk).items():
            labels[company_id] = seg.cell if seg.abc else (seg.rfm_segment or "")
    return labels


def _first_reason(row: dict[str, Any], channel: str, roles: set[str]) -> str:
    if row["erased_at"] is not None:
        return ExclusionReason.ERASED
    if row["left_company"]:
        return ExclusionReason.LEFT_COMPANY
    if roles and row["decision_role"] not in roles:
        return ExclusionReason.ROLE
    if not row[f"ok_{channel}"]:
        return ExclusionReason.WITHDRAWN if row[f"gone_{channel}"] else ExclusionReason.NO_CONSENT
    if row["newsletters_off"]:
        return ExclusionReason.OPTED_OUT
    if not _address(row, channel):
        return ExclusionReason.NO_ADDRESS
    return ""


def recipients_for(campaign: Campaign) -> list[CampaignRecipient]:
    """Unsaved recipient rows for the campaign, excluded ones with their reason."""
    channels = [str(c) for c in campaign.channels]
    annotations: dict[str, Any] = {
        "newsletters_off": Exists(newsletters_refused().filter(contact=OuterRef("pk")))
    }
    for channel in channels:
        annotations[f"ok_{channel}"] = _consent_exists(channel, withdrawn=False)
        annotations[f"gone_{channel}"] = _consent_exists(channel, withdrawn=True)
    contacts = (
        Contact.objects.filter(company__in=audience_companies(campaign))
        .annotate(**annotations)
        .order_by("company_id", "id")
        .values(
            "id",
            "company_id",
            "email",
            "phone",
            "language",
            "preferred_channel",
            "decision_role",
            "left_company",
            "erased_at",
            "company__postal_address",
            "company__legal_address",
            *annotations,
        )
    )
    rows = list(contacts.iterator(chunk_size=5000))
    labels = _segment_labels(sorted({r["company_id"] for r in rows}))
    languages = {lang for lang in ("ru", "en") if any((campaign.content.get(lang) or {}).values())}
    roles = set(campaign.decision_roles or [])
    seen: set[tuple[str, str]] = set()
    out: list[CampaignRecipient] = []
    for row in rows:
        reasons = {ch: _first_reason(row, ch, roles) for ch in channels}
        preferred = row["preferred_channel"]
        honour = campaign.respect_preference and preferred in channels and not reasons[preferred]
        language = row["language"] if row["language"] in languages else "ru"
        for channel in channels:
            reason = reasons[channel]
            if not reason and honour and channel != preferred:
                reason = ExclusionReason.PREFERENCE
            address = _address(row, channel) if row["erased_at"] is None else ""
            if not reason and channel != Channel.PORTAL and address:
                if (channel, address) in seen:
                    reason = ExclusionReason.DUPLICATE
                else:
                    seen.add((channel, address))
            out.append(
                CampaignRecipient(
                    campaign=campaign,
                    contact_id=row["id"],
                    company_id=row["company_id"],
                    channel=channel,
                    language=language,
                    address=address,
                    segment=labels.get(row["company_id"], ""),
                    state=CampaignRecipient.State.EXCLUDED
                    if reason
                    else CampaignRecipient.State.PENDING,
                    reason=reason,
                )
            )
    return out
