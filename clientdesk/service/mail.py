"""E-mail in and out of requests.

Out: a reply goes to the client with "[R-2026-000123]" in the subject and Message-ID,
In-Reply-To and References headers, so that the client's mail program threads it and the
client's answer comes back to the same request.

In (`email_ingest`): the stdlib parser reads the raw message. It joins an existing request when
(1) In-Reply-To or References name a message of a request (Message-IDs are unguessable), or
(2) the subject carries a request number and the sender is that request's contact or a contact
of the same company (a number alone is guessable, so a stranger quoting it opens a new request
instead of writing into someone else's case). A message about a closed request opens a new one
linked as a repeat. Otherwise a new request is opened; the sender is matched to a contact by
e-mail; an unknown sender's request has no company and waits in the triage queue. HTML is
sanitised; attachments pass the same checks as uploads (refused ones are listed in a note).
The same Message-ID twice is ingested once. Other domains see each new message first through
`hooks.register_inbound_mail_handler` (a reply to a campaign is recorded there) and it still
becomes a request: see the rule in hooks.py.
"""

from __future__ import annotations

import io
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid, parseaddr
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clientdesk.clients.models import Channel, Contact, ContactPoint

from . import files
from .hooks import inbound_mail_handled
from .models import RequestMessage, ServiceRequest, Status
from .services import RequestInput, request_client_message, request_create, request_note
from .text import clean_html, html_to_text, text_to_html

NUMBER_IN_SUBJECT = re.compile(r"\[(R-\d{4}-\d{6,})\]")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def _domain() -> str:
    return str(getattr(settings, "SERVICE_EMAIL_DOMAIN", "clientdesk.local"))


def service_from_address() -> str:
    return str(getattr(settings, "SERVICE_EMAIL_FROM", settings.DEFAULT_FROM_EMAIL))


def new_message_id(request: ServiceRequest) -> str:
    return make_msgid(idstring=(request.number or "R").replace("-", ""), domain=_domain())


def thread_ids(request: ServiceRequest, *, limit: int = 20) -> list[str]:
    ids = list(
        request.messages.exclude(email_message_id="")
        .exclude(kind=RequestMessage.Kind.NOTE)
        .order_by("-created_at", "-id")
        .values_list("email_message_id", flat=True)[:limit]
    )
    return list(reversed(ids))


def reply_email(message: RequestMessage, recipient: str) -> EmailMultiAlternatives:
    request = message.request
    ids = [i for i in thread_ids(request) if i != message.email_message_id]
    last_client = (
        request.messages.filter(kind=RequestMessage.Kind.CLIENT)
        .exclude(email_message_id="")
        .order_by("-created_at", "-id")
        .values_list("email_message_id", flat=True)
        .first()
    )
    headers = {"Message-ID": message.email_message_id}
    if ids:
        headers["References"] = " ".join(ids)
        headers["In-Reply-To"] = last_client or ids[-1]
    email = EmailMultiAlternatives(
        subject=f"Re: [{request.number}] {request.subject}",
        body=html_to_text(message.body_html),
        from_email=service_from_address(),
        to=[recipient],
        reply_to=[service_from_address()],
        headers=headers,
    )
    email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as fh:
            email.attach(attachment.original_name, fh.read(), attachment.content_type)
    return email


def send_reply(message_id: int) -> bool:
    from .services import recipient_of

    message = (
        RequestMessage.objects.select_related("request__contact")
        .filter(pk=message_id, kind=RequestMessage.Kind.REPLY)
        .first()
    )
    if message is None:
        return False
    recipient = recipient_of(message.request)
    if not recipient:
        return False
    reply_email(message, recipient).send(fail_silently=False)
    return True


# Status changes the client is told about by e-mail; the others (taken into work after a
# reply, reopened by the client) follow from a message the client already has.
NOTIFIED_STATUSES = frozenset({Status.WAITING, Status.RESOLVED, Status.CLOSED})


def send_status_notice(*, request_id: int, status: str, comment: str = "") -> bool:
    """Tells the client, formally and in the contact person's language, that their request
    changed status. False when there is no one to write to or the status moved on since."""
    from .services import recipient_of

    request = ServiceRequest.objects.select_related("contact").filter(pk=request_id).first()
    if request is None or request.status != status:
        return False
    recipient = recipient_of(request)
    if not recipient:
        return False
    contact = request.contact
    language = (contact.language if contact is not None else "") or "ru"
    link = ""
    if request.channel == Channel.PORTAL:
        # The portal is a later domain: its page is linked when it is installed.
        try:
            link = str(getattr(settings, "SITE_URL", "") or "").rstrip("/") + reverse(
                "portal:request", args=[request.pk]
            )
        except NoReverseMatch:
            link = ""
    with translation.override(language):
        context = {
            "request": request,
            "contact": contact,
            "status": Status(status).label,
            "status_code": status,
            "comment": comment,
            "link": link,
        }
        subject = render_to_string("service/email/status_subject.txt", context)
        body = render_to_string("service/email/status_body.txt", context)
    send_notice(to=[recipient], subject=" ".join(subject.split()), body=body)
    return True


def send_notice(*, to: list[str], subject: str, body: str) -> None:
    if not to:
        return
    EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=service_from_address(),
        to=to,
        headers={"Auto-Submitted": "auto-generated"},
        connection=get_connection(),
    ).send(fail_silently=False)


# --- inbound ---------------------------------------------------------------------------------
def _body_html(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html", "plain"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        return clean_html(str(content))
    return text_to_html(str(content))


def _sender_contact(address: str) -> Contact | None:
    if not address:
        return None
    point = (
        ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, value=address)
        .select_related("contact__company")
        .order_by("contact__left_company", "-is_primary", "id")
        .first()
    )
    if point is not None:
        return point.contact
    return (
        Contact.objects.filter(email__iexact=address, company__merged_into__isnull=True)
        .select_related("company")
        .order_by("left_company", "id")
        .first()
    )


def _thread_target(
    msg: EmailMessage, subject: str, contact: Contact | None
) -> ServiceRequest | None:
    refs = _MESSAGE_ID.findall(
        str(msg.get("In-Reply-To", "")) + " " + str(msg.get("References", ""))
    )
    if refs:
        known = (
            RequestMessage.objects.filter(email_message_id__in=refs[-50:])
            .select_related("request")
            .order_by("-created_at")
            .first()
        )
        if known is not None:
            return known.request
    match = NUMBER_IN_SUBJECT.search(subject)
    if match and contact is not None:
        request = ServiceRequest.objects.filter(number=match.group(1)).first()
        if request is not None and (
            request.contact_id == contact.pk or request.company_id == contact.company_id
        ):
            return request
    return None


Upload = tuple[str, IO[bytes], int | None]


def _attachments(msg: EmailMessage) -> tuple[list[Upload], list[str]]:
    accepted: list[Upload] = []
    refused: list[str] = []
    for part in msg.iter_attachments():
        name = files.safe_filename(part.get_filename() or "attachment")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        try:
            files.check_upload(io.BytesIO(payload), name, declared_size=len(payload))
        except ValidationError as exc:
            refused.append(" ".join(exc.messages))
            continue
        accepted.append((name, io.BytesIO(payload), len(payload)))
    return accepted, refused


@transaction.atomic
def email_ingest(raw: bytes) -> ServiceRequest:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    message_id = str(msg.get("Message-ID", "")).strip()[:255]
    if message_id:
        seen = RequestMessage.objects.filter(email_message_id=message_id).select_related("request")
        if seen.exists():
            return seen.first().request  # type: ignore[union-attr]
    inbound_mail_handled(msg)
    address = parseaddr(str(msg.get("From", "")))[1].strip().lower()
    subject = " ".join(str(msg.get("Subject", "")).split()) or _("(no subject)")
    contact = _sender_contact(address)
    body_html = _body_html(msg)
    accepted, refused = _attachments(msg)
    in_reply_to = str(msg.get("In-Reply-To", "")).strip()[:255]
    target = _thread_target(msg, subject, contact)
    if target is not None and target.status != Status.CLOSED:
        request_client_message(
            request=target,
            body=body_html,
            channel=Channel.EMAIL,
            contact=contact if contact and contact.company_id == target.company_id else None,
            from_email=address,
            email_message_id=message_id,
            email_in_reply_to=in_reply_to,
            attachments=accepted,
        )
        request = target
    else:
        clean_subject = NUMBER_IN_SUBJECT.sub("", subject).strip() or subject
        request = request_create(
            data=RequestInput(
                company=contact.company if contact else None,
                contact=contact,
                channel=Channel.EMAIL,
                subject=re.sub(r"^(re|fwd?|ответ|пересл)\s*:\s*", "", clean_subject, flags=re.I),
                body=body_html,
                source="email",
                reply_to_email=address,
                email_message_id=message_id,
                email_in_reply_to=in_reply_to,
                attachments=accepted,
            ),
            by=None,
        )
        if target is not None:
            ServiceRequest.objects.filter(pk=request.pk).update(repeat_of=target)
            request.repeat_of = target
    if refused:
        request_note(
            request=request,
            body=_("Attachments not accepted:") + "\n" + "\n".join(refused),
            by=None,
        )
    return request
