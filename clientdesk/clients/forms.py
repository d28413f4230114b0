"""HTML forms of the registry. Each turns what was typed into a typed input for a service.

These are plain forms, not ModelForms: a ModelForm writes into the instance while it validates,
so the service would see the new values before it took its "before" snapshot for the audit.
The field definitions still come from the models (labels, choices, lengths stay in one place).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import validators
from .models import (
    Channel,
    Company,
    Consent,
    ConsentPurpose,
    ConsentText,
    Contact,
    Contract,
    GroupRole,
    Interaction,
    Offering,
    RevenueRecord,
)
from .services import CompanyInput, ContactInput, ContractInput, RevenueInput

COMPANY_FIELDS = [
    "legal_name",
    "short_name",
    "legal_form",
    "country",
    "inn",
    "kpp",
    "ogrn",
    "foreign_registration_number",
    "vat_number",
    "external_id",
    "status",
    "account_manager",
    "industry",
    "region",
    "employees",
    "legal_address",
    "postal_address",
    "office_address",
    "website",
    "email",
    "phone",
    "tags",
    "group_role",
]
CONTACT_FIELDS = [
    "last_name",
    "first_name",
    "patronymic",
    "gender",
    "position",
    "department",
    "decision_role",
    "email",
    "phone",
    "preferred_channel",
    "language",
    "power_of_attorney_number",
    "power_of_attorney_expires",
    "external_id",
]
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TEXTAREA = forms.Textarea(attrs={"rows": 2})


def _apply_error(form: forms.Form, exc: ValidationError) -> None:
    """Puts a service's {field: messages} next to the fields; unknown fields go on top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def show_service_errors(form: forms.Form, exc: ValidationError) -> None:
    _apply_error(form, exc)


def _decimal_field(label: str | Any, help_text: str | Any = "") -> forms.CharField:
    return forms.CharField(label=label, required=False, help_text=help_text)


def _clean_decimal(value: str) -> Any:
    return validators.parse_decimal(value) if value else None


class CompanyForm(forms.Form):
    annual_revenue = _decimal_field(
        gettext_lazy("Annual revenue, RUB"),
        gettext_lazy("For example 1 250 000,00. With the headcount it sets the SME size."),
    )
    website = forms.URLField(label=gettext_lazy("Website"), required=False, assume_scheme="https")
    parent_inn = forms.CharField(
        label=gettext_lazy("Parent company"),
        required=False,
        help_text=gettext_lazy(
            "INN of the parent company or the head office of a branch. If several companies "
            "share that INN, add the KPP after a space."
        ),
    )

    def __init__(self, *args: Any, instance: Company | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            initial = forms.model_to_dict(instance, fields=[*COMPANY_FIELDS, "annual_revenue"])
            if instance.parent is not None:
                initial["parent_inn"] = f"{instance.parent.inn} {instance.parent.kpp}".strip()
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["country"].help_text = _("Two-letter code: RU, BY, KZ, DE…")
        for name in ("legal_address", "postal_address", "office_address"):
            self.fields[name].widget = forms.Textarea(attrs={"rows": 2})

    def clean_annual_revenue(self) -> Any:
        return _clean_decimal(self.cleaned_data["annual_revenue"])

    def clean_inn(self) -> str:
        return str(validators.clean_inn(self.cleaned_data["inn"]))

    def clean_kpp(self) -> str:
        return validators.clean_kpp(self.cleaned_data["kpp"])

    def clean_ogrn(self) -> str:
        return validators.clean_ogrn(self.cleaned_data["ogrn"])

    def clean_phone(self) -> str:
        return validators.clean_phone(self.cleaned_data["phone"])

    def clean_parent_inn(self) -> Company | None:
        raw = self.cleaned_data["parent_inn"].split()
        if not raw:
            return None
        inn = validators.clean_inn(raw[0])
        candidates = Company.objects.filter(inn=inn, merged_into__isnull=True).exclude(
            group_role=GroupRole.BRANCH
        )
        if self.instance is not None:
            candidates = candidates.exclude(pk=self.instance.pk)
        if len(raw) > 1:
            candidates = candidates.filter(kpp=validators.clean_kpp(raw[1]))
        found = list(candidates[:2])
        if not found:
            raise ValidationError(
                _("No company with INN %(inn)s is in the registry: add the parent first.")
                % {"inn": inn}
            )
        if len(found) > 1:
            raise ValidationError(
                _("Several companies have INN %(inn)s: add the KPP after a space.") % {"inn": inn}
            )
        return found[0]

    def to_input(self) -> CompanyInput:
        d = self.cleaned_data
        return CompanyInput(
            **{name: d[name] if d[name] is not None else "" for name in _PLAIN_COMPANY_FIELDS},
            industry=d["industry"],
            region=d["region"],
            account_manager=d["account_manager"],
            employees=d["employees"],
            annual_revenue=d["annual_revenue"],
            tags=list(d["tags"]),
            parent=d["parent_inn"],
        )


_PLAIN_COMPANY_FIELDS = [
    f
    for f in COMPANY_FIELDS
    if f not in {"industry", "region", "account_manager", "employees", "tags"}
]
_company_form_fields = {
    # The website is declared on the form (to choose the scheme assumed when none is typed).
    **forms.fields_for_model(Company, fields=[f for f in COMPANY_FIELDS if f != "website"]),
    **CompanyForm.base_fields,
}
_COMPANY_FORM_ORDER = [*COMPANY_FIELDS[:15], "annual_revenue", *COMPANY_FIELDS[15:], "parent_inn"]
# The parent right before the role it is the parent for.
_COMPANY_FORM_ORDER.remove("group_role")
_COMPANY_FORM_ORDER.append("group_role")
CompanyForm.base_fields = {name: _company_form_fields[name] for name in _COMPANY_FORM_ORDER}


class ContactForm(forms.Form):
    other_phones = forms.CharField(
        label=gettext_lazy("Other phones"),
        required=False,
        widget=_TEXTAREA,
        help_text=gettext_lazy("One a line."),
    )
    other_emails = forms.CharField(
        label=gettext_lazy("Other e-mails"),
        required=False,
        widget=_TEXTAREA,
        help_text=gettext_lazy("One a line."),
    )

    def __init__(self, *args: Any, instance: Contact | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            initial = forms.model_to_dict(instance, fields=CONTACT_FIELDS)
            points = list(instance.points.filter(is_primary=False))
            initial["other_phones"] = "\n".join(p.value for p in points if p.kind == "phone")
            initial["other_emails"] = "\n".join(p.value for p in points if p.kind == "email")
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["power_of_attorney_expires"].widget = _DATE

    def clean_email(self) -> str:
        return validators.clean_email(self.cleaned_data["email"])

    def clean_phone(self) -> str:
        return validators.clean_phone(self.cleaned_data["phone"])

    def clean_other_phones(self) -> list[str]:
        return [
            validators.clean_phone(p)
            for p in self.cleaned_data["other_phones"].splitlines()
            if p.strip()
        ]

    def clean_other_emails(self) -> list[str]:
        return [
            validators.clean_email(e)
            for e in self.cleaned_data["other_emails"].splitlines()
            if e.strip()
        ]

    def to_input(self) -> ContactInput:
        d = self.cleaned_data
        values: dict[str, Any] = {
            name: "" if d[name] is None and name != "power_of_attorney_expires" else d[name]
            for name in CONTACT_FIELDS
        }
        return ContactInput(
            **values, other_phones=d["other_phones"], other_emails=d["other_emails"]
        )


ContactForm.base_fields = {
    **forms.fields_for_model(Contact, fields=CONTACT_FIELDS),
    **ContactForm.base_fields,
}


class InteractionForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices)
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        choices=Interaction.Direction.choices,
        initial=Interaction.Direction.OUTBOUND,
    )
    contact = forms.ModelChoiceField(
        label=gettext_lazy("Contact person"), queryset=Contact.objects.none(), required=False
    )
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Empty means now."),
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    summary = forms.CharField(
        label=gettext_lazy("What was discussed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.CharField(label=gettext_lazy("Outcome"), max_length=300, required=False)
    next_step = forms.CharField(label=gettext_lazy("Next step"), max_length=300, required=False)
    next_step_due = forms.DateField(
        label=gettext_lazy("Next step due"),
        required=False,
        widget=_DATE,
        help_text=gettext_lazy("With a date, the next step also becomes your to-do."),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contact_field = self.fields["contact"]
        assert isinstance(contact_field, forms.ModelChoiceField)
        contact_field.queryset = Contact.objects.filter(
            company=company, erased_at__isnull=True, left_company=False
        )

    def clean_occurred_at(self) -> datetime.datetime | None:
        value: datetime.datetime | None = self.cleaned_data["occurred_at"]
        if value is not None and value > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError(_("An interaction that has not happened yet is a to-do."))
        return value


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=ConsentPurpose.choices)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[("", gettext_lazy("Every channel")), *Channel.choices],
        required=False,
    )
    source = forms.ChoiceField(
        label=gettext_lazy("How it was given"),
        choices=Consent.Source.choices,
        initial=Consent.Source.PAPER,
    )
    text = forms.ModelChoiceField(
        label=gettext_lazy("Text version"),
        queryset=ConsentText.objects.order_by("purpose", "-effective_from"),
        required=False,
        help_text=gettext_lazy("Empty means the version in force today."),
    )


class ConsentWithdrawForm(forms.Form):
    source = forms.ChoiceField(
        label=gettext_lazy("How the withdrawal was received"),
        choices=Consent.Source.choices,
        initial=Consent.Source.PAPER,
    )


class ContactLeftForm(forms.Form):
    left_on = forms.DateField(label=gettext_lazy("Left on"), widget=_DATE)


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        help_text=gettext_lazy(
            "The person's request or the legal ground, with its date and number. "
            "Do not write personal data here."
        ),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the data cannot be restored."), required=True
    )


def _decimal_initial(value: Any) -> str:
    return "" if value is None else str(value)


class ContractForm(forms.Form):
    value = _decimal_field(gettext_lazy("Value"), gettext_lazy("For example 1 250 000,00."))

    def __init__(self, *args: Any, instance: Contract | None = None, **kwargs: Any) -> None:
        """With `instance`, the form edits that contract: its values are the initial ones, and
        a service it has that is no longer offered stays selectable (else saving would drop
        it without anyone asking)."""
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            initial = forms.model_to_dict(instance, fields=_CONTRACT_FIELDS)
            initial["value"] = _decimal_initial(instance.value)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        if instance is not None and instance.pk:
            field = self.fields["offerings"]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = Offering.objects.filter(
                Q(is_active=True) | Q(contract=instance)
            ).distinct()

    def clean_value(self) -> Any:
        return _clean_decimal(self.cleaned_data["value"])

    def to_input(self) -> ContractInput:
        d = self.cleaned_data
        return ContractInput(
            number=d["number"],
            title=d["title"],
            signed_on=d["signed_on"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            value=d["value"],
            currency=d["currency"],
            status=d["status"],
            offerings=list(d["offerings"]),
        )


_CONTRACT_FIELDS = [
    "number",
    "title",
    "signed_on",
    "starts_on",
    "ends_on",
    "currency",
    "status",
    "offerings",
]
ContractForm.base_fields = {
    **forms.fields_for_model(
        Contract,
        fields=_CONTRACT_FIELDS,
        widgets={"signed_on": _DATE, "starts_on": _DATE, "ends_on": _DATE},
    ),
    **ContractForm.base_fields,
}
ContractForm.base_fields["offerings"].queryset = Offering.objects.filter(is_active=True)  # type: ignore[attr-defined]


class RevenueForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=_DATE)
    amount = _decimal_field(
        gettext_lazy("Amount"), gettext_lazy("Negative for a refund or a credit note.")
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="RUB")
    amount_base = _decimal_field(
        gettext_lazy("Amount, RUB"),
        gettext_lazy("Only for another currency: at the rate of the day."),
    )
    cost = _decimal_field(gettext_lazy("Cost, RUB"))
    offering = forms.ModelChoiceField(
        label=gettext_lazy("Service"),
        queryset=Offering.objects.filter(is_active=True),
        required=False,
    )
    contract = forms.ModelChoiceField(
        label=gettext_lazy("Contract"), queryset=Contract.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        company: Company,
        instance: RevenueRecord | None = None,
        **kwargs: Any,
    ) -> None:
        """With `instance`, the form edits that record (its values are the initial ones)."""
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "date": instance.date,
                "amount": _decimal_initial(instance.amount),
                "currency": instance.currency,
                # Blank when it only repeats a rouble amount: then it follows the amount.
                "amount_base": _decimal_initial(
                    None
                    if instance.currency == "RUB" and instance.amount_base == instance.amount
                    else instance.amount_base
                ),
                "cost": _decimal_initial(instance.cost),
                "offering": instance.offering_id,
                "contract": instance.contract_id,
            }
        super().__init__(*args, **kwargs)
        contract_field = self.fields["contract"]
        assert isinstance(contract_field, forms.ModelChoiceField)
        contract_field.queryset = Contract.objects.filter(company=company)
        if instance is not None and instance.offering_id:
            offering_field = self.fields["offering"]
            assert isinstance(offering_field, forms.ModelChoiceField)
            offering_field.queryset = Offering.objects.filter(
                Q(is_active=True) | Q(pk=instance.offering_id)
            )

    def clean_amount(self) -> Any:
        value = _clean_decimal(self.cleaned_data["amount"])
        if value is None:
            raise ValidationError(_("Enter the amount."))
        return value

    def clean_amount_base(self) -> Any:
        return _clean_decimal(self.cleaned_data["amount_base"])

    def clean_cost(self) -> Any:
        return _clean_decimal(self.cleaned_data["cost"])

    def to_input(self) -> RevenueInput:
        d = self.cleaned_data
        return RevenueInput(
            date=d["date"],
            amount=d["amount"],
            currency=d["currency"],
            amount_base=d["amount_base"],
            cost=d["cost"],
            offering=d["offering"],
            contract=d["contract"],
        )
