"""Staff pages of appointments: the call center books for a client, the center's staff see the
day's bookings, move, cancel and check clients in.

Booking and the day's list need `REQUESTS_WORK` (every operator role, supervisors, account
managers); checking a client in needs `CENTER_OPERATE` (the center's people). Company and
contact are found with the service desk's own lookups (`service:company_search`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientdesk.accounts.models import User
from clientdesk.clients.models import Contact
from clientdesk.core.audit import history_of
from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm

from .. import selectors, services
from ..forms import BookingForm, RescheduleForm, add_service_errors, parse_day, slot_offer
from ..models import Appointment, ServiceCenter


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _back(request: HttpRequest, default: str) -> HttpResponseBase:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@require_perm(Perm.REQUESTS_WORK)
def appointment_list(request: HttpRequest) -> HttpResponse:
    """One center's appointments of one day, with the actions on each."""
    centers = list(selectors.active_centers())
    code = request.GET.get("center", "")
    center: ServiceCenter | None = next((c for c in centers if c.code == code), None)
    center = center or (centers[0] if centers else None)
    context: dict[str, Any] = {"title": _("Appointments"), "centers": centers, "center": center}
    if center is not None:
        day, error = parse_day(request.GET.get("day"), selectors.today_of(center))
        if error:
            messages.error(request, error)
        rows = list(selectors.appointments_of_day(center, day))
        context.update(
            day=day,
            today=selectors.today_of(center),
            previous_day=day - dt.timedelta(days=1),
            next_day=day + dt.timedelta(days=1),
            rows=rows,
            booked=sum(1 for a in rows if a.state == Appointment.State.BOOKED),
            can_check_in=has_perm(request.user, Perm.CENTER_OPERATE),
        )
    return render(request, "centers/appointment_list.html", context)


@require_perm(Perm.REQUESTS_WORK)
def appointment_new(request: HttpRequest) -> HttpResponse:
    initial = {k: request.GET[k] for k in ("service", "center", "day") if request.GET.get(k)}
    form = BookingForm(request.POST or None, staff=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booked = services.appointment_book(
                center=data["center"],
                service=data["service"],
                starts_at=data["starts_at"],
                company=data["company"],
                contact=data.get("contact"),
                note=data.get("note") or "",
                by=_user(request),
                source=Appointment.Source.STAFF,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Booked: %(service)s on %(when)s, booking number %(n)s.")
                % {
                    "service": booked.service,
                    "when": booked.local_start.strftime("%d.%m.%Y %H:%M"),
                    "n": booked.pk,
                },
            )
            return redirect("centers:appointment", pk=booked.pk)
    company = form.cleaned_data.get("company") if form.is_bound else None
    contacts = (
        list(Contact.objects.filter(company=company, left_company=False, erased_at__isnull=True))
        if company
        else []
    )
    source = request.POST if form.is_bound else request.GET
    return render(
        request,
        "centers/appointment_new.html",
        {
            "title": _("Book an appointment"),
            "form": form,
            "company": company,
            "contacts": contacts,
            "offer": slot_offer(source),
            "chosen": source.get("starts_at", ""),
            "slots_url": reverse("centers:appointment_slots"),
        },
    )


@require_perm(Perm.REQUESTS_WORK)
@require_GET
def appointment_slots(request: HttpRequest) -> HttpResponse:
    """The free times of the chosen service, center and day (htmx partial)."""
    return render(
        request,
        "centers/_slots.html",
        {"offer": slot_offer(request.GET), "chosen": request.GET.get("starts_at", "")},
    )


def _appointment(pk: int) -> Appointment:
    return get_object_or_404(selectors.appointments().select_related("booked_by"), pk=pk)


@require_perm(Perm.REQUESTS_WORK)
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(pk)
    center = appointment.center
    day, error = parse_day(request.GET.get("day"), center.local_day(appointment.starts_at))
    if error:
        messages.error(request, error)
    offer = slot_offer(
        {"center": center.pk, "service": appointment.service_id, "day": day.isoformat()}
    )
    booked_day = center.local_day(appointment.starts_at)
    return render(
        request,
        "centers/appointment_detail.html",
        {
            "title": _("Appointment %(n)s") % {"n": appointment.pk},
            "appointment": appointment,
            "form": RescheduleForm(initial={"day": day}),
            "offer": offer,
            "history": history_of(appointment)[:50],
            "tickets": list(appointment.tickets.all()),
            "can_check_in": has_perm(request.user, Perm.CENTER_OPERATE)
            and appointment.state == Appointment.State.BOOKED
            and booked_day == selectors.today_of(center),
            "is_booked": appointment.state == Appointment.State.BOOKED,
            "slots_url": reverse("centers:appointment_slots"),
        },
    )


@require_perm(Perm.REQUESTS_WORK)
@require_POST
def appointment_reschedule(request: HttpRequest, pk: int) -> HttpResponseBase:
    appointment = _appointment(pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("centers:appointment", pk=pk)
    try:
        moved = services.appointment_reschedule(
            appointment=appointment, starts_at=form.cleaned_data["starts_at"], by=_user(request)
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("Moved to %(when)s; the client is told by e-mail.")
            % {"when": moved.local_start.strftime("%d.%m.%Y %H:%M")},
        )
    return redirect("centers:appointment", pk=pk)


@require_perm(Perm.REQUESTS_WORK)
@require_POST
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    appointment = _appointment(pk)
    try:
        services.appointment_cancel(
            appointment=appointment, by=_user(request), reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The appointment is cancelled; the client is told by e-mail."))
    return _back(request, reverse("centers:appointment", args=[pk]))


@require_perm(Perm.CENTER_OPERATE)
@require_POST
def appointment_check_in(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The client has come: a ticket with priority, to be told to the client."""
    appointment = _appointment(pk)
    try:
        ticket = services.appointment_check_in(
            appointment=appointment, by=_user(request), at=timezone.now()
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(
            request, _("Checked in: give the client ticket %(code)s.") % {"code": ticket.code}
        )
    return _back(request, reverse("centers:appointment", args=[pk]))
