"""Forms of the portal pages and the staff page of a company's portal access."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientdesk.clients.models import Company, Contact, Contract
from clientdesk.service.files import ALLOWED_EXTENSIONS

from .models import DocumentKind, PortalRole
from .selectors import contact_options
from .services import CONSENT_CHANNELS, CONSENT_PURPOSES, NOTIFICATION_KINDS


class InviteForm(forms.Form):
    contact = forms.ModelChoiceField(
        label=gettext_lazy("Contact person"), queryset=Contact.objects.none()
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        required=False,
        help_text=gettext_lazy("Leave empty to use the contact person's e-mail."),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Portal role"), choices=PortalRole.choices, initial=PortalRole.MEMBER
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contact"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = contact_options(company)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contact = data.get("contact")
        if contact is not None and not data.get("email"):
            if not contact.email:
                self.add_error(
                    "email", _("This person has no e-mail on file: enter the address to invite.")
                )
            data["email"] = contact.email
        return data


class AcceptForm(forms.Form):
    """Django's SetPasswordForm, without a user yet: the validators see the invited name."""

    new_password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user_like: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_like = user_like

    def clean_new_password2(self) -> str:
        p1 = self.cleaned_data.get("new_password1") or ""
        p2 = self.cleaned_data.get("new_password2") or ""
        if p1 and p2 and p1 != p2:
            raise ValidationError(_("The two passwords differ: type the same password twice."))
        password_validation.validate_password(p2, self.user_like)
        return p2


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Portal role"), choices=PortalRole.choices)


class GrantForm(forms.Form):
    company = forms.ModelChoiceField(
        label=gettext_lazy("Subsidiary or branch"), queryset=Company.objects.none()
    )

    def __init__(self, *args: Any, choices: list[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["company"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Company.objects.filter(pk__in=[c.pk for c in choices])


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    contract = forms.ModelChoiceField(
        label=gettext_lazy("Contract"), queryset=Contract.objects.none(), required=False
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("Accepted: %(types)s.") % {"types": ", ".join(ALLOWED_EXTENSIONS)},
    )
    visible_in_portal = forms.BooleanField(
        label=gettext_lazy("Visible in the portal"), required=False, initial=True
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contract"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Contract.objects.filter(company=company).order_by("-signed_on", "-id")


_NOTIFY_LABELS = {
    "request_reply": gettext_lazy("E-mail me when a request gets a reply"),
    "status_change": gettext_lazy("E-mail me when a request changes status"),
    "appointment_reminders": gettext_lazy("Remind me of appointments by e-mail"),
    "newsletters": gettext_lazy("Send me newsletters"),
}


class NotificationsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in NOTIFICATION_KINDS:
            self.fields[kind] = forms.BooleanField(label=_NOTIFY_LABELS[kind], required=False)


class ConsentsForm(forms.Form):
    """One checkbox per purpose and channel, named "<purpose>__<channel>"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for purpose in CONSENT_PURPOSES:
            for channel in CONSENT_CHANNELS:
                self.fields[f"{purpose}__{channel}"] = forms.BooleanField(
                    label=f"{purpose.label} — {channel.label}", required=False
                )

    @staticmethod
    def initial_for(matrix: dict[str, set[str]]) -> dict[str, bool]:
        return {
            f"{purpose}__{channel}": channel in matrix.get(purpose, set())
            for purpose in CONSENT_PURPOSES
            for channel in CONSENT_CHANNELS
        }

    def wanted(self) -> dict[str, set[str]]:
        return {
            str(purpose): {
                str(channel)
                for channel in CONSENT_CHANNELS
                if self.cleaned_data.get(f"{purpose}__{channel}")
            }
            for purpose in CONSENT_PURPOSES
        }

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": purpose.label,
                "cells": [self[f"{purpose}__{channel}"] for channel in CONSENT_CHANNELS],
            }
            for purpose in CONSENT_PURPOSES
        ]


CHANNEL_LABELS = [channel.label for channel in CONSENT_CHANNELS]
