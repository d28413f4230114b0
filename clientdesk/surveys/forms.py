"""Staff forms: they turn posted text into the typed inputs the services take."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import DecisionRole, SizeBand
from clientdesk.segments.models import RuleSegment

from . import services
from .models import QuestionKind, QuestionRole, ServqualDimension, Survey, SurveyKind


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = services.SURVEY_FIELDS
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 3}),
            "intro_en": forms.Textarea(attrs={"rows": 3}),
            "goal": forms.Textarea(attrs={"rows": 3}),
        }

    def to_input(self) -> services.SurveyInput:
        return services.SurveyInput(**{f: self.cleaned_data[f] for f in services.SURVEY_FIELDS})


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=500)
    text_en = forms.CharField(label=_("Question (English)"), max_length=500, required=False)
    code = forms.SlugField(
        label=_("Code"), max_length=20, required=False, help_text=_("Left empty: Q1, Q2...")
    )
    page = forms.IntegerField(label=_("Page"), min_value=1, max_value=50, initial=1)
    choices = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line; “Russian | English” gives both versions."),
    )
    rows = forms.CharField(
        label=_("Matrix rows"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, as options."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    role = forms.ChoiceField(
        label=_("Role in analysis"), choices=QuestionRole.choices, required=False
    )
    attribute = forms.CharField(label=_("Service attribute"), max_length=100, required=False)
    dimension = forms.ChoiceField(
        label=_("SERVQUAL dimension"),
        choices=[("", "—"), *ServqualDimension.choices],
        required=False,
    )
    scale = forms.CharField(label=_("Multi-item scale"), max_length=60, required=False)
    show_if_question = forms.CharField(
        label=_("Show only if question (code)"), max_length=20, required=False
    )
    show_if_op = forms.ChoiceField(
        label=_("comparison"),
        required=False,
        choices=[
            ("", "—"),
            ("<=", "≤"),
            ("<", "<"),
            ("=", "="),
            ("!=", "≠"),
            (">=", "≥"),
            (">", ">"),
            ("contains", _("includes option")),
        ],
    )
    show_if_value = forms.IntegerField(label=_("value"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("show_if_question") and (
            not data.get("show_if_op") or data.get("show_if_value") is None
        ):
            raise forms.ValidationError(
                _("A condition needs a question code, a comparison and a value.")
            )
        return data

    def to_input(self) -> services.QuestionInput:
        d = self.cleaned_data
        show_if = None
        if d.get("show_if_question"):
            show_if = {
                "question": d["show_if_question"],
                "op": d["show_if_op"],
                "value": d["show_if_value"],
            }
        return services.QuestionInput(
            kind=d["kind"],
            text=d["text"],
            text_en=d.get("text_en", ""),
            code=d.get("code", ""),
            page=d.get("page") or 1,
            choices=services.parse_options(d.get("choices", "")),
            rows=services.parse_options(d.get("rows", "")),
            required=bool(d.get("required")),
            role=d.get("role", ""),
            attribute=d.get("attribute", ""),
            dimension=d.get("dimension", ""),
            scale=d.get("scale", ""),
            show_if=show_if,
        )


class IpaForm(forms.Form):
    attribute = forms.CharField(label=_("Service attribute"), max_length=100)
    attribute_en = forms.CharField(label=_("In English"), max_length=100, required=False)
    page = forms.IntegerField(label=_("Page"), min_value=1, initial=1)


class AudienceForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("email", _("E-mail")), ("portal", _("Client portal"))]
    )
    rule_segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=RuleSegment.objects.none(),
        required=False,
        empty_label=_("All companies"),
    )
    abc = forms.ChoiceField(
        label=_("ABC class"),
        required=False,
        choices=[("", "—"), ("A", "A"), ("B", "B"), ("C", "C")],
    )
    roles = forms.MultipleChoiceField(
        label=_("Role in decisions"),
        choices=DecisionRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    size_bands = forms.MultipleChoiceField(
        label=_("Company size"),
        choices=[c for c in SizeBand.choices if c[0]],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from clientdesk.segments.selectors import rule_segments_visible

        field = self.fields["rule_segment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            rule_segments_visible(user) if user is not None else RuleSegment.objects.none()
        )

    def to_input(self) -> services.AudienceInput:
        d = self.cleaned_data
        return services.AudienceInput(
            channel=d["channel"],
            rule_segment=d["rule_segment"].pk if d.get("rule_segment") else None,
            abc=d.get("abc") or None,
            roles=list(d.get("roles") or []),
            size_bands=list(d.get("size_bands") or []),
        )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "One row per response; a column per question named by its code (Q1, Q2...; a matrix "
            "row as Q5.2); optional columns: channel (paper or phone), company_inn, contact_email."
        ),
    )
    channel = forms.ChoiceField(
        label=_("Collected"), choices=[("paper", _("On paper")), ("phone", _("By phone"))]
    )


KIND_HELP = {SurveyKind.TRANSACTIONAL: _("Sent after a request is resolved or a visit finished.")}
