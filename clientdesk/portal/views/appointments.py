"""Portal pages of appointments at the service centers: a client's employee books a visit for
the company, sees the company's appointments, moves and cancels them.

Every read goes through `scope_to_portal_user` / `get_for_portal_user`: another company's
appointment is a 404. Booking is always for the portal account's own company and contact;
the slots, the capacity check and the e-mails are the centers app's (`centers.services`).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientdesk.centers import selectors as center_selectors
from clientdesk.centers import services as center_services
from clientdesk.centers.forms import (
    BookingForm,
    RescheduleForm,
    add_service_errors,
    parse_day,
    slot_offer,
)
from clientdesk.centers.models import Appointment

from ..models import PortalAccount
from ..permissions import require_portal_user
from ..selectors import (
    acting_company,
    get_for_portal_user,
    portal_account_for,
    scope_to_portal_user,
)

PAST_SHOWN = 20


def _account(request: HttpRequest) -> PortalAccount:
    account = portal_account_for(request.user)
    if account is None:  # require_portal_user has already refused such a caller
        raise Http404
    return account


def _appointments(request: HttpRequest) -> QuerySet[Appointment]:
    return scope_to_portal_user(center_selectors.appointments(), request.user)


@require_portal_user
def appointment_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    mine = _appointments(request)
    upcoming = list(
        mine.filter(state=Appointment.State.BOOKED, starts_at__gte=now).order_by("starts_at")
    )
    earlier = list(
        mine.exclude(pk__in=[a.pk for a in upcoming]).order_by("-starts_at", "-pk")[:PAST_SHOWN]
    )
    return render(
        request,
        "portal/appointment_list.html",
        {
            "title": _("Appointments at our service centers"),
            "upcoming": upcoming,
            "earlier": earlier,
        },
    )


@require_portal_user
def appointment_new(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    initial = {k: request.GET[k] for k in ("service", "center", "day") if request.GET.get(k)}
    form = BookingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # For the company being looked at (a granted subsidiary, or the own one); the
        # account's contact person works for the own company only.
        company = acting_company(account)
        contact = (
            account.contact if account.contact_id and company.pk == account.company_id else None
        )
        try:
            booked = center_services.appointment_book(
                center=data["center"],
                service=data["service"],
                starts_at=data["starts_at"],
                company=company,
                contact=contact,
                note=data.get("note") or "",
                by=request.user,  # type: ignore[arg-type]
                source=Appointment.Source.PORTAL,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your appointment is booked; a confirmation is sent by e-mail."),
            )
            return redirect("portal:appointment", pk=booked.pk)
    source = request.POST if form.is_bound else request.GET
    return render(
        request,
        "portal/appointment_new.html",
        {
            "title": _("Book a visit to a service center"),
            "form": form,
            "offer": slot_offer(source),
            "chosen": source.get("starts_at", ""),
            "slots_url": reverse("portal:appointment_slots"),
        },
    )


@require_portal_user
@require_GET
def appointment_slots(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "centers/_slots.html",
        {"offer": slot_offer(request.GET), "chosen": request.GET.get("starts_at", "")},
    )


@require_portal_user
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_for_portal_user(_appointments(request), request.user, pk)
    center = appointment.center
    day, error = parse_day(request.GET.get("day"), center.local_day(appointment.starts_at))
    if error:
        messages.error(request, error)
    is_booked = (
        appointment.state == Appointment.State.BOOKED and appointment.starts_at > timezone.now()
    )
    return render(
        request,
        "portal/appointment_detail.html",
        {
            "title": _("Appointment %(n)s") % {"n": appointment.pk},
            "appointment": appointment,
            "is_booked": is_booked,
            "form": RescheduleForm(initial={"day": day}),
            "offer": slot_offer(
                {"center": center.pk, "service": appointment.service_id, "day": day.isoformat()}
            ),
            "slots_url": reverse("portal:appointment_slots"),
        },
    )


@require_portal_user
@require_POST
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_for_portal_user(_appointments(request), request.user, pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("portal:appointment", pk=pk)
    try:
        center_services.appointment_reschedule(
            appointment=appointment,
            starts_at=form.cleaned_data["starts_at"],
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Your appointment is moved; a confirmation is sent by e-mail."))
    return redirect("portal:appointment", pk=pk)


@require_portal_user
@require_POST
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_for_portal_user(_appointments(request), request.user, pk)
    if appointment.starts_at <= timezone.now():
        messages.error(
            request, _("The time of this appointment has passed: it cannot be cancelled.")
        )
        return redirect("portal:appointment", pk=pk)
    try:
        center_services.appointment_cancel(
            appointment=appointment,
            by=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Your appointment is cancelled."))
    return redirect("portal:appointment", pk=pk)
