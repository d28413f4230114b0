"""Forms of appointment booking, shared by the staff pages and the client portal.

A form only turns input into typed values and says clearly what to fix; whether the time is
free is decided by `services.appointment_book` / `appointment_reschedule` under the lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientdesk.clients.models import Company, Contact
from clientdesk.service.models import Service

from . import selectors
from .models import ServiceCenter


def parse_moment(raw: str) -> dt.datetime | None:
    """A slot's time as the slot list sends it (ISO 8601 with its offset); None if not one."""
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def parse_day(raw: str | None, default: dt.date) -> tuple[dt.date, str]:
    """The day asked for, or `default` with an error message to show."""
    if not raw:
        return default, ""
    try:
        return dt.date.fromisoformat(raw), ""
    except ValueError:
        return default, _("Enter the day as YYYY-MM-DD.")


class SlotField(forms.CharField):
    default_error_messages = {
        "required": gettext_lazy("Choose a free time."),
        "invalid": gettext_lazy("Choose a free time from the list."),
    }

    def to_python(self, value: Any) -> dt.datetime | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        moment = parse_moment(text)
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return moment


class BookingForm(forms.Form):
    """Service, center and a free time; the staff variant also names company and contact."""

    service = forms.ModelChoiceField(
        label=gettext_lazy("Service"),
        queryset=Service.objects.filter(is_active=True),
        error_messages={"required": gettext_lazy("Choose the service.")},
    )
    center = forms.ModelChoiceField(
        label=gettext_lazy("Service center"),
        queryset=ServiceCenter.objects.filter(is_active=True),
        error_messages={"required": gettext_lazy("Choose the service center.")},
    )
    day = forms.DateField(
        label=gettext_lazy("Day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": gettext_lazy("Choose the day."),
            "invalid": gettext_lazy("Enter the day as YYYY-MM-DD."),
        },
    )
    starts_at = SlotField(label=gettext_lazy("Time"))
    note = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Optional: what the visit is about."),
    )

    def __init__(self, *args: Any, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        services = selectors.bookable_services()
        self.fields["service"].queryset = Service.objects.filter(  # type: ignore[attr-defined]
            pk__in=[s.pk for s in services]
        )
        if staff:
            self.fields["company"] = forms.ModelChoiceField(
                label=gettext_lazy("Client company"),
                queryset=Company.objects.filter(merged_into__isnull=True),
                error_messages={"required": gettext_lazy("Find and choose the client company.")},
            )
            self.fields["contact"] = forms.ModelChoiceField(
                label=gettext_lazy("Contact person"),
                queryset=Contact.objects.filter(erased_at__isnull=True, left_company=False),
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        company, contact = data.get("company"), data.get("contact")
        if contact is not None and company is not None and contact.company_id != company.pk:
            self.add_error("contact", _("%(name)s works for another company.") % {"name": contact})
        return data


class RescheduleForm(forms.Form):
    # The day only picks the slots to show; the chosen time carries its own date.
    day = forms.DateField(
        label=gettext_lazy("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Enter the day as YYYY-MM-DD.")},
    )
    starts_at = SlotField(label=gettext_lazy("New time"))


def add_service_errors(form: forms.Form, exc: forms.ValidationError) -> None:
    """A service's refusal shown at the field it names (or above the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


@dataclass
class SlotOffer:
    """What the slot list shows for the chosen service, center and day."""

    center: ServiceCenter | None = None
    service: Service | None = None
    day: dt.date | None = None
    slots: list[selectors.Slot] = field(default_factory=list)
    message: str = ""


def slot_offer(data: Mapping[str, Any], *, now: dt.datetime | None = None) -> SlotOffer:
    """Free times for `service`, `center` and `day` of a form being filled in (htmx)."""
    from .services import BOOKING_DAYS_AHEAD

    now = now or timezone.now()
    offer = SlotOffer()
    center_id, service_id = str(data.get("center") or ""), str(data.get("service") or "")
    if center_id.isdigit():
        offer.center = selectors.active_centers().filter(pk=int(center_id)).first()
    if service_id.isdigit():
        offer.service = Service.objects.filter(pk=int(service_id), is_active=True).first()
    raw_day = str(data.get("day") or "")
    if offer.center is None or offer.service is None or not raw_day:
        offer.message = _("Choose the service, the center and the day to see free times.")
        return offer
    day, error = parse_day(raw_day, selectors.today_of(offer.center, now))
    if error:
        offer.message = error
        return offer
    offer.day = day
    today = selectors.today_of(offer.center, now)
    if day < today:
        offer.message = _("Choose a day from today on.")
    elif day > today + dt.timedelta(days=BOOKING_DAYS_AHEAD):
        offer.message = _(
            "Appointments are booked at most %(n)s days ahead: choose an earlier day."
        ) % {"n": BOOKING_DAYS_AHEAD}
    elif selectors.group_of(offer.center, offer.service) is None:
        offer.message = _("“%(s)s” is not provided at this center.") % {"s": offer.service}
    else:
        offer.slots = selectors.day_slots(offer.center, offer.service, day, now=now)
        if not offer.slots:
            offer.message = _("No free time on this day: choose another day.")
    return offer
