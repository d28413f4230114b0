"""The roster: who is scheduled to work when, for a service center's desks or the call center.

A shift belongs to a team: a service center, or the call center (no center). The person is
optional: a supervisor may plan "two people 09:00-18:00" before knowing who. The staffing page
sets the staff needed per interval (Erlang A/C, `centers.calculations`) against the shifts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientdesk.centers.models import ServiceCenter


class Shift(models.Model):
    center = models.ForeignKey(
        ServiceCenter,
        verbose_name=_("service center"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Leave empty for a call-center shift."),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Optional: a shift may be planned before it is known who works it."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="staffing_shift_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["center", "starts_at"], name="staffing_shift_team")]

    def __str__(self) -> str:
        team = self.center.name if self.center_id and self.center else _("Call center")
        return f"{team} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"
