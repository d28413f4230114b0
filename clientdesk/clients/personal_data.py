"""A person's rights over their data (152-FZ art. 14 and 21; GDPR art. 15, 17 and 20).

`export_person` gathers everything held about one contact person; `erase_person` removes it.

What erasure keeps, and why: the company's timeline is a business record (a call took place,
a contract was discussed, on this date, through this channel, handled by this employee). Those
facts stay; what identifies the person goes. So an interaction keeps its channel, direction,
time, employee, subject and outcome, but loses its free-text summary, and the person's name,
e-mail and phones are cut out of the short texts (subject, outcome, next step, to-do titles)
wherever they occur literally. The contact row stays as a placeholder ("Удалено") so that the
timeline still says "a person of this company"; consents are withdrawn, not deleted, because
the consent history is what proves earlier processing was lawful. Past audit events about the
person lose the personal values they recorded but keep who changed what and when; the
erasure itself is audited with its reason and no personal data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.core import audit
from clientdesk.core.permissions import require_perm_or_403
from clientdesk.core.roles import Perm

from .models import (
    Consent,
    Contact,
    ContactPoint,
    DuplicateCandidate,
    Interaction,
    MergeRecord,
    Todo,
)
from .services import CONTACT_AUDIT_FIELDS

if TYPE_CHECKING:
    from clientdesk.accounts.models import User

ERASED = "Удалено"
_ERASED_MARK = f"[{ERASED}]"

# Fields that identify or describe the person; cleared on erasure and in past audit events.
PERSONAL_FIELDS = [
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
    "external_id",
    "points",
]


def _contact_dict(contact: Contact) -> dict[str, Any]:
    data = audit.snapshot(contact, CONTACT_AUDIT_FIELDS)
    data.update(
        id=contact.pk,
        full_name=contact.full_name,
        company={
            "id": contact.company_id,
            "name": contact.company.legal_name,
            "inn": contact.company.inn,
        },
        created_at=contact.created_at.isoformat(),
        updated_at=contact.updated_at.isoformat(),
        verified_at=contact.verified_at.isoformat() if contact.verified_at else None,
        erased_at=contact.erased_at.isoformat() if contact.erased_at else None,
    )
    return data


def export_person(contact: Contact) -> dict[str, Any]:
    """Everything held about one person, as JSON-ready data."""
    consents = contact.consents.select_related("text", "recorded_by").order_by("given_at")
    interactions = Interaction.objects.filter(contact=contact).select_related("staff")
    todos = Todo.objects.filter(contact=contact).select_related("assignee")
    return {
        "exported_at": timezone.now().isoformat(),
        "contact": _contact_dict(contact),
        "phones_and_emails": [
            {"kind": p.kind, "value": p.value, "label": p.label, "primary": p.is_primary}
            for p in contact.points.order_by("kind", "-is_primary", "value")
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "channel": c.channel,
                "given_at": c.given_at.isoformat(),
                "source": c.source,
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                "withdrawal_source": c.withdrawal_source,
                "text_version": c.text.version if c.text else None,
                "text": c.text.text if c.text else None,
            }
            for c in consents
        ],
        "interactions": [
            {
                "occurred_at": i.occurred_at.isoformat(),
                "channel": i.channel,
                "direction": i.direction,
                "subject": i.subject,
                "summary": i.summary,
                "outcome": i.outcome,
                "next_step": i.next_step,
                "next_step_due": i.next_step_due.isoformat() if i.next_step_due else None,
                "employee": str(i.staff) if i.staff else None,
            }
            for i in interactions.order_by("occurred_at", "id")
        ],
        "todos": [
            {
                "kind": t.kind,
                "title": t.title,
                "due_on": t.due_on.isoformat() if t.due_on else None,
                "done_at": t.done_at.isoformat() if t.done_at else None,
                "assignee": str(t.assignee) if t.assignee else None,
            }
            for t in todos.order_by("created_at", "id")
        ],
        "audit_events": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "actor": str(e.actor) if e.actor else None,
                "changes": e.changes,
            }
            for e in audit.history_of(contact).order_by("at", "id")
        ],
    }


@transaction.atomic
def export_person_for(*, contact: Contact, by: User) -> dict[str, Any]:
    """The export, with a record of who took it: handing out personal data is itself processing."""
    require_perm_or_403(by, Perm.PERSONAL_DATA_MANAGE)
    data = export_person(contact)
    audit.record(actor=by, action="clients.contact_exported", target=contact, changes={})
    return data


def _identifiers(contact: Contact) -> list[str]:
    """Literal strings that identify the person, longest first so that a full name is cut
    before its surname."""
    values = {
        contact.full_name,
        f"{contact.last_name} {contact.first_name}".strip(),
        f"{contact.first_name} {contact.last_name}".strip(),
        contact.email,
        contact.phone,
        *contact.points.values_list("value", flat=True),
    }
    return sorted((v for v in values if v and len(v) >= 5), key=len, reverse=True)


def _scrub(text: str, identifiers: list[str]) -> str:
    for value in identifiers:
        text = text.replace(value, _ERASED_MARK)
    return text


def _depersonalise_timeline(contact: Contact, identifiers: list[str]) -> None:
    for interaction in Interaction.objects.filter(contact=contact):
        interaction.summary = ERASED if interaction.summary else ""
        interaction.subject = _scrub(interaction.subject, identifiers)
        interaction.outcome = _scrub(interaction.outcome, identifiers)
        interaction.next_step = _scrub(interaction.next_step, identifiers)
        interaction.save(update_fields=["summary", "subject", "outcome", "next_step"])
    for todo in Todo.objects.filter(contact=contact):
        todo.title = _scrub(todo.title, identifiers)
        todo.save(update_fields=["title"])


def _depersonalise_history(contact: Contact) -> None:
    for event in audit.history_of(contact):
        changes = dict(event.changes or {})
        for name in PERSONAL_FIELDS:
            if name in changes:
                changes[name] = ERASED
        event.changes = changes
        event.target_repr = ERASED
        event.save(update_fields=["changes", "target_repr"])
    MergeRecord.objects.filter(kind=DuplicateCandidate.Kind.CONTACT).filter(
        merged_id=contact.pk
    ).update(merged_snapshot={}, fields_taken={})
    MergeRecord.objects.filter(kind=DuplicateCandidate.Kind.CONTACT, survivor_id=contact.pk).update(
        merged_snapshot={}, fields_taken={}
    )
    DuplicateCandidate.objects.filter(
        kind=DuplicateCandidate.Kind.CONTACT, status=DuplicateCandidate.Status.OPEN
    ).filter(left_id=contact.pk).delete()
    DuplicateCandidate.objects.filter(
        kind=DuplicateCandidate.Kind.CONTACT,
        status=DuplicateCandidate.Status.OPEN,
        right_id=contact.pk,
    ).delete()


@transaction.atomic
def erase_person(*, contact: Contact, by: User, reason: str) -> Contact:
    """Erases the person's data for good (see the module's docstring for what stays)."""
    require_perm_or_403(by, Perm.PERSONAL_DATA_MANAGE)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(
            {"reason": [_("Say why the data is erased (the request, its date and number).")]}
        )
    if contact.erased_at is not None:
        return contact
    now = timezone.now()
    identifiers = _identifiers(contact)
    _depersonalise_timeline(contact, identifiers)
    for consent in Consent.objects.filter(contact=contact, withdrawn_at__isnull=True):
        consent.withdrawn_at = now
        consent.withdrawal_source = Consent.Source.STAFF
        consent.save(update_fields=["withdrawn_at", "withdrawal_source"])
    ContactPoint.objects.filter(contact=contact).delete()
    _depersonalise_history(contact)

    contact.last_name = ERASED
    contact.first_name = ""
    for name in ("patronymic", "gender", "position", "department", "decision_role"):
        setattr(contact, name, "")
    for name in ("power_of_attorney_number", "email", "phone", "preferred_channel"):
        setattr(contact, name, "")
    contact.external_id = ""
    contact.power_of_attorney_expires = None
    contact.search_name = ""
    contact.completeness = 0
    contact.verified_at = None
    contact.erased_at = now
    contact.save()
    audit.record(
        actor=by,
        action="clients.contact_erased",
        target=contact,
        changes={"reason": reason, "company": contact.company_id},
    )
    return contact
