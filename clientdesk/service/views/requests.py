"""The request page and what is done on it, the new-request form, attachments, the call card.

Every staff member who works requests may open any request (one service desk; the queues are
where work is divided). Download of an attachment checks the same right and never serves a
file inline: it is always `Content-Disposition: attachment` with `nosniff`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientdesk.accounts.models import User
from clientdesk.clients.models import Company, Contact
from clientdesk.core.downloads import file_download
from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from .. import hooks, selectors, services
from ..forms import ClassifyForm, FinishCallForm, MessageForm, RequestForm
from ..models import Agent, Attachment, CallLog, Service, ServiceRequest, Status
from ..services import TRANSITIONS
from . import actor


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _uploads(request: HttpRequest, field: str = "attachment") -> list[tuple[str, Any, int | None]]:
    return [(f.name or "file", f, f.size) for f in request.FILES.getlist(field)]


def _assignable(request_obj: ServiceRequest) -> list[User]:
    qs = User.objects.filter(kind=User.Kind.STAFF, is_active=True)
    if request_obj.team_id:
        agent_ids = Agent.objects.filter(units=request_obj.team_id).values("user_id")
        qs = qs.filter(Q(pk__in=agent_ids) | Q(pk=request_obj.assignee_id or 0))
    return list(qs.order_by("last_name", "first_name")[:200])


def _page_context(request: HttpRequest, obj: ServiceRequest) -> dict[str, Any]:
    now = timezone.now()
    return {
        "title": f"{obj.number} {obj.subject}",
        "r": obj,
        "sla": selectors.sla_state(obj, now),
        "thread": selectors.thread(obj),
        "context": selectors.client_context(obj),
        "client_facts": hooks.client_facts(obj.company_id, request.user),
        "transitions": [(s, Status(s).label) for s in sorted(TRANSITIONS[obj.status])],
        "assignable": _assignable(obj),
        "classify": ClassifyForm(
            initial={
                "avoidable_reason": obj.avoidable_reason_id,
                "topic": obj.topic,
                "priority": obj.priority,
            }
        ),
        "message_form": MessageForm(),
        "calls": list(obj.calls.select_related("agent").order_by("-started_at")[:10]),
    }


@require_perm(Perm.REQUESTS_WORK)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.request_for_page(pk)
    return render(request, "service/request_detail.html", _page_context(request, obj))


@require_perm(Perm.REQUESTS_WORK)
@require_GET
def request_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """The conversation alone, polled by the request page so that new messages appear."""
    obj = selectors.request_for_page(pk)
    return render(request, "service/_messages.html", {"r": obj, "thread": selectors.thread(obj)})


@require_perm(Perm.REQUESTS_WORK)
@require_POST
def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    """A reply (client-visible, e-mailed) or an internal note; htmx swaps the thread in place."""
    obj = selectors.request_for_page(pk)
    kind = request.POST.get("kind", "reply")
    body = request.POST.get("body", "")
    error = ""
    try:
        if kind == "note":
            services.request_note(request=obj, body=body, by=actor(request))
        else:
            services.request_reply(
                request=obj,
                body=body,
                by=actor(request),
                attachments=_uploads(request),
            )
    except ValidationError as exc:
        error = _errors(exc)
    if getattr(request, "htmx", False):
        obj = selectors.request_for_page(pk)
        response = render(
            request,
            "service/_thread.html",
            {
                "r": obj,
                "thread": selectors.thread(obj),
                "error": error,
                "body": body if error else "",
            },
        )
        response["HX-Trigger"] = "request-changed"
        return response
    if error:
        messages.error(request, error)
    return redirect("service:request_detail", pk=pk)


@require_perm(Perm.REQUESTS_WORK)
@require_POST
def request_status(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.request_for_page(pk)
    to = request.POST.get("status", "")
    try:
        if to == Status.RESOLVED:
            services.request_resolve(
                request=obj,
                by=actor(request),
                first_contact=bool(request.POST.get("first_contact")),
                comment=request.POST.get("comment", ""),
            )
        else:
            services.request_change_status(
                request=obj,
                to=to,
                by=actor(request),
                comment=request.POST.get("comment", ""),
            )
        messages.success(request, _("Status changed to “%(s)s”.") % {"s": Status(to).label})
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("service:request_detail", pk=pk)


@require_perm(Perm.REQUESTS_WORK)
@require_POST
def request_assign(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.request_for_page(pk)
    value = request.POST.get("assignee", "")
    to = None
    if value == "me":
        to = actor(request)
    elif value.isdigit():
        to = User.objects.filter(pk=int(value), kind=User.Kind.STAFF).first()
        if to is None:
            messages.error(request, _("Choose a staff member from the list."))
            return redirect("service:request_detail", pk=pk)
    try:
        services.request_assign(request=obj, to=to, by=actor(request))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("service:request_detail", pk=pk)


@require_perm(Perm.REQUESTS_WORK)
@require_POST
def request_classify(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.request_for_page(pk)
    form = ClassifyForm(request.POST)
    if form.is_valid():
        services.request_classify(
            request=obj,
            by=actor(request),
            avoidable_reason=form.cleaned_data["avoidable_reason"],
            topic=form.cleaned_data["topic"],
            priority=form.cleaned_data["priority"],
        )
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Check the classification: %(e)s") % {"e": form.errors.as_text()})
    return redirect("service:request_detail", pk=pk)


@require_perm(Perm.REQUESTS_WORK)
@require_POST
def request_set_client(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.request_for_page(pk)
    company = Company.objects.filter(pk=request.POST.get("company") or 0).first()
    if company is None:
        messages.error(request, _("Find and choose the client company."))
        return redirect("service:request_detail", pk=pk)
    contact = Contact.objects.filter(pk=request.POST.get("contact") or 0, company=company).first()
    services.request_set_client(request=obj, company=company, contact=contact, by=actor(request))
    return redirect("service:request_detail", pk=pk)


@require_perm(Perm.REQUESTS_WORK)
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.request_for_page(pk)
    uploads = _uploads(request, "file")
    if not uploads:
        messages.error(request, _("Choose a file to attach."))
    for name, stream, size in uploads:
        try:
            services.attachment_add(
                request=obj, name=name, stream=stream, size=size, by=actor(request)
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    return redirect("service:request_detail", pk=pk)


@require_perm(Perm.REQUESTS_WORK)
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(Attachment, pk=pk)
    return file_download(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )


# --- the new-request form --------------------------------------------------------------------
@require_perm(Perm.REQUESTS_WORK)
def request_new(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    chosen_company = None
    if request.GET.get("company"):
        chosen_company = Company.objects.filter(pk=request.GET["company"]).first()
        initial["company"] = chosen_company.pk if chosen_company else None
    if request.GET.get("channel"):
        initial["channel"] = request.GET["channel"]
    form = RequestForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_create(
                data=services.RequestInput(
                    company=data["company"],
                    contact=data["contact"],
                    channel=data["channel"],
                    service=data["service"],
                    priority=data["priority"],
                    subject=data["subject"],
                    body=data["body"],
                    topic=data["topic"],
                    source="staff",
                    attachments=_uploads(request),
                ),
                by=actor(request),
            )
            if data["avoidable_reason"]:
                services.request_classify(
                    request=created,
                    by=actor(request),
                    avoidable_reason=data["avoidable_reason"],
                )
            if data["resolved_now"]:
                services.request_resolve(request=created, by=actor(request), first_contact=True)
        except ValidationError as exc:
            for name, errs in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errs)
        else:
            messages.success(request, _("Request %(n)s opened.") % {"n": created.number})
            return redirect("service:request_detail", pk=created.pk)
    if request.method == "POST" and form.data.get("company", "").isdigit():
        chosen_company = Company.objects.filter(pk=form.data["company"]).first()
    contacts = (
        list(Contact.objects.filter(company=chosen_company, left_company=False))
        if chosen_company
        else []
    )
    service = None
    service_id = form.data.get("service") if form.is_bound else ""
    if service_id and str(service_id).isdigit():
        service = Service.objects.filter(pk=service_id).first()
    return render(
        request,
        "service/request_new.html",
        {
            "title": _("New request"),
            "form": form,
            "company": chosen_company,
            "contacts": contacts,
            "service": service,
        },
    )


@require_perm(Perm.REQUESTS_WORK)
@require_GET
def company_search(request: HttpRequest) -> HttpResponse:
    from clientdesk.clients.search import search_companies

    q = request.GET.get("company_q", "").strip()
    companies = search_companies(q, limit=10) if len(q) >= 2 else []
    return render(request, "service/_company_results.html", {"companies": companies, "q": q})


@require_perm(Perm.REQUESTS_WORK)
@require_GET
def company_contacts(request: HttpRequest) -> HttpResponse:
    company = Company.objects.filter(pk=request.GET.get("company") or 0).first()
    contacts = list(Contact.objects.filter(company=company, left_company=False)) if company else []
    open_requests = (
        list(
            ServiceRequest.objects.filter(company=company, is_open=True)
            .select_related("service")
            .order_by("resolution_due")[:5]
        )
        if company
        else []
    )
    return render(
        request,
        "service/_company_contacts.html",
        {"company": company, "contacts": contacts, "open_requests": open_requests},
    )


@require_perm(Perm.REQUESTS_WORK)
@require_GET
def service_info(request: HttpRequest) -> HttpResponse:
    service = (
        Service.objects.filter(pk=request.GET.get("service") or 0).select_related("unit").first()
    )
    return render(request, "service/_service_info.html", {"service": service})


@require_perm(Perm.REQUESTS_WORK)
def catalogue(request: HttpRequest) -> HttpResponse:
    services_list = (
        Service.objects.filter(is_active=True).select_related("unit").prefetch_related("skills")
    )
    return render(
        request,
        "service/catalogue.html",
        {"title": _("Service catalogue"), "services": services_list},
    )


# --- calls -----------------------------------------------------------------------------------
@require_perm(Perm.REQUESTS_WORK)
def call_lookup(request: HttpRequest) -> HttpResponse:
    """An operator types the caller's number (no telephony integration, or a test)."""
    phone = request.POST.get("phone", "") if request.method == "POST" else ""
    if phone:
        try:
            card = services.call_event_incoming(phone=phone, by=actor(request))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            return redirect("service:call_card", pk=card.call.pk)
    return render(request, "service/call_lookup.html", {"title": _("Incoming call")})


@require_perm(Perm.REQUESTS_WORK)
def call_card(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(
        CallLog.objects.select_related("company__account_manager", "contact", "request"), pk=pk
    )
    form = FinishCallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        req = ServiceRequest.objects.filter(pk=request.POST.get("request") or 0).first()
        try:
            services.call_finish(
                call=call,
                duration_seconds=form.cleaned_data["duration"],
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                request=req,
                by=actor(request),
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("The call is logged."))
            return redirect("service:call_card", pk=pk)
    open_requests = (
        list(
            ServiceRequest.objects.filter(company=call.company, is_open=True)
            .select_related("service", "assignee")
            .order_by("resolution_due")[:20]
        )
        if call.company_id
        else []
    )
    elapsed = int((timezone.now() - call.started_at).total_seconds())
    return render(
        request,
        "service/call_card.html",
        {
            "title": _("Call %(p)s") % {"p": call.phone},
            "call": call,
            "open_requests": open_requests,
            "form": form,
            "elapsed": elapsed,
            "new_url": reverse("service:request_new")
            + (
                f"?company={call.company_id}&channel=phone" if call.company_id else "?channel=phone"
            ),
        },
    )


urlpatterns = [
    path("requests/new/", request_new, name="request_new"),
    path("requests/<int:pk>/", request_detail, name="request_detail"),
    path("requests/<int:pk>/messages/", request_message, name="request_message"),
    path("requests/<int:pk>/thread/", request_messages, name="request_messages"),
    path("requests/<int:pk>/status/", request_status, name="request_status"),
    path("requests/<int:pk>/assign/", request_assign, name="request_assign"),
    path("requests/<int:pk>/classify/", request_classify, name="request_classify"),
    path("requests/<int:pk>/client/", request_set_client, name="request_set_client"),
    path("requests/<int:pk>/attachments/", attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", attachment_download, name="attachment_download"),
    path("lookup/companies/", company_search, name="company_search"),
    path("lookup/contacts/", company_contacts, name="company_contacts"),
    path("lookup/service/", service_info, name="service_info"),
    path("catalogue/", catalogue, name="catalogue"),
    path("calls/", call_lookup, name="call_lookup"),
    path("calls/<int:pk>/", call_card, name="call_card"),
]
