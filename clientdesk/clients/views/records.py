"""Record pages of the registry: the company card, the contact card and the forms that write
to them. Each view checks the capability, calls a service and renders; the rules live in the
services, whose errors are shown next to the fields they are about."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm

from .. import forms, personal_data, quality, selectors, services
from ..models import Company, Consent, Contact, Todo

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


# ---------------------------------------------------------------------------------------------
# Helpers


def _cursor_param(cursor: tuple[datetime.datetime, int] | None) -> str:
    """The timeline cursor as plain integers, so that it survives a URL without escaping."""
    if cursor is None:
        return ""
    at, pk = cursor
    return f"{(at - _EPOCH) // datetime.timedelta(microseconds=1)}_{pk}"


def _parse_cursor(value: str) -> tuple[datetime.datetime, int] | None:
    try:
        micros, pk = (int(part) for part in value.split("_", 1))
    except ValueError:
        return None
    return _EPOCH + datetime.timedelta(microseconds=micros), pk


def _timeline_context(
    request: HttpRequest,
    *,
    company: Company | None = None,
    contact: Contact | None = None,
    first_page: bool = False,
) -> dict[str, Any]:
    before = None if first_page else _parse_cursor(request.GET.get("before", ""))
    items, cursor = selectors.timeline(company=company, contact=contact, before=before)
    if company is not None:
        more_url = reverse("clients:company_timeline", args=[company.pk])
    else:
        assert contact is not None
        more_url = reverse("clients:contact_timeline", args=[contact.pk])
    return {
        "timeline": items,
        "more_url": f"{more_url}?before={_cursor_param(cursor)}" if cursor else "",
    }


def _form_page(
    request: HttpRequest, form: Any, *, title: str, back: str, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "clients/records/form_page.html",
        {"title": title, "form": form, "back": back, **extra},
        status=400 if form.is_bound and form.errors else 200,
    )


# ---------------------------------------------------------------------------------------------
# Companies


@require_perm(Perm.CLIENTS_VIEW)
def company_card(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_for_card(pk)
    if company.merged_into_id:
        # Merged companies are kept so that old links and bookmarks lead to the survivor.
        return redirect("clients:company_detail", pk=company.merged_into_id)
    contacts, left = selectors.company_contacts(company)
    percent, missing = quality.company_completeness(company)
    can_edit = has_perm(request.user, Perm.CLIENTS_EDIT)
    context = {
        "title": company.display_name,
        "company": company,
        "group": selectors.company_group(company),
        "contacts": contacts,
        "left_contacts": left,
        "contracts": selectors.company_contracts(company),
        "revenue": selectors.revenue_summary(company),
        "todos": selectors.open_todos(company=company),
        "completeness": percent,
        "missing": missing,
        "can_edit": can_edit,
        "can_view_segments": has_perm(request.user, Perm.SEGMENTS_VIEW),
        "can_work_requests": has_perm(request.user, Perm.REQUESTS_WORK),
        "can_manage_portal": has_perm(request.user, Perm.PORTAL_INVITE),
        "consents_loaded": True,
        "today": timezone.localdate(),
        "interaction_form": forms.InteractionForm(company=company) if can_edit else None,
        **_timeline_context(request, company=company),
    }
    return render(request, "clients/company_detail.html", context)


@require_perm(Perm.CLIENTS_VIEW)
def company_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    return render(
        request, "clients/records/timeline.html", _timeline_context(request, company=company)
    )


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    form = forms.CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(data=form.to_input(), by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            forms.show_service_errors(form, exc)
        else:
            messages.success(request, _("Company %(name)s added.") % {"name": company})
            return redirect("clients:company_detail", pk=company.pk)
    return render(
        request,
        "clients/company_form.html",
        {"title": _("New company"), "form": form, "back": reverse("clients:company_list")},
        status=400 if form.errors else 200,
    )


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.select_related("parent"), pk=pk)
    form = forms.CompanyForm(request.POST or None, instance=company)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(company=company, data=form.to_input(), by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            forms.show_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("clients:company_detail", pk=company.pk)
    return render(
        request,
        "clients/company_form.html",
        {
            "title": _("Edit %(name)s") % {"name": company},
            "form": form,
            "company": company,
            "back": reverse("clients:company_detail", args=[company.pk]),
        },
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------------------------------------
# Contact persons


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, company_pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=company_pk)
    form = forms.ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                company=company,
                data=form.to_input(),
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            forms.show_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s added.") % {"name": contact})
            return redirect("clients:contact_detail", pk=contact.pk)
    return render(
        request,
        "clients/contact_form.html",
        {
            "title": _("New contact person at %(company)s") % {"company": company},
            "form": form,
            "company": company,
            "back": reverse("clients:company_detail", args=[company.pk]),
        },
        status=400 if form.errors else 200,
    )


@require_perm(Perm.CLIENTS_VIEW)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_for_card(pk)
    can_edit = has_perm(request.user, Perm.CLIENTS_EDIT) and contact.erased_at is None
    context = {
        "title": contact.full_name,
        "contact": contact,
        "consents": selectors.contact_consents(contact),
        "todos": selectors.open_todos(contact=contact),
        "can_edit": can_edit,
        "today": timezone.localdate(),
        "can_manage_personal_data": has_perm(request.user, Perm.PERSONAL_DATA_MANAGE),
        "consent_form": forms.ConsentForm() if can_edit else None,
        "withdraw_form": forms.ConsentWithdrawForm() if can_edit else None,
        "left_form": forms.ContactLeftForm() if can_edit and not contact.left_company else None,
        **_timeline_context(request, contact=contact),
    }
    return render(request, "clients/contact_detail.html", context)


@require_perm(Perm.CLIENTS_VIEW)
def contact_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    return render(
        request, "clients/records/timeline.html", _timeline_context(request, contact=contact)
    )


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("company"), pk=pk)
    if contact.erased_at is not None:
        messages.error(request, _("This person's data was erased; the record cannot be edited."))
        return redirect("clients:contact_detail", pk=contact.pk)
    form = forms.ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, data=form.to_input(), by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            forms.show_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("clients:contact_detail", pk=contact.pk)
    return render(
        request,
        "clients/contact_form.html",
        {
            "title": _("Edit %(name)s") % {"name": contact},
            "form": form,
            "company": contact.company,
            "contact": contact,
            "back": reverse("clients:contact_detail", args=[contact.pk]),
        },
        status=400 if form.errors else 200,
    )


@require_perm(Perm.CLIENTS_EDIT)
@require_POST
def contact_left(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    form = forms.ContactLeftForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors.get("left_on", [])) or _("Enter a date."))
        services.contact_left_company(
            contact=contact,
            left_on=form.cleaned_data["left_on"],
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked as having left the company."))
    return redirect("clients:contact_detail", pk=contact.pk)


# ---------------------------------------------------------------------------------------------
# Interactions


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def interaction_create(request: HttpRequest, company_pk: int) -> HttpResponse:
    """On the card the form posts through htmx and gets back the refreshed timeline panel;
    without JavaScript it is an ordinary page that redirects to the card."""
    company = get_object_or_404(Company, pk=company_pk)
    form = forms.InteractionForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.interaction_record(
                company=company,
                channel=d["channel"],
                subject=d["subject"],
                occurred_at=d["occurred_at"],
                contact=d["contact"],
                staff=request.user,  # type: ignore[arg-type]
                direction=d["direction"],
                summary=d["summary"],
                outcome=d["outcome"],
                next_step=d["next_step"],
                next_step_due=d["next_step_due"],
                create_follow_up=True,
            )
        except ValidationError as exc:
            forms.show_service_errors(form, exc)
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, _("Interaction recorded."))
                return redirect("clients:company_detail", pk=company.pk)
            form = forms.InteractionForm(company=company)
    back = reverse("clients:company_detail", args=[company.pk])
    if request.htmx:  # type: ignore[attr-defined]
        context = {"company": company, "interaction_form": form, "can_edit": True}
        context.update(_timeline_context(request, company=company, first_page=True))
        return render(request, "clients/records/interactions.html", context)
    return _form_page(
        request, form, title=_("New interaction with %(name)s") % {"name": company}, back=back
    )


# ---------------------------------------------------------------------------------------------
# Consents and personal data


@require_perm(Perm.CLIENTS_EDIT)
@require_POST
def consent_give(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    form = forms.ConsentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_text())
        d = form.cleaned_data
        services.consent_give(
            contact=contact,
            purpose=d["purpose"],
            channel=d["channel"],
            source=d["source"],
            text=d["text"],
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Consent recorded."))
    return redirect("clients:contact_detail", pk=contact.pk)


@require_perm(Perm.CLIENTS_EDIT)
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_object_or_404(Consent.objects.select_related("contact"), pk=pk)
    form = forms.ConsentWithdrawForm(request.POST)
    source = form.cleaned_data["source"] if form.is_valid() else Consent.Source.STAFF
    services.consent_withdraw(consent=consent, source=source, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Consent withdrawn."))
    return redirect("clients:contact_detail", pk=consent.contact_id)


@require_perm(Perm.PERSONAL_DATA_MANAGE)
def contact_export(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("company"), pk=pk)
    data = personal_data.export_person_for(contact=contact, by=request.user)  # type: ignore[arg-type]
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@require_perm(Perm.PERSONAL_DATA_MANAGE)
@require_http_methods(["GET", "POST"])
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("company"), pk=pk)
    back = reverse("clients:contact_detail", args=[contact.pk])
    if contact.erased_at is not None:
        messages.info(request, _("This person's data has already been erased."))
        return redirect(back)
    form = forms.EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            personal_data.erase_person(
                contact=contact,
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            forms.show_service_errors(form, exc)
        else:
            messages.success(request, _("Personal data erased."))
            return redirect(back)
    return _form_page(
        request,
        form,
        title=_("Erase the personal data of %(name)s") % {"name": contact},
        back=back,
        danger=True,
        intro=_(
            "Name, position, phones and e-mails are removed for good, consents are withdrawn "
            "and the timeline keeps only business facts. The audit trail records the erasure "
            "and its reason."
        ),
    )


# ---------------------------------------------------------------------------------------------
# To-dos (contracts and revenue records: views/finance.py)


@require_perm(Perm.CLIENTS_EDIT)
@require_POST
def todo_done(request: HttpRequest, pk: int) -> HttpResponse:
    todo = get_object_or_404(Todo.objects.select_related("company"), pk=pk)
    services.todo_done(todo=todo, by=request.user)  # type: ignore[arg-type]
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")
    messages.success(request, _("To-do done."))
    return redirect("clients:company_detail", pk=todo.company_id)


urlpatterns = [
    path("new/", company_create, name="company_create"),
    path("<int:pk>/", company_card, name="company_detail"),
    path("<int:pk>/edit/", company_edit, name="company_edit"),
    path("<int:pk>/timeline/", company_timeline, name="company_timeline"),
    path("<int:company_pk>/contacts/new/", contact_create, name="contact_create"),
    path("<int:company_pk>/interactions/new/", interaction_create, name="interaction_create"),
    path("contacts/<int:pk>/", contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/left/", contact_left, name="contact_left"),
    path("contacts/<int:pk>/timeline/", contact_timeline, name="contact_timeline"),
    path("contacts/<int:pk>/consents/new/", consent_give, name="consent_give"),
    path("contacts/<int:pk>/export/", contact_export, name="contact_export"),
    path("contacts/<int:pk>/erase/", contact_erase, name="contact_erase"),
    path("consents/<int:pk>/withdraw/", consent_withdraw, name="consent_withdraw"),
    path("todos/<int:pk>/done/", todo_done, name="todo_done"),
]
