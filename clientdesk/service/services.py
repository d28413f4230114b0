"""Writes of the service domain. Every function validates, writes in one transaction, records an
audit event and puts the change on the company's timeline (`interaction_record`, source
"service.request:<id>"); a request still in triage (an e-mail from an unknown sender) has no
company yet, so only the audit trail sees its changes until a company is set.

Workflow (`TRANSITIONS`): new → in progress / waiting / resolved / closed (spam, duplicate);
in progress → waiting / resolved; waiting → in progress / resolved; resolved → closed /
reopened; reopened → in progress / waiting / resolved; closed is final (a client writing
about a closed case opens a new request linked to it as a repeat).

SLA clock: paused while waiting for the client and while resolved; resuming adds the paused
business minutes to the request and moves its due times (see sla.py).

Routing (`route`), in order:
1. a `KeyClientRoute` of the company: its named person, else the least loaded agent of its team;
2. a key client (segment class A) with an account manager: the account manager;
3. the service's unit: among its available agents who have every skill the service needs and
   are below their capacity, the one with the fewest open requests (ties: the longest-serving
   agent record); nobody suitable leaves the request unassigned in the unit's queue.

Repeat contact: a request of the same company for the same service (or, without a service, the
same topic) opened within SERVICE_REPEAT_DAYS (default 7) days before is linked as `repeat_of`;
if both came by a visit to a service center, the new one is also a repeat visit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.clients import services as client_services
from clientdesk.clients.models import Channel, Company, Contact, ContactPoint, Todo
from clientdesk.clients.validators import clean_phone
from clientdesk.core import audit

from . import files, sla
from .models import (
    OPEN_STATUSES,
    Agent,
    Attachment,
    AvoidableReason,
    CallLog,
    KeyClientRoute,
    Priority,
    RequestMessage,
    Service,
    ServiceRequest,
    SlaEvent,
    StandardDocument,
    Status,
    StatusChange,
    Unit,
)
from .segmenting import SegmentInfo, segment_of
from .text import body_to_html, html_to_text

if TYPE_CHECKING:
    from clientdesk.accounts.models import User

DEFAULT_REPEAT_DAYS = 7


# Requests the client follows in writing get status e-mails; a call or a visit is closed with
# the person on the line or at the desk.
EMAILED_CHANNELS = frozenset({Channel.PORTAL, Channel.EMAIL, Channel.API})


def repeat_days() -> int:
    """How far back a contact about the same thing counts as a repeat (SERVICE_REPEAT_DAYS)."""
    return int(getattr(settings, "SERVICE_REPEAT_DAYS", DEFAULT_REPEAT_DAYS))


TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.RESOLVED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.REOPENED: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED}),
    Status.CLOSED: frozenset(),
}
# The clock stops in these statuses (waiting for the client; resolved until reopened or closed).
PAUSED_STATUSES = frozenset({Status.WAITING, Status.RESOLVED})


def source_of(request: ServiceRequest) -> str:
    return f"service.request:{request.pk}"


def _timeline(
    request: ServiceRequest,
    *,
    subject: str,
    by: User | None,
    direction: str = "out",
    summary: str = "",
    outcome: str = "",
    channel: str | None = None,
) -> None:
    if request.company_id is None:
        return
    assert request.company is not None
    client_services.interaction_record(
        company=request.company,
        channel=channel or request.channel,
        subject=f"{request.number}: {subject}",
        contact=request.contact,
        staff=by,
        direction=direction,
        summary=summary[:2000],
        outcome=outcome,
        source=source_of(request),
    )


def _error(field_name: str, message: str) -> ValidationError:
    return ValidationError({field_name: [message]})


# --- routing ---------------------------------------------------------------------------------
def least_loaded_agent(*, unit: Unit, skill_ids: list[int]) -> User | None:
    """The available agent of `unit` with every skill in `skill_ids`, below capacity, with the
    fewest open requests (ties: the oldest agent record). One query; the load of each agent is
    counted on the partial index of open requests by assignee."""
    open_count = (
        ServiceRequest.objects.filter(assignee=OuterRef("user_id"), is_open=True)
        .order_by()
        .values("assignee")
        .annotate(n=Count("id"))
        .values("n")
    )
    agents = Agent.objects.filter(units=unit, is_available=True, user__is_active=True)
    wanted = set(skill_ids)
    if wanted:
        qualified = (
            Agent.skills.through.objects.filter(skill_id__in=wanted)
            .values("agent_id")
            .annotate(n=Count("skill_id", distinct=True))
            # A dict: the type checker's plugin does not see annotations of a through model.
            .filter(**{"n": len(wanted)})
            .values("agent_id")
        )
        agents = agents.filter(pk__in=qualified)
    agent = (
        agents.annotate(load=Coalesce(Subquery(open_count), Value(0)))
        .filter(load__lt=F("capacity"))
        .select_related("user")
        .order_by("load", "id")
        .first()
    )
    return agent.user if agent else None


def route(
    *, company: Company | None, service: Service | None, segment: SegmentInfo | None
) -> tuple[User | None, Unit | None]:
    unit = service.unit if service else None
    skill_ids = [s.pk for s in service.skills.all()] if service else []
    if company is not None:
        key_route = (
            KeyClientRoute.objects.filter(company=company)
            .select_related("assignee", "team")
            .first()
        )
        if key_route is not None and (key_route.assignee_id or key_route.team_id):
            team = key_route.team or unit
            if key_route.assignee is not None and key_route.assignee.is_active:
                return key_route.assignee, team
            if key_route.team is not None:
                return least_loaded_agent(unit=key_route.team, skill_ids=[]), key_route.team
        manager = company.account_manager
        if segment is not None and segment.is_key_client and manager and manager.is_active:
            return manager, unit
    if unit is None:
        return None, None
    return least_loaded_agent(unit=unit, skill_ids=skill_ids), unit


# --- repeat contact --------------------------------------------------------------------------
def find_repeat_of(
    *,
    company: Company | None,
    service: Service | None,
    topic: str,
    at: dt.datetime,
    exclude_pk: int | None = None,
) -> ServiceRequest | None:
    if company is None or (service is None and not topic):
        return None
    # Topics are stored lower-case: SQLite's case-insensitive match knows ASCII only.
    same = Q(service=service) if service is not None else Q(topic=topic.strip().lower())
    qs = ServiceRequest.objects.filter(
        same,
        company=company,
        created_at__gte=at - dt.timedelta(days=repeat_days()),
        created_at__lt=at,
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("-created_at", "-id").first()


# --- creating --------------------------------------------------------------------------------
@dataclass
class RequestInput:
    """A request as any channel describes it, in clean values."""

    company: Company | None
    channel: str
    subject: str
    body: str = ""
    contact: Contact | None = None
    service: Service | None = None
    priority: str = Priority.NORMAL
    topic: str = ""
    source: str = ""
    reply_to_email: str = ""
    email_message_id: str = ""
    email_in_reply_to: str = ""
    created_at: dt.datetime | None = None
    attachments: list[tuple[str, IO[bytes], int | None]] = field(default_factory=list)


def _validate(data: RequestInput) -> None:
    errors: dict[str, list[str]] = {}
    if not " ".join(data.subject.split()):
        errors["subject"] = [_("Enter the subject: what the client asks for, in a few words.")]
    if data.channel not in Channel.values:
        errors["channel"] = [_("Choose a channel from the list.")]
    if data.priority not in Priority.values:
        errors["priority"] = [_("Choose a priority: low, normal, high or urgent.")]
    if data.contact is not None and (
        data.company is None or data.contact.company_id != data.company.pk
    ):
        errors["contact"] = [_("%(name)s works for another company.") % {"name": data.contact}]
    if data.company is not None and data.company.merged_into_id is not None:
        errors["company"] = [_("This company was merged into another: open the request there.")]
    service = data.service
    if service is not None:
        if not service.is_active:
            errors["service"] = [_("This service is no longer provided.")]
        elif service.channels and data.channel not in service.channels and data.channel != "api":
            allowed = ", ".join(str(Channel(c).label) for c in service.channels)
            message = _("“%(service)s” is not provided through this channel; it is: %(allowed)s.")
            if service.in_person_required and service.in_person_reason:
                message += " " + _("The client must come in person: %(reason)s")
            errors["channel"] = [
                message
                % {
                    "service": service.display_name,
                    "allowed": allowed,
                    "reason": service.display_in_person_reason,
                }
            ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def request_create(*, data: RequestInput, by: User | None) -> ServiceRequest:
    _validate(data)
    now = data.created_at or timezone.now()
    company, service = data.company, data.service
    segment = segment_of(company.pk) if company is not None else None
    targets = sla.targets_for(
        company_id=company.pk if company else None,
        segment=segment,
        service_id=service.pk if service else None,
        standard_minutes=service.standard_minutes if service else None,
        channel=data.channel,
        priority=data.priority,
    )
    assignee, team = route(company=company, service=service, segment=segment)
    if company is None:
        team = Unit.objects.filter(code=getattr(settings, "SERVICE_TRIAGE_UNIT", "triage")).first()
    repeat_of = find_repeat_of(company=company, service=service, topic=data.topic, at=now)
    request = ServiceRequest(
        company=company,
        contact=data.contact,
        reply_to_email=data.reply_to_email,
        service=service,
        channel=data.channel,
        source=data.source or data.channel,
        priority=data.priority,
        status=Status.NEW,
        is_open=True,
        subject=" ".join(data.subject.split())[:300],
        topic=data.topic.strip().lower()[:100],
        assignee=assignee,
        team=team,
        created_by=by,
        created_at=now,
        sla_policy=targets.policy,
        sla_first_response_minutes=targets.first_response_minutes,
        sla_resolution_minutes=targets.resolution_minutes,
        repeat_of=repeat_of,
        is_repeat_visit=bool(
            repeat_of and repeat_of.channel == Channel.VISIT and data.channel == Channel.VISIT
        ),
    )
    sla.apply_due_times(request, sla.load_calendar(targets.calendar_id), targets.warn_at_percent)
    request.save()
    # The number carries the id: unique without a counter row to lock.
    request.number = f"R-{timezone.localtime(now).year}-{request.pk:06d}"
    ServiceRequest.objects.filter(pk=request.pk).update(number=request.number)
    StatusChange.objects.create(request=request, to_status=Status.NEW, by=by, at=now)
    message = None
    if data.body.strip() or data.attachments:
        message = RequestMessage.objects.create(
            request=request,
            kind=RequestMessage.Kind.CLIENT,
            author=by,
            author_contact=data.contact,
            from_email=data.reply_to_email,
            channel=data.channel,
            body_html=body_to_html(data.body),
            email_message_id=data.email_message_id[:255],
            email_in_reply_to=data.email_in_reply_to[:255],
            created_at=now,
        )
    for name, stream, size in data.attachments:
        attachment_add(request=request, name=name, stream=stream, size=size, by=by, message=message)
    audit.record(
        actor=by,
        action="service.request_created",
        target=request,
        changes={
            "number": request.number,
            "channel": request.channel,
            "service": service.pk if service else None,
            "priority": request.priority,
            "assignee": assignee.pk if assignee else None,
            "team": team.pk if team else None,
            "sla_policy": targets.policy.pk if targets.policy else "default",
            "repeat_of": repeat_of.pk if repeat_of else None,
        },
    )
    _timeline(
        request,
        subject=_("Request opened: %(s)s") % {"s": request.subject},
        by=by,
        direction="in",
        summary=html_to_text(message.body_html) if message else "",
    )
    return request


# --- assignment and status -------------------------------------------------------------------
@transaction.atomic
def request_assign(
    *, request: ServiceRequest, to: User | None, by: User | None, team: Unit | None = None
) -> ServiceRequest:
    if to is not None and (getattr(to, "kind", "staff") != "staff" or not to.is_active):
        raise _error("assignee", _("Requests can be assigned to active staff members only."))
    before = {"assignee": request.assignee_id, "team": request.team_id}
    request.assignee = to
    if team is not None:
        request.team = team
    request.save(update_fields=["assignee", "team", "updated_at"])
    after = {"assignee": request.assignee_id, "team": request.team_id}
    audit.record(
        actor=by,
        action="service.request_assigned",
        target=request,
        changes=audit.diff(before, after),
    )
    _timeline(
        request,
        subject=_("Assigned to %(who)s") % {"who": to or _("nobody")},
        by=by,
    )
    return request


def _resume_clock(request: ServiceRequest, now: dt.datetime) -> None:
    if request.sla_paused_since is None:
        return
    cal = sla.load_calendar(sla.calendar_id_of(request))
    request.sla_paused_minutes += sla.paused_minutes(cal, request.sla_paused_since, now)
    request.sla_paused_since = None
    sla.apply_due_times(request, cal, sla.warn_percent_of(request))


def _set_status(
    request: ServiceRequest, to: str, *, by: User | None, comment: str, now: dt.datetime
) -> str:
    """Applies a transition already judged valid; returns the previous status."""
    previous = request.status
    if previous in PAUSED_STATUSES and to not in PAUSED_STATUSES:
        _resume_clock(request, now)
    if to in PAUSED_STATUSES and request.sla_paused_since is None:
        request.sla_paused_since = now
    request.status = to
    request.is_open = to in OPEN_STATUSES
    if to == Status.RESOLVED:
        request.resolved_at = now
        if request.first_response_at is None:
            request.first_response_at = now
    elif to == Status.CLOSED:
        request.closed_at = now
        if request.resolved_at is None:
            request.resolved_at = now
    elif to == Status.REOPENED:
        request.resolved_at = None
        request.first_contact_resolution = False
    request.save()
    StatusChange.objects.create(
        request=request, from_status=previous, to_status=to, by=by, at=now, comment=comment[:300]
    )
    return previous


@transaction.atomic
def request_change_status(
    *, request: ServiceRequest, to: str, by: User | None, comment: str = ""
) -> ServiceRequest:
    if to not in Status.values:
        raise _error("status", _("Unknown status %(s)s.") % {"s": to})
    request = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("sla_policy")
        .get(pk=request.pk)
    )
    if to not in TRANSITIONS[request.status]:
        allowed = ", ".join(str(Status(s).label) for s in sorted(TRANSITIONS[request.status]))
        raise _error(
            "status",
            _("A request that is “%(current)s” cannot become “%(to)s”. Possible: %(allowed)s.")
            % {
                "current": Status(request.status).label,
                "to": Status(to).label,
                "allowed": allowed or _("none, it is final"),
            },
        )
    now = timezone.now()
    previous = _set_status(request, to, by=by, comment=comment, now=now)
    audit.record(
        actor=by,
        action="service.request_status",
        target=request,
        changes={"status": [previous, to], "comment": comment},
    )
    _timeline(
        request,
        subject=_("Status: %(s)s") % {"s": Status(to).label},
        by=by,
        summary=comment,
    )
    _notify_status(request, to, comment)
    return request


def _notify_status(request: ServiceRequest, status: str, comment: str) -> None:
    """An e-mail to the client (after commit) when the request waits for them, is resolved or
    closed, unless they switched such e-mails off (`hooks.notification_wanted`)."""
    from .hooks import notification_wanted
    from .mail import NOTIFIED_STATUSES
    from .tasks import send_status_email

    if status not in NOTIFIED_STATUSES or request.channel not in EMAILED_CHANNELS:
        return
    if notification_wanted(request, "status_change") and recipient_of(request):
        send_status_email.enqueue(request_id=request.pk, status=status, comment=comment)


@transaction.atomic
def request_resolve(
    *,
    request: ServiceRequest,
    by: User | None,
    first_contact: bool = False,
    comment: str = "",
    avoidable_reason: AvoidableReason | None = None,
) -> ServiceRequest:
    request = request_change_status(request=request, to=Status.RESOLVED, by=by, comment=comment)
    request.first_contact_resolution = first_contact
    if avoidable_reason is not None:
        request.avoidable_reason = avoidable_reason
    request.save(update_fields=["first_contact_resolution", "avoidable_reason", "updated_at"])
    audit.record(
        actor=by,
        action="service.request_resolved",
        target=request,
        changes={"first_contact_resolution": first_contact},
    )
    return request


@transaction.atomic
def request_classify(
    *,
    request: ServiceRequest,
    by: User | None,
    avoidable_reason: AvoidableReason | None,
    topic: str | None = None,
    priority: str | None = None,
) -> ServiceRequest:
    """Marks a contact as caused by us (with its reason), and corrects topic or priority."""
    if priority is not None and priority not in Priority.values:
        raise _error("priority", _("Choose a priority: low, normal, high or urgent."))
    before = audit.snapshot(request, ["avoidable_reason_id", "topic", "priority"])
    request.avoidable_reason = avoidable_reason
    if topic is not None:
        request.topic = topic.strip().lower()[:100]
    if priority is not None:
        request.priority = priority
    request.save(update_fields=["avoidable_reason", "topic", "priority", "updated_at"])
    changes = audit.diff(before, audit.snapshot(request, list(before)))
    audit.record(actor=by, action="service.request_classified", target=request, changes=changes)
    if changes:
        _timeline(
            request,
            subject=_("Classified: %(r)s") % {"r": avoidable_reason or _("not caused by us")},
            by=by,
        )
    return request


@transaction.atomic
def request_set_client(
    *, request: ServiceRequest, company: Company, contact: Contact | None, by: User | None
) -> ServiceRequest:
    """Takes a request out of triage: names the client an unknown sender turned out to be."""
    if contact is not None and contact.company_id != company.pk:
        raise _error("contact", _("%(name)s works for another company.") % {"name": contact})
    before = {"company": request.company_id, "contact": request.contact_id}
    request.company, request.contact = company, contact
    if request.assignee_id is None:
        assignee, team = route(
            company=company, service=request.service, segment=segment_of(company.pk)
        )
        request.assignee = assignee
        request.team = team or request.team
    request.save()
    audit.record(
        actor=by,
        action="service.request_client_set",
        target=request,
        changes=audit.diff(
            before, {"company": company.pk, "contact": contact.pk if contact else None}
        ),
    )
    _timeline(
        request, subject=_("Request opened: %(s)s") % {"s": request.subject}, by=by, direction="in"
    )
    return request


# --- messages --------------------------------------------------------------------------------
def recipient_of(request: ServiceRequest) -> str:
    if request.contact is not None:
        if request.contact.email:
            return request.contact.email
        point = (
            ContactPoint.objects.filter(contact=request.contact, kind=ContactPoint.Kind.EMAIL)
            .order_by("-is_primary", "id")
            .first()
        )
        if point is not None:
            return point.value
    return request.reply_to_email


@transaction.atomic
def request_reply(
    *,
    request: ServiceRequest,
    body: str,
    by: User,
    attachments: list[tuple[str, IO[bytes], int | None]] | None = None,
    send_email: bool = True,
) -> RequestMessage:
    """A reply the client sees; goes out by e-mail after commit when the client has an address
    and has not opted out of such e-mails (`hooks.notification_wanted`, e.g. portal settings)."""
    from . import mail
    from .hooks import notification_wanted

    send_email = send_email and notification_wanted(request, "request_reply")
    body_html = body_to_html(body)
    if not html_to_text(body_html) and not attachments:
        raise _error("body", _("Write the reply before sending it."))
    if request.status == Status.CLOSED:
        raise _error("body", _("The request is closed; open a new one to write to the client."))
    now = timezone.now()
    message = RequestMessage.objects.create(
        request=request,
        kind=RequestMessage.Kind.REPLY,
        author=by,
        channel=Channel.EMAIL if send_email and recipient_of(request) else request.channel,
        body_html=body_html,
        email_message_id=mail.new_message_id(request),
        created_at=now,
    )
    for name, stream, size in attachments or []:
        attachment_add(request=request, name=name, stream=stream, size=size, by=by, message=message)
    changed = []
    if request.first_response_at is None:
        request.first_response_at = now
        changed.append("first_response_at")
    if changed:
        request.save(update_fields=[*changed, "updated_at"])
    if request.status in (Status.NEW, Status.REOPENED):
        _set_status(request, Status.IN_PROGRESS, by=by, comment="", now=now)
    audit.record(
        actor=by, action="service.request_replied", target=request, changes={"message": message.pk}
    )
    _timeline(
        request,
        subject=_("Reply to the client"),
        by=by,
        summary=html_to_text(body_html),
        channel=message.channel,
    )
    if send_email and recipient_of(request):
        from .tasks import send_reply_email

        send_reply_email.enqueue(message_id=message.pk)
    return message


@transaction.atomic
def request_note(*, request: ServiceRequest, body: str, by: User | None) -> RequestMessage:
    """An internal note: never shown to the client, never e-mailed."""
    body_html = body_to_html(body)
    if not html_to_text(body_html):
        raise _error("body", _("Write the note before saving it."))
    message = RequestMessage.objects.create(
        request=request, kind=RequestMessage.Kind.NOTE, author=by, body_html=body_html
    )
    audit.record(
        actor=by, action="service.request_noted", target=request, changes={"message": message.pk}
    )
    _timeline(request, subject=_("Internal note"), by=by, summary=html_to_text(body_html))
    return message


@transaction.atomic
def request_client_message(
    *,
    request: ServiceRequest,
    body: str,
    channel: str,
    contact: Contact | None = None,
    from_email: str = "",
    email_message_id: str = "",
    email_in_reply_to: str = "",
    by: User | None = None,
    attachments: list[tuple[str, IO[bytes], int | None]] | None = None,
) -> RequestMessage:
    """The client writes again about an open or resolved request (e-mail reply, portal)."""
    if request.status == Status.CLOSED:
        raise _error("request", _("The request is closed; a new request must be opened."))
    now = timezone.now()
    message = RequestMessage.objects.create(
        request=request,
        kind=RequestMessage.Kind.CLIENT,
        author=by,
        author_contact=contact,
        from_email=from_email,
        channel=channel,
        body_html=body_to_html(body),
        email_message_id=email_message_id[:255],
        email_in_reply_to=email_in_reply_to[:255],
        created_at=now,
    )
    for name, stream, size in attachments or []:
        attachment_add(request=request, name=name, stream=stream, size=size, by=by, message=message)
    # The client answered: the ball is back with us.
    if request.status == Status.WAITING:
        _set_status(request, Status.IN_PROGRESS, by=by, comment=_("The client replied."), now=now)
    elif request.status == Status.RESOLVED:
        _set_status(request, Status.REOPENED, by=by, comment=_("The client replied."), now=now)
    audit.record(
        actor=by,
        action="service.request_client_message",
        target=request,
        changes={"message": message.pk, "channel": channel},
    )
    _timeline(
        request,
        subject=_("Message from the client"),
        by=by,
        direction="in",
        summary=html_to_text(message.body_html),
        channel=channel,
    )
    return message


# --- attachments -----------------------------------------------------------------------------
@transaction.atomic
def attachment_add(
    *,
    request: ServiceRequest,
    name: str,
    stream: IO[bytes],
    size: int | None,
    by: User | None,
    message: RequestMessage | None = None,
) -> Attachment:
    checked = files.check_upload(stream, name, declared_size=size)
    attachment = Attachment(
        request=request,
        message=message,
        original_name=files.safe_filename(name),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    attachment.file.save("upload", ContentFile(checked.content), save=False)
    stored_name = attachment.file.name or ""
    try:
        attachment.save()
    except Exception:
        # A row that failed to save must not leave its file behind. (A rollback of the outer
        # transaction can still orphan a file: harmless, unreachable, swept by name later.)
        attachment.file.storage.delete(stored_name)
        raise
    audit.record(
        actor=by,
        action="service.attachment_added",
        target=request,
        changes={
            "attachment": attachment.pk,
            "name": attachment.original_name,
            "size": checked.size,
        },
    )
    return attachment


# --- calls -----------------------------------------------------------------------------------
@dataclass
class CallCard:
    call: CallLog
    company: Company | None
    contact: Contact | None
    open_requests: list[ServiceRequest]
    other_matches: list[Contact]


def contacts_by_phone(phone_e164: str) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(
            Q(points__kind=ContactPoint.Kind.PHONE, points__value=phone_e164) | Q(phone=phone_e164)
        )
        .filter(company__merged_into__isnull=True)
        .select_related("company", "company__account_manager")
        .distinct()
        .order_by("left_company", "id")
    )


@transaction.atomic
def call_event_incoming(
    *, phone: str, external_id: str = "", agent: User | None = None, by: User | None = None
) -> CallCard:
    """An incoming call: log it and find who is calling. The same telephony call ID twice gives
    the same call (integrations retry)."""
    try:
        e164 = clean_phone(phone)
    except ValidationError:
        raise _error("phone", _("%(p)s is not a phone number.") % {"p": phone}) from None
    if not e164:
        raise _error("phone", _("Send the caller's phone number."))
    call = None
    if external_id:
        call = CallLog.objects.filter(external_id=external_id[:100]).first()
    contacts = list(contacts_by_phone(e164)[:6])
    contact = contacts[0] if contacts else None
    company = contact.company if contact else Company.objects.filter(phone=e164).first()
    if call is None:
        call = CallLog.objects.create(
            external_id=external_id[:100],
            phone=e164,
            raw_phone=phone[:64],
            direction=CallLog.Direction.INBOUND,
            company=company,
            contact=contact,
            agent=agent or by,
        )
        audit.record(
            actor=by,
            action="service.call_incoming",
            target=call,
            changes={"phone": e164, "company": company.pk if company else None},
        )
    open_requests: list[ServiceRequest] = []
    if company is not None:
        open_requests = list(
            ServiceRequest.objects.filter(company=company, is_open=True)
            .select_related("service", "assignee")
            .order_by("resolution_due")[:20]
        )
    return CallCard(
        call=call,
        company=company,
        contact=contact,
        open_requests=open_requests,
        other_matches=contacts[1:],
    )


@transaction.atomic
def call_finish(
    *,
    call: CallLog,
    duration_seconds: int,
    outcome: str,
    by: User | None,
    request: ServiceRequest | None = None,
    note: str = "",
) -> CallLog:
    if outcome not in CallLog.Outcome.values or not outcome:
        raise _error("outcome", _("Choose the call's outcome from the list."))
    if duration_seconds < 0 or duration_seconds > 24 * 3600:
        raise _error("duration", _("The duration is in seconds, between 0 and 86400."))
    if call.finished_at is not None:
        raise _error("call", _("This call was already finished."))
    if request is not None and call.company_id and request.company_id != call.company_id:
        raise _error("request", _("This request belongs to another company."))
    call.duration_seconds = duration_seconds
    call.outcome = outcome
    call.finished_at = timezone.now()
    call.note = note[:300]
    call.request = request or call.request
    call.save()
    audit.record(
        actor=by,
        action="service.call_finished",
        target=call,
        changes={"duration": duration_seconds, "outcome": outcome},
    )
    if call.company is not None:
        minutes, seconds = divmod(duration_seconds, 60)
        client_services.interaction_record(
            company=call.company,
            contact=call.contact,
            channel=Channel.PHONE,
            direction="in" if call.direction == CallLog.Direction.INBOUND else "out",
            subject=_("Call %(phone)s, %(m)d:%(s)02d")
            % {"phone": call.phone, "m": minutes, "s": seconds},
            outcome=str(CallLog.Outcome(outcome).label),
            summary=note,
            staff=by,
            source=source_of(call.request) if call.request else f"service.call:{call.pk}",
        )
    return call


# --- SLA job ---------------------------------------------------------------------------------
@dataclass
class SlaCheckResult:
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0


def _event_once(request: ServiceRequest, kind: str, due: dt.datetime, notified: Any) -> bool:
    """Records the event unless it exists already; True if this call recorded it."""
    try:
        with transaction.atomic():
            SlaEvent.objects.create(request=request, kind=kind, due_at=due, notified=notified)
    except IntegrityError:
        return False  # another run recorded it first
    return True


def _escalate(request: ServiceRequest, kind: str, due: dt.datetime, *, notify: bool) -> bool:
    from .tasks import send_escalation_email

    supervisor = request.team.supervisor if request.team else None
    if not _event_once(request, SlaEvent.Kind.ESCALATION, due, supervisor):
        return False
    if request.company is not None:
        client_services.todo_create(
            company=request.company,
            contact=request.contact,
            kind=Todo.Kind.FOLLOW_UP,
            title=_("SLA missed (%(what)s): %(number)s %(subject)s")
            % {
                "what": SlaEvent.Kind(kind).label,
                "number": request.number,
                "subject": request.subject,
            },
            assignee=supervisor or request.assignee,
            due_on=timezone.localdate(),
            source=source_of(request),
        )
    if notify:
        send_escalation_email.enqueue(request_id=request.pk, kind=kind)
    return True


def _open_unpaused() -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(
        is_open=True, sla_paused_since__isnull=True
    ).select_related("team__supervisor", "company", "contact", "assignee")


def sla_check(*, now: dt.datetime | None = None, notify: bool = True) -> SlaCheckResult:
    """Warnings before a breach, breaches, escalation on breach. Safe to run twice at once:
    each event is recorded once (unique per request, kind and due time) and only the run that
    recorded it notifies. `notify=False` (demo data) records everything and sends nothing."""
    from .tasks import send_sla_warning_email

    now = now or timezone.now()
    result = SlaCheckResult()
    responses = _open_unpaused().filter(first_response_at__isnull=True)
    warn_checks = [
        (
            responses.filter(response_warn_at__lte=now, first_response_due__gt=now),
            SlaEvent.Kind.RESPONSE_WARNING,
            "first_response_due",
        ),
        (
            _open_unpaused().filter(resolution_warn_at__lte=now, resolution_due__gt=now),
            SlaEvent.Kind.RESOLUTION_WARNING,
            "resolution_due",
        ),
    ]
    for qs, kind, due_field in warn_checks:
        already = SlaEvent.objects.filter(
            request=OuterRef("pk"), kind=kind, due_at=OuterRef(due_field)
        )
        for request in qs.exclude(Exists(already))[:5000]:
            if _event_once(request, kind, getattr(request, due_field), request.assignee):
                result.warnings += 1
                if notify:
                    send_sla_warning_email.enqueue(request_id=request.pk, kind=kind)
    breach_checks = [
        (
            responses.filter(first_response_due__lte=now, first_response_breached=False),
            SlaEvent.Kind.RESPONSE_BREACH,
            "first_response_due",
            "first_response_breached",
        ),
        (
            _open_unpaused().filter(resolution_due__lte=now, resolution_breached=False),
            SlaEvent.Kind.RESOLUTION_BREACH,
            "resolution_due",
            "resolution_breached",
        ),
    ]
    for qs, kind, due_field, flag in breach_checks:
        for request in qs[:5000]:
            with transaction.atomic():
                claimed = ServiceRequest.objects.filter(pk=request.pk, **{flag: False}).update(
                    **{flag: True}
                )
                if claimed != 1:
                    continue  # another run took this breach
                due = getattr(request, due_field)
                _event_once(request, kind, due, None)
                result.breaches += 1
                audit.record(
                    actor=None,
                    action="service.sla_breached",
                    target=request,
                    changes={"kind": kind, "due": due},
                )
                if _escalate(request, kind, due, notify=notify):
                    result.escalations += 1
    return result


# --- standards documents ---------------------------------------------------------------------
@transaction.atomic
def standard_document_add(
    *,
    unit: Unit,
    kind: str,
    title: str,
    version: str,
    by: User,
    text: str = "",
    upload: tuple[str, IO[bytes], int | None] | None = None,
    effective_from: dt.date | None = None,
) -> StandardDocument:
    errors: dict[str, list[str]] = {}
    if kind not in StandardDocument.Kind.values:
        errors["kind"] = [_("Choose the kind of document.")]
    if not title.strip():
        errors["title"] = [_("Enter the document's title.")]
    if not text.strip() and upload is None:
        errors["text"] = [_("Enter the text or attach the file.")]
    if StandardDocument.objects.filter(
        unit=unit, kind=kind, title=title.strip(), version=version.strip() or "1"
    ).exists():
        errors["version"] = [_("This version exists already: give the new one a new number.")]
    if errors:
        raise ValidationError(errors)
    doc = StandardDocument(
        unit=unit,
        kind=kind,
        title=title.strip()[:300],
        version=version.strip()[:20] or "1",
        text=body_to_html(text) if text.strip() else "",
        effective_from=effective_from,
        uploaded_by=by,
    )
    if upload is not None:
        name, stream, size = upload
        checked = files.check_upload(stream, name, declared_size=size)
        doc.file.save("doc", ContentFile(checked.content), save=False)
        doc.original_name = files.safe_filename(name)
        doc.content_type = checked.content_type
    doc.save()
    audit.record(
        actor=by,
        action="service.standard_document_added",
        target=doc,
        changes={"unit": unit.pk, "kind": kind, "version": doc.version},
    )
    return doc
