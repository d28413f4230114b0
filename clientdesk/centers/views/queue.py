"""Pages of the service centers: the operator's desk, the kiosk and the display board.

The kiosk and the board are public on purpose (a touch screen in the hall, a TV on the wall):
they show service names, ticket codes and desk numbers, never a client's name. The board's
list is a small partial that htmx polls every second.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientdesk.accounts.models import User
from clientdesk.clients.models import Company
from clientdesk.core.permissions import public, require_perm
from clientdesk.core.roles import Perm
from clientdesk.service.models import Service

from .. import selectors, services
from ..models import Desk, Outcome, ServiceCenter, Ticket, TicketState


def _center(code: str) -> ServiceCenter:
    center = selectors.active_centers().filter(code=code).first()
    if center is None:
        raise Http404
    return center


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


# --- kiosk -----------------------------------------------------------------------------------
@public
def kiosk(request: HttpRequest, code: str) -> HttpResponse:
    center = _center(code)
    return render(
        request,
        "centers/kiosk.html",
        {"title": center.name, "center": center, "groups": selectors.kiosk_groups(center)},
    )


@public
@require_POST
def kiosk_issue(request: HttpRequest, code: str) -> HttpResponseBase:
    center = _center(code)
    service = Service.objects.filter(pk=request.POST.get("service") or 0).first()
    if service is None:
        messages.error(request, _("Choose a service."))
        return redirect("centers:kiosk", code=center.code)
    try:
        ticket = services.ticket_issue(center=center, service=service)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("centers:kiosk", code=center.code)
    estimate = services.estimate_wait(ticket)
    return render(
        request,
        "centers/kiosk_ticket.html",
        {
            "title": ticket.code,
            "center": center,
            "ticket": ticket,
            "estimate": estimate,
            "documents": service.documents,
        },
    )


# --- board -----------------------------------------------------------------------------------
@public
def board(request: HttpRequest, code: str) -> HttpResponse:
    center = _center(code)
    context = {"title": center.name, "center": center, "tickets": selectors.board(center)}
    if getattr(request, "htmx", False):
        return render(request, "centers/_board_rows.html", context)
    return render(request, "centers/board.html", context)


# --- operator --------------------------------------------------------------------------------
def _operator(request: HttpRequest) -> User:
    return cast(User, request.user)


@require_perm(Perm.CENTER_OPERATE)
def desk(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    session = selectors.open_session_of(operator)
    context: dict[str, Any] = {"title": _("My desk"), "session": session}
    if session is None:
        context["desks"] = (
            Desk.objects.filter(center__is_active=True, is_active=True)
            .select_related("center")
            .order_by("center__name", "number")
        )
        return render(request, "centers/desk_signin.html", context)
    my_desk = session.desk
    day = selectors.today_of(my_desk.center)
    queue = selectors.queue_for_desk(my_desk, day)
    context.update(
        desk=my_desk,
        current=list(selectors.desk_tickets(my_desk, day)),
        queue=list(queue[:10]),
        waiting_count=queue.count(),
        outcomes=Outcome.choices,
        other_desks=Desk.objects.filter(center=my_desk.center, is_active=True).exclude(
            pk=my_desk.pk
        ),
        center_services=selectors.kiosk_groups(my_desk.center),
        # Reception: a booked client who has come is checked in here and gets a ticket.
        arrivals=selectors.appointments_to_check_in(my_desk.center),
    )
    return render(request, "centers/desk.html", context)


@require_perm(Perm.CENTER_OPERATE)
@require_POST
def desk_signin(request: HttpRequest) -> HttpResponseBase:
    chosen = Desk.objects.filter(pk=request.POST.get("desk") or 0).first()
    if chosen is None:
        messages.error(request, _("Choose a desk."))
    else:
        try:
            services.session_open(desk=chosen, operator=_operator(request))
        except ValidationError as exc:
            _errors(request, exc)
    return redirect("centers:desk")


@require_perm(Perm.CENTER_OPERATE)
@require_POST
def desk_signout(request: HttpRequest) -> HttpResponseBase:
    services.session_close(operator=_operator(request))
    return redirect("centers:desk")


@require_perm(Perm.CENTER_OPERATE)
@require_POST
def call_next(request: HttpRequest) -> HttpResponseBase:
    try:
        ticket = services.ticket_call_next(by=_operator(request))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if ticket is None:
            messages.info(request, _("Nobody is waiting for your desk."))
    return redirect("centers:desk")


ACTIONS = {"recall", "start", "no_show", "finish", "transfer"}


@require_perm(Perm.CENTER_OPERATE)
@require_POST
def ticket_action(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    if action not in ACTIONS:
        raise Http404
    operator = _operator(request)
    # Only tickets at a desk can be acted on; `services` checks it is the operator's desk.
    ticket = get_object_or_404(
        Ticket.objects.select_related("center", "service"),
        pk=pk,
        state__in=[TicketState.CALLED, TicketState.SERVING],
    )
    try:
        if action == "recall":
            services.ticket_recall(ticket=ticket, by=operator)
        elif action == "start":
            services.ticket_start(ticket=ticket, by=operator)
        elif action == "no_show":
            services.ticket_no_show(ticket=ticket, by=operator)
        elif action == "transfer":
            target_service = Service.objects.filter(pk=request.POST.get("service") or 0).first()
            target_desk = Desk.objects.filter(pk=request.POST.get("desk") or 0).first()
            successor = services.ticket_transfer(
                ticket=ticket, by=operator, service=target_service, desk=target_desk
            )
            messages.success(
                request, _("Transferred: the client's new ticket is %(c)s.") % {"c": successor.code}
            )
        else:
            company = Company.objects.filter(pk=request.POST.get("company") or 0).first()
            services.ticket_finish(
                ticket=ticket,
                by=operator,
                outcome=request.POST.get("outcome", ""),
                first_contact_resolved=request.POST.get("first_contact_resolved") == "on",
                company=company,
                note=request.POST.get("note", ""),
            )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("centers:desk")
