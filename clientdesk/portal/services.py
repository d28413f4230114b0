"""Writes of the portal domain: invitations, portal accounts and their roles, subsidiary access,
shared documents, preferences and consents, proposals of company details.

Every function is keyword-only, runs in one transaction and records its audit event. Rights are
checked by the views and again here (`_check_manager`), since a service may be called from
elsewhere (the API, a shell) with any user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.accounts.models import User
from clientdesk.clients import selectors as client_selectors
from clientdesk.clients import services as client_services
from clientdesk.clients.models import Channel, Company, Consent, ConsentPurpose, Contact, Contract
from clientdesk.clients.validators import clean_email
from clientdesk.core import audit
from clientdesk.service import files
from clientdesk.service import services as service_services
from clientdesk.service.models import ServiceRequest

from . import emails
from .models import DocumentKind, Invitation, PortalAccount, PortalRole, SharedDocument
from .selectors import (
    active_admins,
    allowed_company_ids,
    group_subsidiaries,
    is_company_admin,
    portal_account_for,
    requester_for,
    staff_may_manage,
)

DEFAULT_INVITATION_DAYS = 7
PROFILE_TOPIC = "profile-change"
NOTIFICATION_KINDS = ("request_reply", "status_change", "appointment_reminders", "newsletters")
# What a client may decide about themselves in the portal; "service" consents come with the
# contract and are changed through the account manager.
CONSENT_PURPOSES = (ConsentPurpose.MARKETING, ConsentPurpose.SURVEYS, ConsentPurpose.ANALYTICS)
CONSENT_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PHONE)


def invitation_ttl() -> dt.timedelta:
    days = int(getattr(settings, "PORTAL_INVITATION_DAYS", DEFAULT_INVITATION_DAYS))
    return dt.timedelta(days=max(1, days))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)  # 256 bits: not guessable, fits a URL
    return token, token_hash(token)


def _check_manager(by: Any, company: Company) -> None:
    """Staff who manage the company's portal, or an active administrator of its own portal."""
    if staff_may_manage(by, company):
        return
    account = portal_account_for(by)
    if account is not None and account.company_id == company.pk and is_company_admin(account):
        return
    raise PermissionDenied


def _error(field: str | None, message: str) -> ValidationError:
    return ValidationError({field: [message]} if field else message)


# --- invitations -----------------------------------------------------------------------------
@dataclass(frozen=True)
class InvitationInput:
    contact: Contact
    email: str
    role: str = PortalRole.MEMBER


@transaction.atomic
def invitation_create(*, company: Company, data: InvitationInput, by: Any) -> Invitation:
    """Invites a contact person of the company; the e-mail with the link goes after commit."""
    _check_manager(by, company)
    errors: dict[str, list[str]] = {}
    try:
        email = clean_email(data.email)
    except ValidationError as exc:
        errors["email"] = exc.messages
        email = ""
    if not email and "email" not in errors:
        errors["email"] = [_("Enter the e-mail address the invitation goes to.")]
    contact = data.contact
    if contact.company_id != company.pk or contact.left_company or contact.erased_at:
        errors["contact"] = [_("Choose a current contact person of this company.")]
    if data.role not in PortalRole.values:
        errors["role"] = [_("Choose a portal role from the list.")]
    if email and User.objects.filter(username__iexact=email).exists():
        errors.setdefault("email", []).append(
            _("A user with this e-mail already exists; ask the administrator to bind it.")
        )
    if email and PortalAccount.objects.filter(contact=contact, user__is_active=True).exists():
        errors["contact"] = [_("This person already has a portal account.")]
    if errors:
        raise ValidationError(errors)
    # One open invitation per address and company: a new one replaces the old link.
    now = timezone.now()
    Invitation.objects.filter(
        company=company,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now)
    token, hashed = _new_token()
    invitation = Invitation.objects.create(
        company=company,
        contact=contact,
        email=email,
        role=data.role,
        token_hash=hashed,
        created_by=by if getattr(by, "is_authenticated", False) else None,
        expires_at=now + invitation_ttl(),
        sent_at=now,
    )
    audit.record(
        actor=by,
        action="portal.invitation_created",
        target=company,
        changes={"invitation": invitation.pk, "email": email, "role": data.role},
    )
    emails.send_invitation_on_commit(invitation_id=invitation.pk, token=token)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: Any) -> Invitation:
    """A new link (the old one stops working) with a new expiry, sent again."""
    _check_manager(by, invitation.company)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise _error(None, _("Only an open or expired invitation can be sent again."))
    token, hashed = _new_token()
    now = timezone.now()
    invitation.token_hash = hashed
    invitation.expires_at = now + invitation_ttl()
    invitation.sent_at = now
    invitation.save(update_fields=["token_hash", "expires_at", "sent_at"])
    audit.record(
        actor=by,
        action="portal.invitation_resent",
        target=invitation.company,
        changes={"invitation": invitation.pk, "email": invitation.email},
    )
    emails.send_invitation_on_commit(invitation_id=invitation.pk, token=token)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: Any) -> Invitation:
    _check_manager(by, invitation.company)
    if invitation.accepted_at is not None:
        raise _error(None, _("The invitation was accepted already; deactivate the account."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(
            actor=by,
            action="portal.invitation_revoked",
            target=invitation.company,
            changes={"invitation": invitation.pk, "email": invitation.email},
        )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation whose link carries `token` (any state), or None for a made-up token."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("company", "contact")
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Creates the portal user and account; the link is spent in the same transaction."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.state != Invitation.State.OPEN:
        raise _error(None, _("This invitation is no longer valid."))
    if User.objects.filter(username__iexact=locked.email).exists():
        raise _error(None, _("A user with this e-mail already exists; sign in instead."))
    contact = locked.contact
    user = User(
        username=locked.email,
        email=locked.email,
        kind=User.Kind.PORTAL,
        first_name=contact.first_name,
        last_name=contact.last_name,
        patronymic=contact.patronymic,
        position=contact.position,
        language=contact.language or "",
    )
    user.set_password(password)
    user.save()
    account = PortalAccount.objects.create(
        user=user, company=locked.company, contact=contact, role=locked.role
    )
    locked.accepted_at = timezone.now()
    locked.account = account
    locked.save(update_fields=["accepted_at", "account"])
    audit.record(
        actor=user,
        action="portal.invitation_accepted",
        target=locked.company,
        changes={"invitation": locked.pk, "account": account.pk, "role": locked.role},
    )
    return user


# --- accounts and roles ----------------------------------------------------------------------
def _would_leave_no_admin(account: PortalAccount) -> bool:
    return (
        account.role == PortalRole.ADMIN
        and account.user.is_active
        and not active_admins(account.company).exclude(pk=account.pk).exists()
    )


@transaction.atomic
def account_role_set(*, account: PortalAccount, role: str, by: Any) -> PortalAccount:
    _check_manager(by, account.company)
    if role not in PortalRole.values:
        raise _error("role", _("Choose a portal role from the list."))
    if role == account.role:
        return account
    # Locked, so that two administrators demoting each other cannot both succeed.
    list(active_admins(account.company).select_for_update())
    if role != PortalRole.ADMIN and _would_leave_no_admin(account):
        raise _error(
            "role", _("The company would be left without a portal administrator: appoint another.")
        )
    before = account.role
    account.role = role
    account.save(update_fields=["role"])
    audit.record(
        actor=by, action="portal.account_role", target=account, changes={"role": [before, role]}
    )
    return account


@transaction.atomic
def account_active_set(*, account: PortalAccount, active: bool, by: Any) -> PortalAccount:
    """Deactivation signs the user out of the portal at once (inactive users have no scope)."""
    _check_manager(by, account.company)
    list(active_admins(account.company).select_for_update())
    user = account.user
    if user.is_active == active:
        return account
    if not active and _would_leave_no_admin(account):
        raise _error(
            None, _("The company would be left without a portal administrator: appoint another.")
        )
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        actor=by,
        action="portal.account_activated" if active else "portal.account_deactivated",
        target=account,
        changes={"is_active": [not active, active]},
    )
    return account


@transaction.atomic
def extra_company_grant(*, account: PortalAccount, company: Company, by: Any) -> None:
    """Staff only: lets the account see a subsidiary or branch of its own company's group."""
    if not staff_may_manage(by, account.company):
        raise PermissionDenied
    if company.pk not in {c.pk for c in group_subsidiaries(account.company)}:
        raise _error(
            "company",
            _("Only a subsidiary or branch of the same group of companies can be granted."),
        )
    account.extra_companies.add(company)
    audit.record(
        actor=by, action="portal.access_granted", target=account, changes={"company": company.pk}
    )


@transaction.atomic
def extra_company_revoke(*, account: PortalAccount, company: Company, by: Any) -> None:
    if not staff_may_manage(by, account.company):
        raise PermissionDenied
    account.extra_companies.remove(company)
    if account.current_company_id == company.pk:
        account.current_company = None
        account.save(update_fields=["current_company"])
    audit.record(
        actor=by, action="portal.access_revoked", target=account, changes={"company": company.pk}
    )


@transaction.atomic
def current_company_set(*, account: PortalAccount, company_id: int | None) -> PortalAccount:
    """What the portal user looks at; None means all the companies they may see."""
    if company_id is not None and company_id not in allowed_company_ids(account):
        raise _error("company", _("Choose one of your companies."))
    account.current_company_id = company_id
    account.save(update_fields=["current_company"])
    return account


# --- shared documents ------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentInput:
    kind: str
    title: str
    name: str
    stream: IO[bytes]
    size: int | None
    contract: Contract | None = None
    visible_in_portal: bool = True


@transaction.atomic
def document_upload(*, company: Company, data: DocumentInput, by: Any) -> SharedDocument:
    if not staff_may_manage(by, company):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if data.kind not in DocumentKind.values:
        errors["kind"] = [_("Choose the kind of document.")]
    if not data.title.strip():
        errors["title"] = [_("Give the document a title the client will recognise.")]
    if data.contract is not None and data.contract.company_id != company.pk:
        errors["contract"] = [_("Choose a contract of this company.")]
    try:
        checked = files.check_upload(data.stream, data.name, declared_size=data.size)
    except ValidationError as exc:
        errors["file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    document = SharedDocument(
        company=company,
        kind=data.kind,
        title=data.title.strip()[:300],
        contract=data.contract,
        visible_in_portal=data.visible_in_portal,
        original_name=files.safe_filename(data.name),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    document.file.save("upload", ContentFile(checked.content), save=False)
    stored = document.file.name or ""
    try:
        document.save()
    except Exception:
        document.file.storage.delete(stored)
        raise
    audit.record(
        actor=by,
        action="portal.document_uploaded",
        target=company,
        changes={"document": document.pk, "title": document.title, "size": checked.size},
    )
    return document


@transaction.atomic
def document_visibility_set(*, document: SharedDocument, visible: bool, by: Any) -> SharedDocument:
    if not staff_may_manage(by, document.company):
        raise PermissionDenied
    if document.visible_in_portal != visible:
        document.visible_in_portal = visible
        document.save(update_fields=["visible_in_portal"])
        audit.record(
            actor=by,
            action="portal.document_visibility",
            target=document.company,
            changes={"document": document.pk, "visible_in_portal": [not visible, visible]},
        )
    return document


# --- preferences and consents ----------------------------------------------------------------
@transaction.atomic
def notification_preferences_set(
    *, account: PortalAccount, preferences: Mapping[str, bool], by: Any
) -> PortalAccount:
    before = audit.snapshot(account, [f"notify_{k}" for k in NOTIFICATION_KINDS])
    for kind in NOTIFICATION_KINDS:
        if kind in preferences:
            setattr(account, f"notify_{kind}", bool(preferences[kind]))
    after = audit.snapshot(account, [f"notify_{k}" for k in NOTIFICATION_KINDS])
    changes = audit.diff(before, after)
    if changes:
        account.save(update_fields=list(changes))
        audit.record(actor=by, action="portal.preferences", target=account, changes=changes)
    return account


def consent_matrix(contact: Contact) -> dict[str, set[str]]:
    """purpose -> channels the person consents to now (a general consent covers them all)."""
    return {
        purpose: {
            ch for ch in CONSENT_CHANNELS if client_selectors.has_consent(contact, purpose, ch)
        }
        for purpose in CONSENT_PURPOSES
    }


@transaction.atomic
def consents_set(*, contact: Contact, wanted: Mapping[str, set[str]], by: Any) -> None:
    """Brings the person's consents to `wanted` (purpose -> channels) through the registry's
    own services: gives what is missing, withdraws what is no longer wanted. A general consent
    (every channel) that no longer holds for every channel is withdrawn and the channels still
    wanted are given one by one, so that the history shows exactly what the person chose."""
    source = Consent.Source.PORTAL
    for purpose in CONSENT_PURPOSES:
        channels = {c for c in wanted.get(purpose, set()) if c in CONSENT_CHANNELS}
        active = list(
            Consent.objects.filter(contact=contact, purpose=purpose, withdrawn_at__isnull=True)
        )
        general = [c for c in active if c.channel == ""]
        if general and channels != set(CONSENT_CHANNELS):
            for consent in general:
                client_services.consent_withdraw(consent=consent, source=source, by=by)
            general = []
        for consent in active:
            if consent.channel and consent.channel not in channels:
                client_services.consent_withdraw(consent=consent, source=source, by=by)
        if general:
            continue
        have = {c.channel for c in active if c.channel and c.channel in channels}
        for channel in sorted(channels - have):
            client_services.consent_give(
                contact=contact, purpose=purpose, channel=channel, source=source, by=by
            )


# --- proposals of company details ------------------------------------------------------------
@transaction.atomic
def profile_change_propose(
    *,
    account: PortalAccount,
    company: Company,
    changes: list[tuple[str, str, str]],
    comment: str,
    by: Any,
) -> ServiceRequest:
    """A request to the company's account manager, who checks and applies the change: the
    registry is never changed by the client directly. `changes` are (label, current, proposed)."""
    if not changes:
        raise _error(None, _("Fill in at least one field with a new value."))
    lines = [f"{label}: «{old or '—'}» → «{new}»" for label, old, new in changes]
    if comment := comment.strip():
        lines += ["", comment]
    contact, reply_to = requester_for(account, company)
    created = service_services.request_create(
        data=service_services.RequestInput(
            company=company,
            contact=contact,
            reply_to_email=reply_to,
            channel=Channel.PORTAL,
            source="portal",
            topic=PROFILE_TOPIC,
            subject=_("Change of company details"),
            body="\n".join(lines),
        ),
        by=by,
    )
    manager = company.account_manager
    if manager is not None and manager.is_active and created.assignee_id != manager.pk:
        service_services.request_assign(request=created, to=manager, by=None)
    return created
