"""Writes to the client registry.

Every function here validates its input (the same rules whichever face calls it: a form, the API,
an import, another domain), writes in one transaction, keeps the derived fields (`search_name`,
`completeness`, `size_band`) current and records an audit event with a field-level diff.

Input arrives as typed dataclasses of clean values; services never see a request. A rule that is
broken raises `ValidationError` with a dict {field: message}, so a form can show each message
next to the field to fix.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.core import audit

from . import quality, validators
from .models import (
    Channel,
    Company,
    Consent,
    ConsentPurpose,
    ConsentText,
    Contact,
    ContactPoint,
    Contract,
    DecisionRole,
    GroupRole,
    Industry,
    Interaction,
    LegalForm,
    Offering,
    Region,
    RevenueRecord,
    SizeBand,
    Tag,
    Todo,
)

if TYPE_CHECKING:
    from clientdesk.accounts.models import User

ErrorDict = dict[str, list[str]]

# Russian SME thresholds (209-FZ, Government Decree 265): (band, max employees, max revenue RUB).
SME_THRESHOLDS: tuple[tuple[str, int, Decimal], ...] = (
    (SizeBand.MICRO, 15, Decimal("120000000")),
    (SizeBand.SMALL, 100, Decimal("800000000")),
    (SizeBand.MEDIUM, 250, Decimal("2000000000")),
)
_BAND_ORDER: list[str] = [SizeBand.MICRO, SizeBand.SMALL, SizeBand.MEDIUM, SizeBand.LARGE]


# ---------------------------------------------------------------------------------------------
# Companies


@dataclass
class CompanyInput:
    """A company as a form, the API or an import describes it, in clean values."""

    legal_name: str
    short_name: str = ""
    legal_form: str = LegalForm.OOO
    country: str = "RU"
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    foreign_registration_number: str = ""
    vat_number: str = ""
    external_id: str = ""
    industry: Industry | None = None
    region: Region | None = None
    employees: int | None = None
    annual_revenue: Decimal | None = None
    legal_address: str = ""
    postal_address: str = ""
    office_address: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    status: str = "prospect"
    account_manager: User | None = None
    # None leaves the tags as they are (an update that does not mention them).
    tags: list[Tag] | None = None
    parent: Company | None = None
    group_role: str = ""


COMPANY_AUDIT_FIELDS = [
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
    "industry_id",
    "region_id",
    "employees",
    "annual_revenue",
    "size_band",
    "legal_address",
    "postal_address",
    "office_address",
    "website",
    "email",
    "phone",
    "status",
    "account_manager_id",
    "parent_id",
    "group_role",
]
_COMPANY_INPUT_FIELDS = [
    f for f in CompanyInput.__dataclass_fields__ if f not in {"tags", "industry", "region"}
]


def size_band_for(employees: int | None, annual_revenue: Decimal | None) -> str:
    """The SME band. By law the larger of the two criteria decides: 20 people with 1 bn RUB
    of revenue is a medium enterprise, not a small one."""
    bands: list[str] = []
    if employees is not None:
        bands.append(next((b for b, n, _r in SME_THRESHOLDS if employees <= n), SizeBand.LARGE))
    if annual_revenue is not None:
        bands.append(
            next((b for b, _n, r in SME_THRESHOLDS if annual_revenue <= r), SizeBand.LARGE)
        )
    if not bands:
        return SizeBand.UNKNOWN
    return max(bands, key=_BAND_ORDER.index)


def _add(errors: ErrorDict, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _clean_field(errors: ErrorDict, name: str, func: Any, value: str, **kwargs: Any) -> str:
    """Run a validators.clean_* function, collecting its message under the field's name."""
    try:
        return str(func(value, **kwargs))
    except ValidationError as exc:
        for message in exc.messages:
            _add(errors, name, message)
        return value


def _clean_company_ids(data: CompanyInput, errors: ErrorDict) -> None:
    """Registration numbers, by the rules of the company's country and legal form."""
    data.country = (data.country or "RU").strip().upper()
    sole = data.legal_form == LegalForm.IP
    if data.country != "RU":
        if data.legal_form not in {LegalForm.FOREIGN, LegalForm.OTHER}:
            _add(
                errors,
                "legal_form",
                _("A company registered abroad has the legal form “Foreign company”."),
            )
        if not (data.foreign_registration_number.strip() or data.vat_number.strip()):
            _add(
                errors,
                "foreign_registration_number",
                _("Enter the registration number or the VAT number of the foreign company."),
            )
        # A foreign company registered with a Russian tax office has a 10-digit INN (9909...).
        data.inn = _clean_field(
            errors, "inn", validators.clean_inn, data.inn, sole_proprietor=False
        )
        data.kpp = _clean_field(errors, "kpp", validators.clean_kpp, data.kpp)
        data.ogrn = ""
        return
    if data.legal_form == LegalForm.FOREIGN:
        _add(errors, "country", _("A foreign company needs its country: Russia (RU) is selected."))
    data.inn = _clean_field(errors, "inn", validators.clean_inn, data.inn, sole_proprietor=sole)
    data.kpp = _clean_field(errors, "kpp", validators.clean_kpp, data.kpp)
    data.ogrn = _clean_field(errors, "ogrn", validators.clean_ogrn, data.ogrn, sole_proprietor=sole)
    if not data.inn and data.status != "prospect":
        _add(errors, "inn", _("Enter the INN: only a prospect may be recorded without it."))
    if sole and data.kpp:
        _add(errors, "kpp", _("A sole proprietor has no KPP: leave the field empty."))
    if not sole and data.inn and not data.kpp:
        _add(errors, "kpp", _("An organisation with an INN also has a KPP: enter it."))


def _clean_company_contacts(data: CompanyInput, errors: ErrorDict) -> None:
    data.legal_name = " ".join(data.legal_name.split())
    data.short_name = " ".join(data.short_name.split())
    if not data.legal_name:
        _add(errors, "legal_name", _("Enter the company's legal name."))
    data.email = _clean_field(errors, "email", validators.clean_email, data.email)
    data.phone = _clean_field(errors, "phone", validators.clean_phone, data.phone)
    data.website = data.website.strip()
    if data.employees is not None and data.employees < 0:
        _add(errors, "employees", _("The number of employees cannot be negative."))
    if data.annual_revenue is not None and data.annual_revenue < 0:
        _add(errors, "annual_revenue", _("Annual revenue cannot be negative."))


def _check_group(data: CompanyInput, company: Company | None, errors: ErrorDict) -> None:
    """Parent and role in the group: a branch shares its parent's INN, a subsidiary does not,
    and the chain of parents never comes back to the company itself."""
    parent, role = data.parent, data.group_role
    if parent is None:
        if role in {GroupRole.SUBSIDIARY, GroupRole.BRANCH}:
            _add(errors, "parent", _("A subsidiary or a branch needs its parent company."))
        return
    if not role:
        _add(errors, "group_role", _("Choose the company's role in the group of its parent."))
    if parent.group_role == GroupRole.BRANCH:
        _add(
            errors,
            "parent",
            _("%(name)s is a branch; a branch cannot be a parent.") % {"name": parent},
        )
    if company is not None and _parent_chain_reaches(parent, company):
        _add(
            errors,
            "parent",
            _("%(name)s already belongs to this company's group: this would make a loop.")
            % {"name": parent},
        )
    if role == GroupRole.BRANCH:
        if data.inn != parent.inn:
            _add(
                errors,
                "inn",
                _("A branch has the INN of its parent %(name)s (%(inn)s), not %(own)s.")
                % {"name": parent, "inn": parent.inn or "—", "own": data.inn or "—"},
            )
        elif data.kpp and data.kpp == parent.kpp:
            _add(
                errors,
                "kpp",
                _("A branch has its own KPP, different from the parent's (%(kpp)s).")
                % {"kpp": parent.kpp},
            )
    elif role == GroupRole.SUBSIDIARY and data.inn and data.inn == parent.inn:
        _add(
            errors,
            "group_role",
            _(
                "A subsidiary is a separate legal entity with its own INN; "
                "with the parent's INN it is a branch."
            ),
        )


def _parent_chain_reaches(parent: Company, company: Company) -> bool:
    seen: set[int] = set()
    node: Company | None = parent
    while node is not None and node.pk not in seen:
        if node.pk == company.pk:
            return True
        seen.add(node.pk)
        node = Company.objects.filter(pk=node.parent_id).first() if node.parent_id else None
    return False


def _check_company_unique(data: CompanyInput, company: Company | None, errors: ErrorDict) -> None:
    others = Company.objects.filter(merged_into__isnull=True)
    if company is not None:
        others = others.exclude(pk=company.pk)
    if data.inn:
        same = others.filter(inn=data.inn, kpp=data.kpp).first()
        if same is not None:
            _add(
                errors,
                "inn",
                _(
                    "%(name)s (ID %(id)s) already has INN %(inn)s and KPP %(kpp)s: "
                    "open that card instead of adding a copy."
                )
                % {"name": same, "id": same.pk, "inn": data.inn, "kpp": data.kpp or "—"},
            )
    if data.external_id:
        same = others.filter(external_id=data.external_id).first()
        if same is not None:
            _add(
                errors,
                "external_id",
                _("External ID %(value)s already belongs to %(name)s (ID %(id)s).")
                % {"value": data.external_id, "name": same, "id": same.pk},
            )


def company_validate(*, data: CompanyInput, company: Company | None = None) -> CompanyInput:
    """Normalises `data` in place and raises ValidationError({field: [messages]})."""
    errors: ErrorDict = {}
    _clean_company_contacts(data, errors)
    _clean_company_ids(data, errors)
    _check_group(data, company, errors)
    if not errors:
        _check_company_unique(data, company, errors)
    if errors:
        raise ValidationError(errors)
    return data


def _apply_company(company: Company, data: CompanyInput) -> None:
    for name in _COMPANY_INPUT_FIELDS:
        setattr(company, name, getattr(data, name))
    company.industry = data.industry
    company.region = data.region
    company.size_band = size_band_for(data.employees, data.annual_revenue)
    company.search_name = validators.normalise_name(data.legal_name)


def _refresh_company_completeness(company: Company) -> None:
    percent, _missing = quality.company_completeness(company)
    if percent != company.completeness:
        company.completeness = percent
        Company.objects.filter(pk=company.pk).update(completeness=percent)


def _save_company(company: Company, data: CompanyInput) -> None:
    """Saves in a savepoint: if a concurrent request took the same INN and KPP after our check,
    the user still gets the form error naming that company, not a server error."""
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        errors: ErrorDict = {}
        _check_company_unique(data, company if company.pk else None, errors)
        raise ValidationError(
            errors or {"inn": [_("This company is already in the registry.")]}
        ) from None


def _tag_ids(company: Company) -> list[int]:
    return sorted(company.tags.values_list("pk", flat=True))


@transaction.atomic
def company_create(*, data: CompanyInput, by: User | None) -> Company:
    company_validate(data=data)
    company = Company()
    _apply_company(company, data)
    _save_company(company, data)
    if data.tags:
        company.tags.set(data.tags)
    _refresh_company_completeness(company)
    after = audit.snapshot(company, COMPANY_AUDIT_FIELDS)
    after["tags"] = sorted(t.pk for t in data.tags or [])
    changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [])}
    audit.record(actor=by, action="clients.company_created", target=company, changes=changes)
    return company


@transaction.atomic
def company_update(*, company: Company, data: CompanyInput, by: User | None) -> Company:
    company_validate(data=data, company=company)
    before = audit.snapshot(company, COMPANY_AUDIT_FIELDS)
    before["tags"] = _tag_ids(company)
    _apply_company(company, data)
    _save_company(company, data)
    if data.tags is not None:
        company.tags.set(data.tags)
    _refresh_company_completeness(company)
    after = audit.snapshot(company, COMPANY_AUDIT_FIELDS)
    after["tags"] = _tag_ids(company) if data.tags is not None else before["tags"]
    changes = audit.diff(before, after)
    if changes:
        audit.record(actor=by, action="clients.company_updated", target=company, changes=changes)
    return company


# ---------------------------------------------------------------------------------------------
# Contact persons


@dataclass
class ContactInput:
    last_name: str
    first_name: str
    patronymic: str = ""
    gender: str = ""
    position: str = ""
    department: str = ""
    decision_role: str = ""
    power_of_attorney_number: str = ""
    power_of_attorney_expires: datetime.date | None = None
    email: str = ""
    phone: str = ""
    preferred_channel: str = ""
    language: str = "ru"
    external_id: str = ""
    # Further phones and e-mails besides the main ones; None leaves the stored ones untouched.
    other_phones: list[str] | None = None
    other_emails: list[str] | None = None


CONTACT_AUDIT_FIELDS = [
    "last_name",
    "first_name",
    "patronymic",
    "gender",
    "position",
    "department",
    "decision_role",
    "power_of_attorney_number",
    "power_of_attorney_expires",
    "email",
    "phone",
    "preferred_channel",
    "language",
    "external_id",
    "left_company",
    "left_at",
]
_CONTACT_MODEL_FIELDS = [
    f for f in ContactInput.__dataclass_fields__ if f not in {"other_phones", "other_emails"}
]


def _clean_contact_points(data: ContactInput, errors: ErrorDict) -> None:
    data.email = _clean_field(errors, "email", validators.clean_email, data.email)
    data.phone = _clean_field(errors, "phone", validators.clean_phone, data.phone)
    if data.other_phones is not None:
        data.other_phones = [
            _clean_field(errors, "other_phones", validators.clean_phone, p)
            for p in data.other_phones
            if p.strip()
        ]
    if data.other_emails is not None:
        data.other_emails = [
            _clean_field(errors, "other_emails", validators.clean_email, e)
            for e in data.other_emails
            if e.strip()
        ]


def contact_validate(
    *, data: ContactInput, company: Company, contact: Contact | None = None
) -> ContactInput:
    errors: ErrorDict = {}
    for name in ("last_name", "first_name", "patronymic", "position", "department"):
        setattr(data, name, " ".join(str(getattr(data, name)).split()))
    if not data.last_name:
        _add(errors, "last_name", _("Enter the surname."))
    if not data.first_name:
        _add(errors, "first_name", _("Enter the first name."))
    if data.decision_role and data.decision_role not in DecisionRole.values:
        _add(errors, "decision_role", _("Choose a role from the list."))
    if data.preferred_channel and data.preferred_channel not in Channel.values:
        _add(errors, "preferred_channel", _("Choose a channel from the list."))
    _clean_contact_points(data, errors)
    if contact is not None and contact.erased_at is not None:
        _add(errors, "last_name", _("This person's data was erased; the record cannot be edited."))
    if data.external_id:
        same = Contact.objects.filter(company=company, external_id=data.external_id)
        if contact is not None:
            same = same.exclude(pk=contact.pk)
        if (other := same.first()) is not None:
            _add(
                errors,
                "external_id",
                _("External ID %(value)s already belongs to %(name)s.")
                % {"value": data.external_id, "name": other},
            )
    if errors:
        raise ValidationError(errors)
    return data


def _sync_points(contact: Contact, data: ContactInput) -> None:
    """ContactPoint mirrors every phone and e-mail, so that search and dedup look in one place."""
    wanted: dict[tuple[str, str], bool] = {}
    existing: dict[tuple[str, str], ContactPoint]
    kinds = (
        (ContactPoint.Kind.PHONE, data.phone, data.other_phones),
        (ContactPoint.Kind.EMAIL, data.email, data.other_emails),
    )
    existing = {(p.kind, p.value): p for p in contact.points.all()}
    for kind, main, others in kinds:
        if main:
            wanted[(kind, main.lower() if kind == ContactPoint.Kind.EMAIL else main)] = True
        extra = others
        if extra is None:
            extra = [v for (k, v), p in existing.items() if k == kind and not p.is_primary]
        for value in extra:
            key = (kind, value.lower() if kind == ContactPoint.Kind.EMAIL else value)
            wanted.setdefault(key, False)
    for point_key, point in existing.items():
        if point_key not in wanted:
            point.delete()
        elif point.is_primary != wanted[point_key]:
            point.is_primary = wanted[point_key]
            point.save(update_fields=["is_primary"])
    ContactPoint.objects.bulk_create(
        [
            ContactPoint(contact=contact, kind=k, value=v, is_primary=primary)
            for (k, v), primary in wanted.items()
            if (k, v) not in existing
        ]
    )


def _apply_contact(contact: Contact, data: ContactInput) -> None:
    for name in _CONTACT_MODEL_FIELDS:
        setattr(contact, name, getattr(data, name))
    contact.search_name = validators.normalise_name(contact.full_name)
    contact.completeness = quality.contact_completeness(contact)[0]


def _contact_points_snapshot(contact: Contact) -> list[str]:
    return sorted(f"{p.kind}:{p.value}" for p in contact.points.all())


@transaction.atomic
def contact_create(*, company: Company, data: ContactInput, by: User | None) -> Contact:
    contact_validate(data=data, company=company)
    contact = Contact(company=company)
    _apply_contact(contact, data)
    contact.save()
    _sync_points(contact, data)
    after = audit.snapshot(contact, CONTACT_AUDIT_FIELDS)
    after["points"] = _contact_points_snapshot(contact)
    changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], False)}
    audit.record(actor=by, action="clients.contact_created", target=contact, changes=changes)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, data: ContactInput, by: User | None) -> Contact:
    contact_validate(data=data, company=contact.company, contact=contact)
    before = audit.snapshot(contact, CONTACT_AUDIT_FIELDS)
    before["points"] = _contact_points_snapshot(contact)
    _apply_contact(contact, data)
    contact.save()
    _sync_points(contact, data)
    after = audit.snapshot(contact, CONTACT_AUDIT_FIELDS)
    after["points"] = _contact_points_snapshot(contact)
    changes = audit.diff(before, after)
    if changes:
        audit.record(actor=by, action="clients.contact_updated", target=contact, changes=changes)
    return contact


@transaction.atomic
def contact_left_company(
    *, contact: Contact, left_on: datetime.date | None = None, by: User | None
) -> Contact:
    """The person no longer works there. The record stays, with its timeline and consents:
    the history of who said what to whom must outlive the job."""
    left_on = left_on or timezone.localdate()
    if left_on > timezone.localdate():
        raise ValidationError({"left_at": [_("The date of leaving cannot be in the future.")]})
    before = audit.snapshot(contact, ["left_company", "left_at"])
    contact.left_company = True
    contact.left_at = left_on
    contact.save(update_fields=["left_company", "left_at", "updated_at"])
    changes = audit.diff(before, audit.snapshot(contact, ["left_company", "left_at"]))
    if changes:
        audit.record(actor=by, action="clients.contact_left", target=contact, changes=changes)
    return contact


# ---------------------------------------------------------------------------------------------
# The timeline


@transaction.atomic
def interaction_record(
    *,
    company: Company,
    channel: str,
    subject: str,
    occurred_at: datetime.datetime | None = None,
    contact: Contact | None = None,
    staff: User | None = None,
    direction: str = "in",
    summary: str = "",
    outcome: str = "",
    next_step: str = "",
    next_step_due: datetime.date | None = None,
    source: str = "",
    create_follow_up: bool = False,
) -> Interaction:
    """One entry on the company's timeline. Other domains (requests, campaigns, surveys) call
    this with `source` naming their record ("service.request:42").

    With `create_follow_up` and a due date, the next step also becomes a to-do for `staff`."""
    errors: ErrorDict = {}
    subject = " ".join(subject.split())
    if not subject:
        _add(errors, "subject", _("Enter the subject: what the contact was about."))
    if channel not in Channel.values:
        _add(errors, "channel", _("Choose a channel from the list."))
    if direction not in Interaction.Direction.values:
        _add(errors, "direction", _("Choose inbound or outbound."))
    if contact is not None and contact.company_id != company.pk:
        _add(errors, "contact", _("%(name)s works for another company.") % {"name": contact})
    if next_step_due is not None and not next_step.strip():
        _add(errors, "next_step", _("Describe the next step that is due."))
    if errors:
        raise ValidationError(errors)
    interaction = Interaction.objects.create(
        company=company,
        contact=contact,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at or timezone.now(),
        staff=staff,
        subject=subject[:300],
        summary=summary.strip(),
        outcome=outcome.strip()[:300],
        next_step=next_step.strip()[:300],
        next_step_due=next_step_due,
        source=source[:80],
    )
    audit.record(
        actor=staff,
        action="clients.interaction_recorded",
        target=company,
        changes={"interaction": interaction.pk, "channel": channel, "source": source},
    )
    if create_follow_up and next_step_due is not None:
        todo_create(
            company=company,
            kind=Todo.Kind.FOLLOW_UP,
            title=next_step,
            assignee=staff,
            due_on=next_step_due,
            contact=contact,
            source=f"clients.interaction:{interaction.pk}",
            by=staff,
        )
    return interaction


# ---------------------------------------------------------------------------------------------
# Consents


def consent_text_current(*, purpose: str, language: str = "ru") -> ConsentText | None:
    """The wording in force today for a purpose, in the person's language if there is one."""
    texts = ConsentText.objects.filter(
        purpose=purpose, effective_from__lte=timezone.localdate()
    ).order_by("-effective_from", "-id")
    return texts.filter(language=language).first() or texts.first()


@transaction.atomic
def consent_give(
    *,
    contact: Contact,
    purpose: str,
    channel: str = "",
    source: str,
    text: ConsentText | None = None,
    by: User | None,
) -> Consent:
    """Records a consent. Giving the same consent (same purpose, channel and text) again is a
    no-op, so that a re-submitted form or a repeated import does not pile up rows."""
    errors: ErrorDict = {}
    if contact.erased_at is not None:
        _add(errors, "contact", _("This person's data was erased: no consent can be recorded."))
    if purpose not in ConsentPurpose.values:
        _add(errors, "purpose", _("Choose a purpose from the list."))
    if channel and channel not in Channel.values:
        _add(errors, "channel", _("Choose a channel from the list, or none for every channel."))
    if source not in Consent.Source.values:
        _add(errors, "source", _("Say how the consent was obtained."))
    if text is None and not errors:
        text = consent_text_current(purpose=purpose, language=contact.language)
    if text is not None and text.purpose != purpose:
        _add(errors, "text", _("This text version is for another purpose."))
    if errors:
        raise ValidationError(errors)
    active = Consent.objects.filter(
        contact=contact, purpose=purpose, channel=channel, text=text, withdrawn_at__isnull=True
    ).first()
    if active is not None:
        return active
    consent = Consent.objects.create(
        contact=contact,
        purpose=purpose,
        channel=channel,
        text=text,
        given_at=timezone.now(),
        source=source,
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action="clients.consent_given",
        target=contact,
        changes={
            "consent": consent.pk,
            "purpose": purpose,
            "channel": channel,
            "text_version": text.version if text else None,
            "source": source,
        },
    )
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, source: str, by: User | None) -> Consent:
    if source not in Consent.Source.values:
        raise ValidationError({"source": [_("Say how the withdrawal was received.")]})
    if consent.withdrawn_at is not None:
        return consent
    consent.withdrawn_at = timezone.now()
    consent.withdrawal_source = source
    consent.save(update_fields=["withdrawn_at", "withdrawal_source"])
    audit.record(
        actor=by,
        action="clients.consent_withdrawn",
        target=consent.contact,
        changes={
            "consent": consent.pk,
            "purpose": consent.purpose,
            "channel": consent.channel,
            "source": source,
        },
    )
    return consent


# ---------------------------------------------------------------------------------------------
# Contracts and revenue


@dataclass
class ContractInput:
    number: str
    title: str = ""
    signed_on: datetime.date | None = None
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    value: Decimal | None = None
    currency: str = "RUB"
    status: str = Contract.Status.ACTIVE
    offerings: list[Offering] = field(default_factory=list)


CONTRACT_AUDIT_FIELDS = [
    "number",
    "title",
    "signed_on",
    "starts_on",
    "ends_on",
    "value",
    "currency",
    "status",
]


def _contract_checked(
    *, company: Company, data: ContractInput, contract: Contract | None
) -> tuple[str, str]:
    """The clean number and currency, or ValidationError {field: [message]} for the form."""
    errors: ErrorDict = {}
    number = data.number.strip()
    others = Contract.objects.filter(company=company, number=number)
    if contract is not None:
        others = others.exclude(pk=contract.pk)
    if not number:
        _add(errors, "number", _("Enter the contract number."))
    elif len(number) > Contract._meta.get_field("number").max_length:  # type: ignore[operator]
        _add(errors, "number", _("The contract number is longer than 64 characters."))
    elif others.exists():
        _add(errors, "number", _("This company already has contract № %(n)s.") % {"n": number})
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        _add(errors, "ends_on", _("The contract cannot end before it starts."))
    if data.value is not None and data.value < 0:
        _add(errors, "value", _("The contract value cannot be negative."))
    currency = data.currency.strip().upper() or "RUB"
    if len(currency) != 3 or not currency.isalpha():
        _add(errors, "currency", _("Enter a three-letter currency code, such as RUB or EUR."))
    if data.status not in Contract.Status.values:
        _add(errors, "status", _("Choose a status from the list."))
    if errors:
        raise ValidationError(errors)
    return number, currency


def _contract_audit(contract: Contract, offerings: list[int]) -> dict[str, Any]:
    changes = audit.snapshot(contract, CONTRACT_AUDIT_FIELDS)
    changes["offerings"] = sorted(offerings)
    return changes


@transaction.atomic
def contract_create(*, company: Company, data: ContractInput, by: User | None) -> Contract:
    number, currency = _contract_checked(company=company, data=data, contract=None)
    contract = Contract.objects.create(
        company=company,
        number=number,
        title=data.title.strip(),
        signed_on=data.signed_on,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        value=data.value,
        currency=currency,
        status=data.status,
    )
    contract.offerings.set(data.offerings)
    changes = _contract_audit(contract, [o.pk for o in data.offerings])
    changes["contract"] = contract.pk
    audit.record(
        actor=by,
        action="clients.contract_created",
        target=company,
        changes={k: [None, v] for k, v in changes.items() if v not in (None, "", [])},
    )
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, data: ContractInput, by: User | None) -> Contract:
    """Changes a contract; the audit row (on the company) lists each changed field."""
    # Lock the row: two people saving the same contract must not interleave their diffs.
    contract = Contract.objects.select_for_update().select_related("company").get(pk=contract.pk)
    number, currency = _contract_checked(company=contract.company, data=data, contract=contract)
    before = _contract_audit(contract, list(contract.offerings.values_list("pk", flat=True)))
    contract.number = number
    contract.title = data.title.strip()
    contract.signed_on = data.signed_on
    contract.starts_on = data.starts_on
    contract.ends_on = data.ends_on
    contract.value = data.value
    contract.currency = currency
    contract.status = data.status
    contract.save()
    contract.offerings.set(data.offerings)
    changes = audit.diff(before, _contract_audit(contract, [o.pk for o in data.offerings]))
    if changes:
        audit.record(
            actor=by,
            action="clients.contract_updated",
            target=contract.company,
            changes={"contract": contract.pk, **changes},
        )
    return contract


@transaction.atomic
def contract_delete(*, contract: Contract, by: User | None) -> None:
    """Deletes a contract. Its revenue records stay (they are the client's history) and lose
    the link to it; the audit row keeps what the contract said and which records it lost."""
    contract = Contract.objects.select_for_update().select_related("company").get(pk=contract.pk)
    company = contract.company
    linked = list(
        RevenueRecord.objects.filter(contract=contract).order_by("pk").values_list("pk", flat=True)
    )
    changes = _contract_audit(contract, list(contract.offerings.values_list("pk", flat=True)))
    changes = {k: [v, None] for k, v in changes.items() if v not in (None, "", [])}
    pk = contract.pk
    contract.delete()
    audit.record(
        actor=by,
        action="clients.contract_deleted",
        target=company,
        changes={"contract": pk, "unlinked_revenue_records": linked, **changes},
    )


@dataclass
class RevenueInput:
    date: datetime.date
    amount: Decimal
    currency: str = "RUB"
    # Required unless the amount is in roubles: the rate of the day is the accountant's, not ours.
    amount_base: Decimal | None = None
    cost: Decimal | None = None
    offering: Offering | None = None
    contract: Contract | None = None
    external_id: str = ""


REVENUE_AUDIT_FIELDS = [
    "date",
    "amount",
    "currency",
    "amount_base",
    "cost",
    "offering_id",
    "contract_id",
    "external_id",
]


def _revenue_checked(
    *, company: Company, data: RevenueInput, record: RevenueRecord | None
) -> tuple[str, Decimal, str]:
    """The clean currency, amount in roubles and external ID, or ValidationError."""
    errors: ErrorDict = {}
    currency = data.currency.strip().upper() or "RUB"
    amount_base = data.amount_base
    if len(currency) != 3 or not currency.isalpha():
        _add(errors, "currency", _("Enter a three-letter currency code, such as RUB or EUR."))
    elif currency == "RUB":
        amount_base = data.amount if amount_base is None else amount_base
    elif amount_base is None:
        _add(errors, "amount_base", _("Enter the amount in roubles at the rate of the day."))
    if data.contract is not None and data.contract.company_id != company.pk:
        _add(
            errors,
            "contract",
            _("Contract № %(n)s belongs to another company.") % {"n": data.contract.number},
        )
    if data.cost is not None and data.cost < 0:
        _add(errors, "cost", _("Cost cannot be negative."))
    external_id = data.external_id.strip()
    if external_id:
        taken = RevenueRecord.objects.filter(external_id=external_id)
        if record is not None:
            taken = taken.exclude(pk=record.pk)
        if taken.exists():
            _add(
                errors,
                "external_id",
                _("A revenue record with external ID %(v)s is already loaded.")
                % {"v": external_id},
            )
    if errors:
        raise ValidationError(errors)
    assert amount_base is not None  # set above, or an error was raised
    return currency, amount_base, external_id


@transaction.atomic
def revenue_record_create(
    *, company: Company, data: RevenueInput, by: User | None
) -> RevenueRecord:
    currency, amount_base, external_id = _revenue_checked(company=company, data=data, record=None)
    record = RevenueRecord.objects.create(
        company=company,
        date=data.date,
        amount=data.amount,
        currency=currency,
        amount_base=amount_base,
        cost=data.cost,
        offering=data.offering,
        contract=data.contract,
        external_id=external_id,
    )
    audit.record(
        actor=by,
        action="clients.revenue_recorded",
        target=company,
        changes={
            "revenue_record": record.pk,
            "date": data.date,
            "amount": data.amount,
            "currency": currency,
            "amount_base": amount_base,
        },
    )
    return record


@transaction.atomic
def revenue_record_update(
    *, record: RevenueRecord, data: RevenueInput, by: User | None
) -> RevenueRecord:
    """Corrects a revenue record; the audit row (on the company) lists each changed field.
    An external ID that is not given keeps the one the record has (the form does not show it:
    it belongs to the accounting system that sent the record)."""
    record = RevenueRecord.objects.select_for_update().select_related("company").get(pk=record.pk)
    if not data.external_id:
        data.external_id = record.external_id
    currency, amount_base, external_id = _revenue_checked(
        company=record.company, data=data, record=record
    )
    before = audit.snapshot(record, REVENUE_AUDIT_FIELDS)
    record.date = data.date
    record.amount = data.amount
    record.currency = currency
    record.amount_base = amount_base
    record.cost = data.cost
    record.offering = data.offering
    record.contract = data.contract
    record.external_id = external_id
    record.save()
    changes = audit.diff(before, audit.snapshot(record, REVENUE_AUDIT_FIELDS))
    if changes:
        audit.record(
            actor=by,
            action="clients.revenue_updated",
            target=record.company,
            changes={"revenue_record": record.pk, **changes},
        )
    return record


@transaction.atomic
def revenue_record_delete(*, record: RevenueRecord, by: User | None) -> None:
    """Deletes a revenue record (a wrong entry); the audit row keeps what it said."""
    record = RevenueRecord.objects.select_for_update().select_related("company").get(pk=record.pk)
    company, pk = record.company, record.pk
    before = audit.snapshot(record, REVENUE_AUDIT_FIELDS)
    record.delete()
    audit.record(
        actor=by,
        action="clients.revenue_deleted",
        target=company,
        changes={
            "revenue_record": pk,
            **{k: [v, None] for k, v in before.items() if v not in (None, "")},
        },
    )


# ---------------------------------------------------------------------------------------------
# To-dos


@transaction.atomic
def todo_create(
    *,
    company: Company,
    kind: str,
    title: str,
    assignee: User | None = None,
    due_on: datetime.date | None = None,
    contact: Contact | None = None,
    source: str = "",
    by: User | None = None,
) -> Todo:
    """A to-do for the account manager (the company's, unless someone else is named).
    Only one open verification exists per company: asking twice returns the open one."""
    errors: ErrorDict = {}
    if kind not in Todo.Kind.values:
        _add(errors, "kind", _("Choose a kind of to-do from the list."))
    if not title.strip():
        _add(errors, "title", _("Say what is to be done."))
    if contact is not None and contact.company_id != company.pk:
        _add(errors, "contact", _("%(name)s works for another company.") % {"name": contact})
    if errors:
        raise ValidationError(errors)
    if kind == Todo.Kind.VERIFY:
        open_one = Todo.objects.filter(company=company, kind=kind, done_at__isnull=True).first()
        if open_one is not None:
            return open_one
    todo = Todo.objects.create(
        company=company,
        kind=kind,
        title=title.strip()[:300],
        assignee=assignee if assignee is not None else company.account_manager,
        due_on=due_on,
        contact=contact,
        source=source[:80],
    )
    audit.record(
        actor=by,
        action="clients.todo_created",
        target=company,
        changes={"todo": todo.pk, "kind": kind, "due_on": due_on, "assignee": todo.assignee_id},
    )
    return todo


@transaction.atomic
def todo_done(*, todo: Todo, by: User | None) -> Todo:
    if todo.done_at is not None:
        return todo
    todo.done_at = timezone.now()
    todo.save(update_fields=["done_at"])
    if todo.kind == Todo.Kind.VERIFY:
        # Verifying is the point of this kind of to-do: the record is now known to be current.
        Company.objects.filter(pk=todo.company_id).update(verified_at=todo.done_at)
    audit.record(
        actor=by,
        action="clients.todo_done",
        target=todo.company,
        changes={"todo": todo.pk, "kind": todo.kind},
    )
    return todo
