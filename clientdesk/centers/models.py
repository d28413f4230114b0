"""Service centers: where clients come in person, take a ticket and are served at a desk.

A visit is a request like any other: a finished ticket opens (or updates) a `ServiceRequest`
with channel "visit" through the service app's services. This app only keeps the queue.

Numbering: a ticket is "A-017": the letter of its service group at that center and a number
that starts at 1 every day and has no gaps. `TicketCounter` holds the last number per center,
day and letter; issuing increments that row and creates the ticket in one transaction.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import Company, Contact
from clientdesk.service.calendar import BusinessCalendar
from clientdesk.service.models import (
    WEEKDAY_KEYS,
    Service,
    ServiceRequest,
    WeeklyHours,
    WorkingCalendar,
)


def _default_week() -> dict[str, list[str]]:
    return {k: (["09:00-20:00"] if i < 5 else ["10:00-16:00"]) for i, k in enumerate(WEEKDAY_KEYS)}


class ServiceCenter(WeeklyHours, models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    week = models.JSONField(
        _("opening hours"),
        default=_default_week,
        blank=True,
        help_text=_(
            'Per weekday, a list of ranges: {"mon": ["09:00-13:00", "14:00-20:00"], ...}. '
            "Leave empty for a center open around the clock."
        ),
    )
    calendar = models.ForeignKey(
        WorkingCalendar,
        verbose_name=_("holidays from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("The working calendar whose days off and holidays the center keeps."),
    )
    priority_by_segment = models.BooleanField(
        _("serve key clients first"),
        default=False,
        help_text=_("Tickets of clients in segment A are called before others."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service center")
        verbose_name_plural = _("service centers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self.tz).date()


class ServiceGroup(models.Model):
    """A service as one center offers it: its ticket letter and how long a visit takes."""

    center = models.ForeignKey(ServiceCenter, on_delete=models.CASCADE, related_name="groups")
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT)
    letter = models.CharField(
        _("ticket letter"),
        max_length=2,
        validators=[RegexValidator(r"^[A-Z]{1,2}$", _("Use one or two capital Latin letters."))],
    )
    handling_minutes = models.PositiveSmallIntegerField(
        _("standard visit, minutes"), default=15, help_text=_("Used for the estimated wait.")
    )
    position = models.PositiveSmallIntegerField(_("position on the kiosk"), default=0)

    class Meta:
        verbose_name = _("service at a center")
        verbose_name_plural = _("services at centers")
        ordering = ["center", "position", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["center", "letter"], name="centers_group_letter"),
            models.UniqueConstraint(fields=["center", "service"], name="centers_group_service"),
        ]

    def __str__(self) -> str:
        return f"{self.letter} · {self.service}"


class Desk(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.CASCADE, related_name="desks")
    number = models.CharField(_("desk number"), max_length=10)
    services = models.ManyToManyField(
        Service,
        verbose_name=_("services served"),
        blank=True,
        help_text=_("Leave empty for a desk that serves every service of the center."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        ordering = ["center", "number"]
        constraints = [
            models.UniqueConstraint(fields=["center", "number"], name="centers_desk_number")
        ]

    def __str__(self) -> str:
        return _("Desk %(n)s") % {"n": self.number}


class OperatorSession(models.Model):
    """An operator signed in at a desk; an open session (no end) makes the desk open."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="sessions")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="desk_sessions"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("operator session")
        verbose_name_plural = _("operator sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["desk"], condition=models.Q(ended_at__isnull=True), name="centers_desk_open"
            ),
            models.UniqueConstraint(
                fields=["operator"],
                condition=models.Q(ended_at__isnull=True),
                name="centers_operator_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator} @ {self.desk}"


class TicketCounter(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    letter = models.CharField(max_length=2)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["center", "day", "letter"], name="centers_counter_key")
        ]

    def __str__(self) -> str:
        return f"{self.center_id} {self.day} {self.letter}={self.last_number}"


class Appointment(models.Model):
    """A booked visit: a place in one slot of a center's day for one service.

    Slots come from the center's hours cut into the service's standard visit; each holds as
    many clients as there are desks serving the service (`selectors.slots`). Booking, moving,
    cancelling and checking in are services; each sends the client an e-mail after commit.
    """

    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Client portal")
        STAFF = "staff", _("Call center or staff")
        API = "api", _("API")

    center = models.ForeignKey(
        ServiceCenter,
        verbose_name=_("service center"),
        on_delete=models.CASCADE,
        related_name="appointments",
    )
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT)
    starts_at = models.DateTimeField(_("time"))
    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact person"), null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.BOOKED)
    source = models.CharField(
        _("booked through"), max_length=10, choices=Source.choices, default=Source.STAFF
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("booked"), default=timezone.now)
    # The last booking or move: a reminder goes only to bookings made well before the visit.
    changed_at = models.DateTimeField(_("last changed"), default=timezone.now)
    # Claimed by the reminder job (one e-mail per booked time; a move clears it).
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    # Increases with each move or cancellation: the calendar file's SEQUENCE.
    revision = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["center", "starts_at"], name="centers_appt_center_time"),
            models.Index(fields=["company", "starts_at"], name="centers_appt_company_time"),
            models.Index(
                fields=["starts_at"],
                condition=models.Q(state="booked", reminded_at__isnull=True),
                name="centers_appt_to_remind",
            ),
        ]

    def __str__(self) -> str:
        local = self.starts_at.astimezone(ZoneInfo(self.center.timezone))
        return f"{self.center} {local:%Y-%m-%d %H:%M}"

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(ZoneInfo(self.center.timezone))


class TicketState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    SERVING = "serving", _("Being served")
    DONE = "done", _("Done")
    NO_SHOW = "no_show", _("Did not come")
    TRANSFERRED = "transferred", _("Transferred")
    ABANDONED = "abandoned", _("Left the queue")


# A ticket in one of these is at a desk: the operator owns it until it is finished.
AT_DESK_STATES = frozenset({TicketState.CALLED, TicketState.SERVING})
FINAL_STATES = frozenset(
    {TicketState.DONE, TicketState.NO_SHOW, TicketState.TRANSFERRED, TicketState.ABANDONED}
)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    FOLLOW_UP = "follow_up", _("Needs follow-up")
    DOCUMENTS_MISSING = "documents_missing", _("Documents missing")
    CONSULTATION = "consultation", _("Consultation only")


class Ticket(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField(_("day"))
    letter = models.CharField(max_length=2)
    number = models.PositiveIntegerField()
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT)
    state = models.CharField(
        _("state"), max_length=12, choices=TicketState.choices, default=TicketState.WAITING
    )
    # Higher is called first: appointments, key clients and transferred visitors.
    priority = models.SmallIntegerField(_("priority"), default=0)
    # The moment the ticket stands in line from: the appointment time, else the issue time.
    queue_at = models.DateTimeField()
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    started_at = models.DateTimeField(_("service started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(default=0)
    desk = models.ForeignKey(
        Desk, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set by a transfer to one particular desk: only that desk calls the ticket.
    for_desk = models.ForeignKey(
        Desk, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    request = models.ForeignKey(
        ServiceRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    transferred_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="transferred_to"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    first_contact_resolved = models.BooleanField(_("resolved at first contact"), null=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["center", "day", "letter", "number"], name="centers_ticket_number"
            )
        ]
        indexes = [models.Index(fields=["center", "day", "state"], name="centers_ticket_queue")]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return f"{self.letter}-{self.number:03d}"


def center_calendar(center: ServiceCenter, base: BusinessCalendar | None) -> BusinessCalendar:
    """The center's own hours and zone, with the days off of its working calendar (if any)."""
    return BusinessCalendar(
        tz=center.tz,
        weekly=center.weekly_intervals(),
        days_off=base.days_off if base else frozenset(),
        working_days=dict(base.working_days) if base else {},
        shortened=dict(base.shortened) if base else {},
    )
