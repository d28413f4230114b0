"""Rendering the master into channel variants, and a variant for one recipient.

A variant's text is a template with placeholders in double brackets, filled per recipient:
[[salutation]], [[name_dative]], [[position]], [[company]], [[client_figures]] (services the
client uses and its volume over twelve months), [[case_study]] (the case that fits the client's
industry best), [[note]] (the account manager's personal note), [[signature]] (the account
manager's), [[cta_link]]. Plain substitution rather than the Django template language: a
marketer's hand edit cannot run code or reach objects, and 100,000 renders stay cheap.

The default template of each channel takes everything from the master, so a variant that no one
edited carries the master's facts by construction; the drift check is for edited ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.html import escape

from clientdesk.clients.models import Company, Contact, Contract, RevenueRecord

from . import drift, names
from .models import Campaign, CaseStudy, Variant

PLACEHOLDER = re.compile(r"\[\[(\w+)\]\]")
PLACEHOLDERS = (
    "salutation", "name_dative", "full_name", "position", "decision_role", "company",
    "client_figures", "case_study", "note", "signature", "cta_link",
)  # fmt: skip
SMS_GSM_LIMIT, SMS_GSM_PART = 160, 153
SMS_UCS_LIMIT, SMS_UCS_PART = 70, 67
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

LABELS = {
    "ru": {
        "facts": "Ключевые условия",
        "conditions": "Условия",
        "case": "Пример из практики",
        "talking": "Тезисы для разговора",
        "contact": "Собеседник",
        "role": "Роль в решении",
        "points": "Главное",
        "ask": "Что предложить",
        "client": "Клиент",
        "unsubscribe": "Отписаться от рассылки",
        "services": "Вы пользуетесь нашими услугами: {services}.",
        "volume": "Объём за последние 12 месяцев: {volume}.",
        "regards": "С уважением,",
        "team": "Команда {sender}",
    },
    "en": {
        "facts": "Key terms",
        "conditions": "Conditions",
        "case": "A case from practice",
        "talking": "Talking points",
        "contact": "Contact",
        "role": "Role in decisions",
        "points": "Key points",
        "ask": "What to propose",
        "client": "Client",
        "unsubscribe": "Unsubscribe",
        "services": "You use our services: {services}.",
        "volume": "Your volume over the last 12 months: {volume}.",
        "regards": "Yours sincerely,",
        "team": "The {sender} team",
    },
}


def _label(language: str, key: str) -> str:
    return LABELS["en" if language == "en" else "ru"][key]


def _facts_lines(campaign: Campaign, language: str) -> list[str]:
    return [
        f"- {drift.fact_label(f, language)}: {drift.format_fact(f, language)}"
        for f in campaign.facts
    ]


def _master(campaign: Campaign, language: str) -> dict[str, Any]:
    return dict(campaign.master(language))


def default_subject(campaign: Campaign, language: str) -> str:
    return str(_master(campaign, language).get("subject") or campaign.name)


def default_body(campaign: Campaign, kind: str, language: str) -> str:
    """The channel's template, filled from the master (placeholders stay for personalisation)."""
    m = _master(campaign, language)
    points = [f"- {p}" for p in m.get("key_points") or []]
    conditions = str(m.get("conditions") or "")
    cta = str(m.get("cta") or "")
    facts = _facts_lines(campaign, language)
    if kind == Variant.Kind.SMS:
        compact = "; ".join(
            f"{drift.fact_label(f, language)} {drift.format_fact(f, language)}"
            for f in campaign.facts
        )
        return " ".join(p for p in (str(m.get("subject") or ""), compact, cta) if p).strip()
    if kind == Variant.Kind.PORTAL:
        return "\n\n".join(p for p in ("\n".join(points), "\n".join(facts), conditions, cta) if p)
    if kind == Variant.Kind.TALKING_POINTS:
        return "\n\n".join(
            p
            for p in (
                f"{_label(language, 'contact')}: [[full_name]], [[position]], [[company]]",
                f"{_label(language, 'role')}: [[decision_role]]",
                "[[client_figures]]",
                _label(language, "points") + ":\n" + "\n".join(points),
                _label(language, "facts") + ":\n" + "\n".join(facts),
                conditions,
                "[[case_study]]",
                f"{_label(language, 'ask')}: {cta}",
                "[[note]]",
            )
            if p
        )
    parts = [
        "[[salutation]]",
        "\n".join(points),
        _label(language, "facts") + ":\n" + "\n".join(facts) if facts else "",
        conditions,
        "[[client_figures]]",
        "[[case_study]]",
        f"{cta}\n[[cta_link]]" if cta else "[[cta_link]]",
        "[[note]]",
        "[[signature]]",
    ]
    return "\n\n".join(p for p in parts if p)


def variant_text(campaign: Campaign, variant: Variant) -> str:
    return variant.body or default_body(campaign, variant.kind, variant.language)


def variant_subject(campaign: Campaign, variant: Variant) -> str:
    return variant.subject or default_subject(campaign, variant.language)


# --- personal data --------------------------------------------------------------------------
@dataclass
class ClientFigures:
    services: list[str] = field(default_factory=list)
    volume: Decimal | None = None


def client_figures(company_ids: Iterable[int], language: str = "ru") -> dict[int, ClientFigures]:
    """The figures each client is shown about itself, in two queries whatever the number."""
    ids = list(set(company_ids))
    out: dict[int, ClientFigures] = defaultdict(ClientFigures)
    since = timezone.localdate() - dt.timedelta(days=365)
    for row in (
        RevenueRecord.objects.filter(company_id__in=ids, date__gte=since)
        .values("company_id")
        .annotate(total=Sum("amount_base"))
    ):
        out[row["company_id"]].volume = row["total"]
    for company_id, name, name_en in (
        Contract.objects.filter(company_id__in=ids, status=Contract.Status.ACTIVE)
        .values_list("company_id", "offerings__name", "offerings__name_en")
        .distinct()
    ):
        label = (name_en if language == "en" else "") or name
        if label and label not in out[company_id].services:
            out[company_id].services.append(label)
    return out


def figures_text(figures: ClientFigures | None, language: str) -> str:
    if figures is None:
        return ""
    lines = []
    if figures.services:
        lines.append(_label(language, "services").format(services=", ".join(figures.services)))
    if figures.volume:
        volume = drift.format_fact({"value": str(figures.volume), "unit": "RUB"}, language)
        lines.append(_label(language, "volume").format(volume=volume))
    return " ".join(lines)


def pick_case_study(
    cases: list[CaseStudy], company: Company, offering_ids: set[int] | None = None
) -> CaseStudy | None:
    """The case closest to the client: same industry class, then same OKVED section, then a
    shared service, then a case with no industry at all (fits anyone). None when nothing fits:
    a case from a foreign industry persuades nobody."""
    industry = company.industry
    best: tuple[int, CaseStudy] | None = None
    for case in cases:
        industry_ids = {i.pk for i in case.industries.all()}
        sections = {s.strip().upper() for s in case.sections.split(",") if s.strip()}
        score = 0
        if industry is not None and industry.pk in industry_ids:
            score = 4
        elif industry is not None and industry.section.upper() in sections:
            score = 3
        elif offering_ids and offering_ids & {o.pk for o in case.offerings.all()}:
            score = 2
        elif not industry_ids and not sections:
            score = 1
        if score and (best is None or score > best[0]):
            best = (score, case)
    return best[1] if best else None


def signature(manager: Any, language: str) -> str:
    sender = getattr(settings, "CAMPAIGNS_SENDER_NAME", "clientdesk")
    lines = [_label(language, "regards")]
    if manager is not None:
        name = " ".join(
            p
            for p in (
                manager.first_name,
                getattr(manager, "patronymic", "") if language != "en" else "",
                manager.last_name,
            )
            if p
        )
        lines.append(name)
        if getattr(manager, "position", ""):
            lines.append(manager.position)
        contacts = ", ".join(p for p in (getattr(manager, "phone", ""), manager.email) if p)
        if contacts:
            lines.append(contacts)
        lines.append(sender)
    else:
        lines.append(_label(language, "team").format(sender=sender))
    return "\n".join(lines)


@dataclass
class Personal:
    values: dict[str, str]


def personal_for(
    contact: Contact,
    *,
    language: str,
    figures: ClientFigures | None = None,
    case: CaseStudy | None = None,
    note: str = "",
    cta_link: str = "",
) -> Personal:
    company = contact.company
    gender = contact.gender or names.guess_gender(contact.first_name, contact.patronymic)
    case_text = (
        f"{_label(language, 'case')}: {case.title(language)}\n{case.body(language)}" if case else ""
    )
    return Personal(
        {
            "salutation": names.salutation(
                first_name=contact.first_name,
                patronymic=contact.patronymic,
                last_name=contact.last_name,
                gender=gender,
                language=language,
            ),
            "name_dative": names.name_in_case(
                contact.last_name, contact.first_name, contact.patronymic, gender, "datv", "fp"
            )
            if language == "ru"
            else contact.full_name,
            "full_name": contact.full_name,
            "position": contact.position,
            "decision_role": contact.get_decision_role_display() or "—",
            "company": company.display_name,
            "client_figures": figures_text(figures, language),
            "case_study": case_text,
            "note": note,
            "signature": signature(company.account_manager, language),
            "cta_link": cta_link,
        }
    )


def fill(text: str, personal: Personal) -> str:
    """The template with placeholders replaced; empty ones leave no blank paragraphs behind."""
    filled = PLACEHOLDER.sub(lambda m: personal.values.get(m.group(1), ""), text)
    return re.sub(r"\n{3,}", "\n\n", filled).strip()


def text_to_html(text: str, *, links: dict[str, str] | None = None, footer: str = "") -> str:
    """Paragraphs and '- ' bullet lists of a plain text as HTML; every URL in `links` becomes a
    link (the click-tracking address)."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{escape(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append("<p>" + "<br>".join(escape(line) for line in lines) + "</p>")
    html = "\n".join(blocks)
    for url, label in (links or {}).items():
        html = html.replace(escape(url), f'<a href="{escape(url)}">{escape(label)}</a>')
    return (
        '<!doctype html><html><body style="font-family:Arial,sans-serif;font-size:14px;'
        f'color:#1d2430;max-width:640px">{html}{footer}</body></html>'
    )


def sms_segments(text: str) -> tuple[int, str]:
    """(number of SMS parts, encoding): GSM-7 when every character fits, else UCS-2."""
    if set(text) <= _GSM7:
        limit, part, encoding = SMS_GSM_LIMIT, SMS_GSM_PART, "GSM-7"
    else:
        limit, part, encoding = SMS_UCS_LIMIT, SMS_UCS_PART, "UCS-2"
    if len(text) <= limit:
        return 1, encoding
    return -(-len(text) // part), encoding
