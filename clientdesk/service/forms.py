"""Forms of the staff pages; they turn input into clean values for the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import Channel, Company, Contact

from .models import (
    SERVICE_CHANNELS,
    AvoidableReason,
    CallLog,
    Priority,
    Service,
    StandardDocument,
    Unit,
)

STAFF_CHANNELS = [(c.value, c.label) for c in SERVICE_CHANNELS if c != Channel.API]


class RequestForm(forms.Form):
    """A visit or a call entered by staff. The company comes from the search box (its id)."""

    company = forms.IntegerField(widget=forms.HiddenInput, required=True)
    contact = forms.IntegerField(required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS)
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("— not in the catalogue —"),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial="normal")
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("What the client asks"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    topic = forms.CharField(
        label=_("Topic"),
        max_length=100,
        required=False,
        help_text=_("A word or two (“invoice”, “delivery”) to recognise repeat contacts."),
    )
    resolved_now = forms.BooleanField(label=_("Resolved during this contact"), required=False)
    avoidable_reason = forms.ModelChoiceField(
        label=_("Contact caused by us"),
        queryset=AvoidableReason.objects.filter(is_active=True),
        required=False,
        empty_label=_("— no —"),
    )
    attachment = forms.FileField(label=_("Attachment"), required=False)

    def clean_company(self) -> Company:
        pk = self.cleaned_data["company"]
        company = Company.objects.select_related("account_manager").filter(pk=pk).first()
        if company is None:
            raise ValidationError(_("Find and choose the client company."))
        return company

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        company, contact_id = data.get("company"), data.get("contact")
        data["contact"] = None
        if company is not None and contact_id:
            contact = Contact.objects.filter(pk=contact_id, company=company).first()
            if contact is None:
                self.add_error("contact", _("Choose a contact person of this company."))
            data["contact"] = contact
        return data


class MessageForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    attachment = forms.FileField(label=_("Attachment"), required=False)


class ClassifyForm(forms.Form):
    avoidable_reason = forms.ModelChoiceField(
        label=_("Caused by us"),
        queryset=AvoidableReason.objects.filter(is_active=True),
        required=False,
        empty_label=_("— no —"),
    )
    topic = forms.CharField(label=_("Topic"), max_length=100, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class FinishCallForm(forms.Form):
    duration = forms.IntegerField(label=_("Duration, seconds"), min_value=0, max_value=86400)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[c for c in CallLog.Outcome.choices if c[0]]
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class StandardDocumentForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.all())
    kind = forms.ChoiceField(label=_("Kind"), choices=StandardDocument.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    version = forms.CharField(label=_("Version"), max_length=20, initial="1")
    effective_from = forms.DateField(
        label=_("Effective from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    file = forms.FileField(label=_("File"), required=False)
