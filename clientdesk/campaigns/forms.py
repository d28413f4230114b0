"""Forms of the campaign pages. They only parse input into the services' typed inputs; the rules
live in the services, whose ValidationErrors the views put back on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import DecisionRole, Industry, Offering
from clientdesk.segments.models import Lifecycle, RfmSegment, RuleSegment

from .models import SEND_CHANNELS, Campaign, CaseStudy
from .services import CampaignInput, CaseStudyInput

CHANNEL_CHOICES = [(c.value, c.label) for c in SEND_CHANNELS]
BLANK = [("", "—")]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def facts_to_text(facts: list[dict[str, str]]) -> str:
    return "\n".join(
        " | ".join([f.get("name", ""), f.get("value", ""), f.get("unit", ""), f.get("name_en", "")])
        for f in facts
    )


def text_to_facts(text: str) -> list[dict[str, str]]:
    facts = []
    for line in _lines(text):
        parts = [p.strip() for p in line.split("|")] + ["", "", ""]
        facts.append({"name": parts[0], "value": parts[1], "unit": parts[2], "name_en": parts[3]})
    return facts


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    subject_ru = forms.CharField(label=_("Subject (Russian)"), max_length=300)
    key_points_ru = forms.CharField(
        label=_("Key points (Russian)"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One point per line."),
    )  # fmt: skip
    conditions_ru = forms.CharField(
        label=_("Conditions (Russian)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cta_ru = forms.CharField(label=_("Call to action (Russian)"), max_length=300, required=False)
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=300, required=False)
    key_points_en = forms.CharField(
        label=_("Key points (English)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    conditions_en = forms.CharField(
        label=_("Conditions (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cta_en = forms.CharField(label=_("Call to action (English)"), max_length=300, required=False)
    facts = forms.CharField(
        label=_("Facts and figures"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: name | value | unit | English name. Units: RUB, %, date (value as "
            "YYYY-MM-DD), мес., дн., шт. or none. Every variant must carry these exact figures."
        ),
    )  # fmt: skip
    cta_url = forms.URLField(label=_("Call-to-action link"), required=False, assume_scheme="https")
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=CHANNEL_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    respect_preference = forms.BooleanField(
        label=_("Only the contact's preferred channel, when the campaign uses it"), required=False
    )
    rule_segment = forms.ModelChoiceField(
        label=_("Rule segment"), queryset=RuleSegment.objects.none(), required=False
    )
    abc = forms.ChoiceField(label="ABC", choices=BLANK + [(c, c) for c in "ABC"], required=False)
    xyz = forms.ChoiceField(label="XYZ", choices=BLANK + [(c, c) for c in "XYZ"], required=False)
    rfm_segment = forms.ChoiceField(
        label=_("RFM segment"), choices=BLANK + list(RfmSegment.choices), required=False
    )
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle"), choices=BLANK + list(Lifecycle.choices), required=False
    )
    decision_roles = forms.MultipleChoiceField(
        label=_("Only these roles in decisions"), choices=DecisionRole.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None chosen: every role."),
    )  # fmt: skip
    case_studies = forms.ModelMultipleChoiceField(
        label=_("Case studies"), queryset=CaseStudy.objects.filter(is_active=True),
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Each recipient gets the one closest to their industry."),
    )  # fmt: skip
    rate_per_second = forms.IntegerField(label=_("Messages per second"), min_value=0, initial=0)
    follow_up_days = forms.IntegerField(
        label=_("Results window, days"), min_value=1, max_value=365, initial=30
    )

    def __init__(self, *args: Any, segments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if segments is not None:
            self.fields["rule_segment"].queryset = segments  # type: ignore[attr-defined]

    @classmethod
    def initial_from(cls, campaign: Campaign) -> dict[str, Any]:
        ru, en = campaign.content.get("ru") or {}, campaign.content.get("en") or {}
        return {
            "name": campaign.name,
            "subject_ru": ru.get("subject", ""),
            "key_points_ru": "\n".join(ru.get("key_points") or []),
            "conditions_ru": ru.get("conditions", ""),
            "cta_ru": ru.get("cta", ""),
            "subject_en": en.get("subject", ""),
            "key_points_en": "\n".join(en.get("key_points") or []),
            "conditions_en": en.get("conditions", ""),
            "cta_en": en.get("cta", ""),
            "facts": facts_to_text(campaign.facts),
            "cta_url": campaign.cta_url,
            "channels": campaign.channels,
            "respect_preference": campaign.respect_preference,
            "rule_segment": campaign.audience.get("rule_segment"),
            **{k: campaign.audience.get(k, "") for k in ("abc", "xyz", "rfm_segment", "lifecycle")},
            "decision_roles": campaign.decision_roles,
            "case_studies": list(campaign.case_studies.values_list("pk", flat=True)),
            "rate_per_second": campaign.rate_per_second,
            "follow_up_days": campaign.follow_up_days,
        }

    def to_input(self) -> CampaignInput:
        d = self.cleaned_data

        def lang(code: str) -> dict[str, Any]:
            return {
                "subject": d[f"subject_{code}"].strip(),
                "key_points": _lines(d[f"key_points_{code}"]),
                "conditions": d[f"conditions_{code}"].strip(),
                "cta": d[f"cta_{code}"].strip(),
            }

        en = lang("en")
        audience: dict[str, Any] = {
            k: d[k] for k in ("abc", "xyz", "rfm_segment", "lifecycle") if d.get(k)
        }
        if d.get("rule_segment"):
            audience["rule_segment"] = d["rule_segment"].pk
        return CampaignInput(
            name=d["name"],
            content={"ru": lang("ru"), **({"en": en} if any(en.values()) else {})},
            facts=text_to_facts(d["facts"]),
            channels=list(d["channels"]),
            cta_url=d["cta_url"],
            audience=audience,
            decision_roles=list(d["decision_roles"]),
            respect_preference=d["respect_preference"],
            case_study_ids=[c.pk for c in d["case_studies"]],
            rate_per_second=d["rate_per_second"] or 0,
            follow_up_days=d["follow_up_days"] or 30,
        )


class VariantForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"), max_length=300, required=False,
        help_text=_("Empty: the master's subject."),
    )  # fmt: skip
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Placeholders: [[salutation]], [[name_dative]], [[position]], [[company]], "
            "[[client_figures]], [[case_study]], [[note]], [[signature]], [[cta_link]]. "
            "Empty: the text rendered from the master."
        ),
    )  # fmt: skip


class ApproveForm(forms.Form):
    accept_drift = forms.BooleanField(
        label=_("I accept the differences from the master listed above"), required=False
    )
    comment = forms.CharField(label=_("Comment"), max_length=300, required=False)


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: now."),
    )  # fmt: skip


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Personal note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReplyForm(forms.Form):
    summary = forms.CharField(
        label=_("What the client answered"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CaseStudyForm(forms.Form):
    title_ru = forms.CharField(label=_("Title (Russian)"), max_length=200)
    body_ru = forms.CharField(label=_("Text (Russian)"), widget=forms.Textarea(attrs={"rows": 5}))
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Text (English)"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    industries = forms.ModelMultipleChoiceField(
        label=_("Industries"), queryset=Industry.objects.all(), required=False
    )
    sections = forms.CharField(
        label=_("OKVED sections"), max_length=40, required=False,
        help_text=_("Letters separated by commas: C, G."),
    )  # fmt: skip
    offerings = forms.ModelMultipleChoiceField(
        label=_("Services"), queryset=Offering.objects.all(), required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def to_input(self) -> CaseStudyInput:
        d = self.cleaned_data
        return CaseStudyInput(
            title_ru=d["title_ru"],
            body_ru=d["body_ru"],
            title_en=d["title_en"],
            body_en=d["body_en"],
            sections=d["sections"],
            industry_ids=[i.pk for i in d["industries"]],
            offering_ids=[o.pk for o in d["offerings"]],
            is_active=d["is_active"],
        )
