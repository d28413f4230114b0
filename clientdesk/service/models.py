"""The service domain: the case every channel feeds.

- Catalogue: `Unit` (a responsible unit, also a team with a queue), `Skill`, `Agent` (a staff
  member's skills, units and capacity), `Service` (what a client can ask for, where, and what to
  bring so that nobody comes twice).
- Cases: `ServiceRequest` with its `RequestMessage`s (client messages, replies the client sees,
  internal notes), `Attachment`s (stored outside MEDIA_ROOT, served only through a checked view),
  `StatusChange` history, `CallLog`s from the telephony integration.
- Standards: `WorkingCalendar` + `CalendarException` (the production calendar), `SlaPolicy`,
  `SlaEvent` (warnings, breaches, escalations), `AvoidableReason` codes, `StandardDocument`s.

Writes go through `services.py`; the fields maintained there (`is_open`, SLA due times and
flags) are what the queue pages filter and sort on, so that a queue is one index range scan.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import Channel, Company, Contact

from .calendar import BusinessCalendar, Interval, parse_interval


class PrivateStorage(FileSystemStorage):
    """Files that must never be reachable by URL: they live outside MEDIA_ROOT and are served
    by permission-checked views only. SERVICE_PRIVATE_ROOT is read on each access so that tests
    can point it at a temporary directory."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        root = getattr(settings, "SERVICE_PRIVATE_ROOT", None) or Path(settings.VAR_DIR) / "private"
        return str(root)

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL.")

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return ("clientdesk.service.models.PrivateStorage", (), {})


private_storage = PrivateStorage()


def _localised(ru: str, en: str) -> str:
    return en if (get_language() or "ru").startswith("en") and en else ru


# --- catalogue -------------------------------------------------------------------------------
WEEKDAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _default_week() -> dict[str, list[str]]:
    return {k: (["09:00-18:00"] if i < 5 else []) for i, k in enumerate(WEEKDAY_KEYS)}


class WeeklyHours:
    """Hours per weekday (`week`: {"mon": ["09:00-18:00"], ...}) in a time zone (`timezone`).

    Mixed into every model that keeps such hours (working calendars, service centers), so that
    they are validated and read one way."""

    timezone: str
    week: Any

    def clean(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except Exception:
            raise ValidationError(
                {"timezone": _("Use a time zone name such as Europe/Moscow.")}
            ) from None
        try:
            self.weekly_intervals()
        except (ValueError, AttributeError, TypeError) as exc:
            raise ValidationError({"week": str(exc)}) from None

    def weekly_intervals(self) -> dict[int, list[Interval]]:
        week = self.week or {}
        return {
            i: [parse_interval(r) for r in week.get(key, [])] for i, key in enumerate(WEEKDAY_KEYS)
        }


class WorkingCalendar(WeeklyHours, models.Model):
    """Working hours per weekday plus the production calendar's exceptions."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    week = models.JSONField(
        _("working hours"),
        default=_default_week,
        help_text=_('Per weekday, a list of ranges: {"mon": ["09:00-13:00", "14:00-18:00"], ...}'),
    )
    country = models.CharField(
        _("public holidays of"),
        max_length=2,
        default="RU",
        blank=True,
        help_text=_("Used for years without exceptions entered; empty for none."),
    )
    is_default = models.BooleanField(_("default"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_calendar",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CalendarException(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WORKING_DAY = "working_day", _("Working day (transferred)")
        SHORTENED = "shortened", _("Shortened pre-holiday day")

    calendar = models.ForeignKey(
        WorkingCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    hours = models.CharField(
        _("hours"),
        max_length=40,
        blank=True,
        help_text=_("For a working day: a range such as 09:00-18:00 (empty: Monday's hours)."),
    )
    shortened_by_minutes = models.PositiveSmallIntegerField(_("shortened by, minutes"), default=60)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_exception_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._touch_calendar()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        result = super().delete(*args, **kwargs)
        self._touch_calendar()
        return result

    def _touch_calendar(self) -> None:
        # Built calendars are cached by the calendar's updated_at (sla.load_calendar).
        WorkingCalendar.objects.filter(pk=self.calendar_id).update(updated_at=timezone.now())

    def clean(self) -> None:
        if self.hours:
            try:
                parse_interval(self.hours)
            except ValueError as exc:
                raise ValidationError({"hours": str(exc)}) from None


class Unit(models.Model):
    """A responsible unit; it is also a team with its own queue."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_units",
    )
    email = models.EmailField(_("e-mail for escalations"), blank=True)
    calendar = models.ForeignKey(
        WorkingCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)


class Skill(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return _localised(self.name, self.name_en)


class Agent(models.Model):
    """A staff member as the router sees them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_agent"
    )
    units = models.ManyToManyField(Unit, verbose_name=_("units"), related_name="agents")
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=30, help_text=_("Open requests beyond which no more are routed.")
    )
    is_available = models.BooleanField(_("takes new requests"), default=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return str(self.user)


class KeyClientRoute(models.Model):
    """Where requests of a key client go: a named person, a named team, or both."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="service_route")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Unit, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("key-client route")
        verbose_name_plural = _("key-client routes")

    def __str__(self) -> str:
        return str(self.company)


class Service(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description for clients"), blank=True)
    description_en = models.TextField(_("description for clients (English)"), blank=True)
    channels = models.JSONField(
        _("channels"), default=list, help_text=_("Channels through which it can be had.")
    )
    in_person_required = models.BooleanField(_("client must come in person"), default=False)
    in_person_reason = models.CharField(_("why in person"), max_length=300, blank=True)
    in_person_reason_en = models.CharField(_("why in person (English)"), max_length=300, blank=True)
    documents_required = models.TextField(
        _("documents to bring"), blank=True, help_text=_("One document per line.")
    )
    documents_required_en = models.TextField(_("documents to bring (English)"), blank=True)
    standard_minutes = models.PositiveIntegerField(
        _("standard handling time, business minutes"), default=480
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="services"
    )
    skills = models.ManyToManyField(Skill, verbose_name=_("skills needed"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return _localised(self.description, self.description_en)

    @property
    def display_in_person_reason(self) -> str:
        return _localised(self.in_person_reason, self.in_person_reason_en)

    @property
    def channel_labels(self) -> list[str]:
        return [str(Channel(c).label) for c in self.channels or [] if c in Channel.values]

    @property
    def documents(self) -> list[str]:
        text = _localised(self.documents_required, self.documents_required_en)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean(self) -> None:
        unknown = [c for c in self.channels or [] if c not in SERVICE_CHANNELS]
        if unknown:
            raise ValidationError(
                {"channels": _("Unknown channels: %(c)s.") % {"c": ", ".join(map(str, unknown))}}
            )


# Where a service can be had (the catalogue's vocabulary is a subset of the registry's).
SERVICE_CHANNELS = [Channel.VISIT, Channel.PHONE, Channel.PORTAL, Channel.EMAIL, Channel.API]


class AvoidableReason(models.Model):
    """Why a contact the company caused happened, so that its cause can be removed."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("avoidable-contact reason")
        verbose_name_plural = _("avoidable-contact reasons")
        ordering = ["name"]

    def __str__(self) -> str:
        return _localised(self.name, self.name_en)


# --- standards -------------------------------------------------------------------------------
class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SlaPolicy(models.Model):
    """Targets for the requests it matches. A blank match field matches anything; among matching
    policies the most specific wins (most fields set), then the lowest `rank`."""

    name = models.CharField(_("name"), max_length=200)
    abc_xyz = models.CharField(
        _("ABC-XYZ cell"), max_length=2, blank=True, help_text=_("For example AX; empty: any.")
    )
    rule_segment_id = models.PositiveIntegerField(
        _("rule segment"), null=True, blank=True, help_text=_("ID of a rule segment; empty: any.")
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), null=True, blank=True, on_delete=models.CASCADE
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response, business minutes"))
    resolution_minutes = models.PositiveIntegerField(_("resolution, business minutes"))
    warn_at_percent = models.PositiveSmallIntegerField(_("warn at, percent of target"), default=80)
    calendar = models.ForeignKey(
        WorkingCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: the default calendar."),
    )
    rank = models.PositiveSmallIntegerField(_("rank"), default=100)
    is_default = models.BooleanField(
        _("default policy"), default=False, help_text=_("Applies when no other policy matches.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_sla"
            ),
            models.CheckConstraint(
                condition=models.Q(warn_at_percent__gte=1, warn_at_percent__lte=99),
                name="sla_warn_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        cell = (self.abc_xyz or "").upper()
        if cell and (len(cell) != 2 or cell[0] not in "ABC" or cell[1] not in "XYZ"):
            raise ValidationError({"abc_xyz": _("Use a cell such as AX, BY or CZ.")})
        self.abc_xyz = cell


# --- requests --------------------------------------------------------------------------------
class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for client")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.REOPENED})


class ServiceRequest(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, editable=False)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
        help_text=_("Empty while an e-mail from an unknown sender waits in triage."),
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL
    )
    reply_to_email = models.EmailField(_("reply to"), blank=True)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    source = models.CharField(_("entered through"), max_length=20, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    is_open = models.BooleanField(default=True, editable=False)
    subject = models.CharField(_("subject"), max_length=300)
    topic = models.CharField(
        _("topic"),
        max_length=100,
        blank=True,
        help_text=_("Short topic used with the service to recognise a repeat contact."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    team = models.ForeignKey(
        Unit, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL
    )
    sla_first_response_minutes = models.PositiveIntegerField(default=0)
    sla_resolution_minutes = models.PositiveIntegerField(default=0)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # When the warning is due (warn_at_percent of each target): the SLA job filters on these.
    response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    sla_paused_minutes = models.PositiveIntegerField(_("paused, business minutes"), default=0)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)

    first_contact_resolution = models.BooleanField(_("resolved at first contact"), default=False)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
    )
    is_repeat_visit = models.BooleanField(_("repeat visit"), default=False)
    avoidable_reason = models.ForeignKey(
        AvoidableReason,
        verbose_name=_("caused by us"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-id"]
        indexes = [
            # The queues ("open, mine / my team's, most urgent first") and the SLA job read open
            # requests only: partial indexes over the few per cent that are open stay small and
            # let the database walk them in due order, however many closed requests pile up.
            models.Index(
                fields=["assignee", "resolution_due", "id"],
                condition=models.Q(is_open=True),
                name="sr_open_by_assignee",
            ),
            models.Index(
                fields=["team", "resolution_due", "id"],
                condition=models.Q(is_open=True),
                name="sr_open_by_team",
            ),
            models.Index(
                fields=["resolution_due", "id"],
                condition=models.Q(is_open=True),
                name="sr_open_by_due",
            ),
            models.Index(
                fields=["resolution_warn_at"],
                condition=models.Q(is_open=True),
                name="sr_open_by_warn",
            ),
            models.Index(
                fields=["first_response_due"],
                condition=models.Q(is_open=True, first_response_at__isnull=True),
                name="sr_unanswered_by_due",
            ),
            models.Index(
                fields=["company"],
                condition=models.Q(is_open=True),
                name="sr_open_by_company",
            ),
            # Covers the supervisor's overview: its counts read this index alone.
            models.Index(
                fields=[
                    "team",
                    "assignee",
                    "sla_paused_since",
                    "resolution_due",
                    "resolution_breached",
                    "resolution_warn_at",
                    "first_response_at",
                    "first_response_due",
                    "response_warn_at",
                    "id",
                ],
                condition=models.Q(is_open=True),
                name="sr_open_overview",
            ),
            models.Index(fields=["company", "-created_at"], name="sr_company_recent"),
            models.Index(fields=["created_at"], name="sr_created"),
            models.Index(fields=["resolved_at"], name="sr_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.number or '—'} {self.subject}"

    @property
    def is_paused(self) -> bool:
        return self.sla_paused_since is not None


class RequestMessage(models.Model):
    class Kind(models.TextChoices):
        CLIENT = "client", _("From the client")
        REPLY = "reply", _("Reply to the client")
        NOTE = "note", _("Internal note")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_email = models.EmailField(blank=True)
    channel = models.CharField(max_length=12, choices=Channel.choices, blank=True)
    # Always sanitised (nh3) before it is stored; templates render it as safe HTML.
    body_html = models.TextField(_("text"))
    email_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    email_in_reply_to = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_client_visible(self) -> bool:
        return self.kind != self.Kind.NOTE


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: an uploaded name never becomes a path on disk.
    import uuid

    return f"service/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        RequestMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(storage=private_storage, upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size, bytes"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class StatusChange(models.Model):
    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["request", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class SlaEvent(models.Model):
    class Kind(models.TextChoices):
        RESPONSE_WARNING = "response_warning", _("First response due soon")
        RESOLUTION_WARNING = "resolution_warning", _("Resolution due soon")
        RESPONSE_BREACH = "response_breach", _("First response target missed")
        RESOLUTION_BREACH = "resolution_breach", _("Resolution target missed")
        ESCALATION = "escalation", _("Escalated to the supervisor")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="sla_events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The due time the event was about: a new due time (after a pause or reopening) may warn again.
    due_at = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now)
    notified = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "due_at"], name="sla_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.request_id}"


class CallLog(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    class Outcome(models.TextChoices):
        IN_PROGRESS = "", _("In progress")
        RESOLVED = "resolved", _("Resolved on the call")
        REQUEST = "request", _("Request opened or updated")
        CALLBACK = "callback", _("Call back promised")
        MISSED = "missed", _("Missed")
        TRANSFERRED = "transferred", _("Transferred")
        OTHER = "other", _("Other")

    external_id = models.CharField(_("telephony call ID"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, db_index=True)
    raw_phone = models.CharField(max_length=64, blank=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.INBOUND
    )
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    request = models.ForeignKey(
        ServiceRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration, s"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="call_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.started_at:%Y-%m-%d %H:%M}"


class StandardDocument(models.Model):
    class Kind(models.TextChoices):
        REGULATIONS = "regulations", _("Unit regulations")
        JOB_DESCRIPTION = "job_description", _("Job description")
        REPORTING_FORM = "reporting_form", _("Reporting form")
        STANDARD = "standard", _("Service standard")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    version = models.CharField(_("version"), max_length=20, default="1")
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    file = models.FileField(
        _("file"), storage=private_storage, upload_to=_attachment_path, blank=True, max_length=200
    )
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("standards document")
        verbose_name_plural = _("standards documents")
        ordering = ["unit", "kind", "title", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "kind", "title", "version"], name="standard_doc_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


@functools.lru_cache(maxsize=32)
def _public_holidays(country: str, years: tuple[int, ...]) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=years))


def calendar_for(cal: WorkingCalendar, exceptions: list[CalendarException]) -> BusinessCalendar:
    """Builds the pure calendar object the maths works on (see calendar.py)."""
    weekly = cal.weekly_intervals()
    days_off: set[dt.date] = set()
    working: dict[dt.date, list[Interval]] = {}
    shortened: dict[dt.date, int] = {}
    if cal.country:
        # A year with a production calendar entered is taken from it alone: the library does
        # not know the decree's working Saturdays, and mixing both would double-count.
        entered = {e.date.year for e in exceptions}
        this_year = timezone.localdate().year
        years = tuple(y for y in range(this_year - 2, this_year + 3) if y not in entered)
        if years:
            days_off.update(_public_holidays(cal.country, years))
    for e in exceptions:
        if e.kind == CalendarException.Kind.DAY_OFF:
            days_off.add(e.date)
        elif e.kind == CalendarException.Kind.WORKING_DAY:
            working[e.date] = [parse_interval(e.hours)] if e.hours else weekly.get(0, [])
        else:
            shortened[e.date] = e.shortened_by_minutes
    return BusinessCalendar(
        tz=ZoneInfo(cal.timezone),
        weekly=weekly,
        days_off=frozenset(days_off),
        working_days=working,
        shortened=shortened,
    )
