"""E-mails to the client about an appointment: confirmation of a booking, a move or a
cancellation, and the reminder before the visit, each with the documents to bring and a
calendar file (.ics).

Sent by `tasks.send_appointment_email`, which the services queue after commit. Written in the
contact's language (ru/en), from the service desk's address (`service.mail`), marked as
auto-generated.

Consent: these are transactional messages about a visit the person booked (or asked the call
center to book), sent on the legal basis of serving the request, so no marketing or survey
consent is asked for. Two limits hold: nothing goes to a contact whose personal data were
erased, and a reminder (a courtesy, not an answer to an action of theirs) is not sent to a
contact who withdrew the consent for service messages by e-mail and has none in force, nor to
one who turned appointment reminders off in the portal's notification preferences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clientdesk.clients.models import Channel, Consent, ConsentPurpose, Contact, ContactPoint
from clientdesk.clients.selectors import has_consent
from clientdesk.portal.models import PortalAccount
from clientdesk.portal.selectors import portal_account_for, wants_notification
from clientdesk.service.mail import service_from_address

from . import selectors
from .models import Appointment

KINDS = ("booked", "rescheduled", "cancelled", "reminder")
LANGUAGES = ("ru", "en")


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    contact: Contact | None


def _contact_address(contact: Contact) -> str:
    if contact.email:
        return contact.email
    point = (
        ContactPoint.objects.filter(contact=contact, kind=ContactPoint.Kind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""


def recipient_of(appointment: Appointment) -> Recipient | None:
    """The contact's address and language; a portal booking without a contact goes to the
    portal user who made it. None: nobody to write to."""
    contact = appointment.contact
    if contact is not None:
        if contact.erased_at is not None:
            return None
        address = _contact_address(contact)
        if address:
            return Recipient(address, contact.language or settings.LANGUAGE_CODE, contact)
    user = appointment.booked_by
    if user is not None and user.is_portal_user and user.email:
        language = user.language or settings.LANGUAGE_CODE
        return Recipient(user.email, language, None)
    return None


def objects_to_service_email(contact: Contact) -> bool:
    """The contact withdrew the consent for service messages by e-mail and has none in force."""
    withdrawn = Consent.objects.filter(
        contact=contact,
        purpose=ConsentPurpose.SERVICE,
        channel__in=["", Channel.EMAIL],
        withdrawn_at__isnull=False,
    ).exists()
    return withdrawn and not has_consent(contact, ConsentPurpose.SERVICE, Channel.EMAIL)


def wants_reminder(appointment: Appointment, recipient: Recipient) -> bool:
    """Reminders honour a withdrawn consent for service e-mail and the portal preference
    "appointment reminders" (of the contact's portal accounts, or of the portal user who
    booked when there is no contact)."""
    if recipient.contact is not None:
        if objects_to_service_email(recipient.contact):
            return False
        return wants_notification(recipient.contact.pk, "appointment_reminders")
    account = portal_account_for(appointment.booked_by)
    return account is None or bool(getattr(account, "notify_appointment_reminders", True))


def _greeting(contact: Contact | None, language: str) -> str:
    if contact is None:
        return _("Dear client,")
    if language == "ru" and contact.patronymic:
        name = f"{contact.first_name} {contact.patronymic}"
    else:
        name = contact.full_name
    if contact.gender == "m":
        return pgettext("greeting of a man", "Dear %(name)s,") % {"name": name}
    if contact.gender == "f":
        return pgettext("greeting of a woman", "Dear %(name)s,") % {"name": name}
    return _("Dear %(name)s,") % {"name": name}


def _when(appointment: Appointment) -> str:
    local = appointment.local_start
    return f"{formats.date_format(local, 'DATE_FORMAT')}, {local:%H:%M}"


def _subject(kind: str, appointment: Appointment) -> str:
    values = {"service": appointment.service.display_name, "when": _when(appointment)}
    if kind == "booked":
        return _("Appointment confirmed: %(service)s, %(when)s") % values
    if kind == "rescheduled":
        return _("Appointment moved: %(service)s, %(when)s") % values
    if kind == "cancelled":
        return _("Appointment cancelled: %(service)s, %(when)s") % values
    return _("Reminder of your appointment: %(service)s, %(when)s") % values


def _portal_link(appointment: Appointment, recipient: Recipient) -> str:
    """The appointment's portal page, for a recipient who can sign in to the portal."""
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if not base:
        return ""
    if recipient.contact is not None and not (
        PortalAccount.objects.filter(contact=recipient.contact, user__is_active=True).exists()
    ):
        return ""
    return base + reverse("portal:appointment", args=[appointment.pk])


# --- the calendar file (RFC 5545) ------------------------------------------------------------
def _ics_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_event(
    *,
    uid: str,
    sequence: int,
    starts_at: dt.datetime,
    minutes: int,
    summary: str,
    location: str,
    description: str,
    organizer: str,
    cancelled: bool = False,
    stamp: dt.datetime | None = None,
) -> str:
    """One event as a calendar file; a cancellation with the same UID removes it."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//clientdesk//service centers//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'PUBLISH'}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_utc(stamp or timezone.now())}",
        f"DTSTART:{_utc(starts_at)}",
        f"DTEND:{_utc(starts_at + dt.timedelta(minutes=minutes))}",
        f"SUMMARY:{_ics_text(summary)}",
        f"LOCATION:{_ics_text(location)}",
        f"DESCRIPTION:{_ics_text(description)}",
        f"ORGANIZER:mailto:{organizer}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def _ics(appointment: Appointment, documents: list[str]) -> str:
    group = selectors.group_of(appointment.center, appointment.service)
    center = appointment.center
    description = appointment.service.display_name
    if documents:
        description += "\n" + _("Documents to bring:") + "\n" + "\n".join(documents)
    domain = str(getattr(settings, "SERVICE_EMAIL_DOMAIN", "clientdesk.local"))
    sender = service_from_address()
    organizer = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return ics_event(
        uid=f"appointment-{appointment.pk}@{domain}",
        sequence=appointment.revision,
        starts_at=appointment.starts_at,
        minutes=group.handling_minutes if group else 15,
        summary=f"{appointment.service.display_name} · {center.name}",
        location=", ".join(p for p in (center.name, center.address) if p),
        description=description,
        organizer=organizer,
        cancelled=appointment.state == Appointment.State.CANCELLED,
    )


def appointment_email(appointment: Appointment, kind: str) -> EmailMessage | None:
    """The message for `kind`, in the recipient's language; None when nobody is to get it."""
    if kind not in KINDS:
        raise ValueError(f"Unknown appointment e-mail: {kind}")
    recipient = recipient_of(appointment)
    if recipient is None:
        return None
    if kind == "reminder" and not wants_reminder(appointment, recipient):
        return None
    language = recipient.language if recipient.language in LANGUAGES else settings.LANGUAGE_CODE
    with translation.override(language):
        documents = appointment.service.documents
        body = render_to_string(
            "centers/email/appointment.txt",
            {
                "kind": kind,
                "appointment": appointment,
                "greeting": _greeting(recipient.contact, language),
                "when": _when(appointment),
                "tz": appointment.center.timezone,
                "documents": documents,
                "link": _portal_link(appointment, recipient),
            },
        )
        subject = _subject(kind, appointment)
        ics = _ics(appointment, documents)
    email = EmailMessage(
        subject=subject,
        body=body.strip() + "\n",
        from_email=service_from_address(),
        to=[recipient.address],
        reply_to=[service_from_address()],
        headers={"Auto-Submitted": "auto-generated"},
    )
    method = "CANCEL" if appointment.state == Appointment.State.CANCELLED else "PUBLISH"
    email.attach("appointment.ics", ics, f"text/calendar; charset=utf-8; method={method}")
    return email


def send_appointment_email(appointment_id: int, kind: str) -> bool:
    appointment = (
        Appointment.objects.select_related("center", "service", "company", "contact", "booked_by")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return False
    # A message queued before a later change describes a state that no longer holds.
    if kind == "reminder" and appointment.state != Appointment.State.BOOKED:
        return False
    if kind in ("booked", "rescheduled") and appointment.state == Appointment.State.CANCELLED:
        return False  # cancelled before the worker got to it: the cancellation says it all
    email = appointment_email(appointment, kind)
    if email is None:
        return False
    email.send(fail_silently=False)
    return True
