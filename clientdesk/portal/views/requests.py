"""Portal pages: what a client's own people see of their company's requests.

Every query goes through `scope_to_portal_user` / `get_for_portal_user`: an object of another
company is a 404, never a 403, so that its existence is not told.
"""

from __future__ import annotations

import uuid
from typing import IO, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientdesk.campaigns.models import PortalNotice
from clientdesk.clients.models import Channel, Company
from clientdesk.clients.validators import clean_email, clean_kpp, clean_phone
from clientdesk.core.downloads import file_download
from clientdesk.knowledge import search as kb_search
from clientdesk.knowledge import selectors as kb_selectors
from clientdesk.knowledge import services as kb_services
from clientdesk.knowledge.models import SuggestionEvent
from clientdesk.service import services as service_services
from clientdesk.service.files import ALLOWED_EXTENSIONS
from clientdesk.service.models import Attachment, RequestMessage, Service, ServiceRequest, Status

from .. import services
from ..models import PortalAccount
from ..permissions import require_portal_user
from ..selectors import (
    acting_company,
    get_for_portal_user,
    is_company_admin,
    portal_account_for,
    requester_for,
    scope_to_portal_user,
    switchable_companies,
)

PAGE_SIZE = 25
VISIBLE_KINDS = [RequestMessage.Kind.CLIENT, RequestMessage.Kind.REPLY]
_FILE_HELP = gettext_lazy("Optional. Accepted: %(types)s.") % {
    "types": ", ".join(ALLOWED_EXTENSIONS)
}


def _account(request: HttpRequest) -> PortalAccount:
    account = portal_account_for(request.user)
    if account is None:  # require_portal_user has already refused such a caller
        raise Http404
    return account


def _uploads(form: forms.Form) -> list[tuple[str, IO[bytes], int | None]]:
    upload = cast(UploadedFile | None, form.cleaned_data.get("file"))
    if upload is None:
        return []
    return [(upload.name or "file", cast(IO[bytes], upload), upload.size)]


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for e in exc.messages:
            form.add_error(None, e)


def _requests(request: HttpRequest) -> QuerySet[ServiceRequest]:
    return scope_to_portal_user(
        ServiceRequest.objects.select_related("service", "company"), request.user
    )


@require_portal_user
def home(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    open_requests = list(
        _requests(request).filter(is_open=True).order_by("-created_at", "-id")[:10]
    )
    notices = list(
        scope_to_portal_user(PortalNotice.objects.all(), request.user).filter(
            Q(contact__isnull=True) | Q(contact_id=account.contact_id)
        )[:5]
    )
    return render(
        request,
        "portal/home.html",
        {
            "title": _("Client portal"),
            "account": account,
            "company": acting_company(account),
            "companies": switchable_companies(account),
            "is_admin": is_company_admin(account),
            "open_requests": open_requests,
            "notices": notices,
        },
    )


@require_portal_user
def request_list(request: HttpRequest) -> HttpResponse:
    qs = _requests(request).order_by("-created_at", "-id")
    state = request.GET.get("state", "")
    if state == "open":
        qs = qs.filter(is_open=True)
    elif state == "closed":
        qs = qs.filter(is_open=False)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/request_list.html",
        {
            "title": _("Our requests"),
            "page": page,
            "state": state,
            "query": f"state={state}" if state else "",
        },
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    file = forms.FileField(
        label=gettext_lazy("Attach a file"), required=False, help_text=_FILE_HELP
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("file"):
            raise ValidationError(_("Write a message or attach a file before sending."))
        return data


@require_portal_user
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request)
    obj = get_for_portal_user(_requests(request), request.user, pk)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            service_services.request_client_message(
                request=obj,
                body=form.cleaned_data["body"],
                channel=Channel.PORTAL,
                contact=account.contact,
                by=request.user,  # type: ignore[arg-type]
                attachments=_uploads(form),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Your message is sent."))
            return redirect("portal:request", pk=obj.pk)
    # Internal notes, and anything attached to them, never leave the staff side.
    thread = (
        RequestMessage.objects.filter(request=obj, kind__in=VISIBLE_KINDS)
        .select_related("author", "author_contact")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    return render(
        request,
        "portal/request_detail.html",
        {
            "title": f"{obj.number} · {obj.subject}",
            "obj": obj,
            "thread": thread,
            "form": form,
            "closed": obj.status == Status.CLOSED,
        },
    )


@require_portal_user
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_for_portal_user(
        Attachment.objects.filter(message__kind__in=VISIBLE_KINDS),
        request.user,
        pk,
        company_field="request__company",
    )
    return file_download(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )


# --- a new request ---------------------------------------------------------------------------
def _portal_services() -> list[Service]:
    # The catalogue is tens of rows; channels is a JSON list that SQLite cannot search.
    return [
        s
        for s in Service.objects.filter(is_active=True).order_by("name")
        if not s.channels or Channel.PORTAL in s.channels
    ]


class NewRequestForm(forms.Form):
    form_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    body = forms.CharField(
        label=gettext_lazy("Describe what you need"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )
    file = forms.FileField(
        label=gettext_lazy("Attach a file"), required=False, help_text=_FILE_HELP
    )


@require_portal_user
def request_new(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    services = _portal_services()
    in_person = [
        s
        for s in Service.objects.filter(is_active=True, in_person_required=True).order_by("name")
        if s not in services
    ]
    chosen = None
    if service_id := request.GET.get("service") or request.POST.get("service"):
        chosen = next((s for s in services if str(s.pk) == service_id), None)
        if chosen is None:
            raise Http404
    form = NewRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        company = acting_company(account)
        contact, reply_to = requester_for(account, company)
        try:
            created = service_services.request_create(
                data=service_services.RequestInput(
                    company=company,
                    contact=contact,
                    reply_to_email=reply_to,
                    channel=Channel.PORTAL,
                    source="portal",
                    service=chosen,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    attachments=_uploads(form),
                ),
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            kb_services.suggestion_event(
                form_id=form.cleaned_data["form_id"],
                kind=SuggestionEvent.Kind.CREATED,
                user=request.user,
                company_id=account.company_id,
            )
            messages.success(request, _("Request %(number)s is sent.") % {"number": created.number})
            return redirect("portal:request", pk=created.pk)
    form_id = form["form_id"].value() or ""
    show_form = chosen is not None or not services or form.is_bound or "other" in request.GET
    if request.method == "GET" and show_form:
        form_id = uuid.uuid4().hex
        kb_services.suggestion_event(
            form_id=form_id,
            kind=SuggestionEvent.Kind.FORM,
            user=request.user,
            company_id=account.company_id,
        )
    return render(
        request,
        "portal/request_new.html",
        {
            "title": _("New request"),
            "services": services,
            "in_person": in_person,
            "chosen": chosen,
            "form": form,
            "form_id": form_id,
            "show_form": show_form,
        },
    )


@require_portal_user
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles matching the subject being typed (htmx); each shown one is recorded."""
    account = _account(request)
    subject = request.GET.get("subject", "")[:300]
    form_id = request.GET.get("form_id", "")[:40]
    articles = kb_search.suggest(kb_selectors.portal_articles(), subject, limit=5)
    kb_services.suggestions_shown(
        form_id=form_id, user=request.user, company_id=account.company_id, articles=articles
    )
    return render(request, "portal/_suggestions.html", {"articles": articles, "form_id": form_id})


# --- proposing changes to the company's details ----------------------------------------------
PROFILE_TOPIC = services.PROFILE_TOPIC


_ADDRESS = forms.Textarea(attrs={"rows": 2})


class ProfileChangeForm(forms.Form):
    """Only what a client may state about itself; INN and OGRN are checked against the
    register by staff, never taken from a form."""

    kpp = forms.CharField(label=gettext_lazy("KPP"), required=False, max_length=20)
    legal_address = forms.CharField(
        label=gettext_lazy("Legal address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    postal_address = forms.CharField(
        label=gettext_lazy("Postal address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    office_address = forms.CharField(
        label=gettext_lazy("Office address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=40)
    email = forms.CharField(label=gettext_lazy("E-mail"), required=False, max_length=254)
    comment = forms.CharField(
        label=gettext_lazy("Comment for your account manager"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, company: Company, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.company = company

    def _cleaned(self, name: str, cleaner: object) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            return ""
        try:
            return str(cleaner(value))  # type: ignore[operator]
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_kpp(self) -> str:
        return self._cleaned("kpp", clean_kpp)

    def clean_phone(self) -> str:
        return self._cleaned("phone", clean_phone)

    def clean_email(self) -> str:
        return self._cleaned("email", clean_email)

    def changes(self) -> dict[str, tuple[str, str]]:
        """field -> (current, proposed), for the fields filled in with something new."""
        found = {}
        for name in ["kpp", "legal_address", "postal_address", "office_address", "phone", "email"]:
            proposed = " ".join((self.cleaned_data.get(name) or "").split())
            current = str(getattr(self.company, name) or "")
            if proposed and proposed != " ".join(current.split()):
                found[name] = (current, proposed)
        return found

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not self.errors and not self.changes():
            raise ValidationError(_("Fill in at least one field with a new value."))
        return data


@require_portal_user
def company_profile(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    company = acting_company(account)
    form = ProfileChangeForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.profile_change_propose(
                account=account,
                company=company,
                changes=[
                    (str(form.fields[name].label), old, new)
                    for name, (old, new) in form.changes().items()
                ],
                comment=form.cleaned_data.get("comment") or "",
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your proposal is sent as request %(number)s; the account manager will check it.")
                % {"number": created.number},
            )
            return redirect("portal:request", pk=created.pk)
    pending = (
        _requests(request)
        .filter(company=company, topic=PROFILE_TOPIC, is_open=True)
        .order_by("-created_at")
    )
    return render(
        request,
        "portal/company.html",
        {
            "title": _("Company details"),
            "company": company,
            "form": form,
            "pending": pending,
        },
    )
