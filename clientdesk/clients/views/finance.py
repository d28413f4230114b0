"""Contracts and revenue records of a company: add, correct, delete, from the company card.

Access follows the rest of the registry's record pages: reading needs CLIENTS_VIEW, writing
CLIENTS_EDIT (account managers, operators, supervisors, administrators); the services check the
rules and write the audit rows. A record is always reached through its company, so a URL that
pairs a company with another company's record is a 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm

from .. import forms, selectors, services
from ..models import Company, Contract, RevenueRecord

REVENUE_PAGE_SIZE = 50


def _company(pk: int) -> Company:
    return get_object_or_404(Company, pk=pk)


def _card(company: Company) -> str:
    return reverse("clients:company_detail", args=[company.pk])


def _form_page(
    request: HttpRequest, form: forms.ContractForm | forms.RevenueForm, *, title: str, back: str
) -> HttpResponse:
    return render(
        request,
        "clients/records/form_page.html",
        {"title": title, "form": form, "back": back},
        status=400 if form.is_bound and form.errors else 200,
    )


def _save_form(
    request: HttpRequest,
    form: forms.ContractForm | forms.RevenueForm,
    save: Callable[[], str],
    *,
    done: str,
    title: str,
    back: str,
) -> HttpResponse:
    """The form page of one record: on a valid POST `save()` calls the service and returns the
    success message, and the user goes to `done`; the service's errors go back on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            message = save()
        except ValidationError as exc:
            forms.show_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(done)
    return _form_page(request, form, title=title, back=back)


def _confirm_page(request: HttpRequest, *, title: str, intro: str, back: str) -> HttpResponse:
    return render(
        request,
        "clients/records/confirm_delete.html",
        {"title": title, "intro": intro, "back": back},
    )


# ---------------------------------------------------------------------------------------------
# Contracts


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest, company_pk: int) -> HttpResponse:
    company = _company(company_pk)
    form = forms.ContractForm(request.POST or None)

    def save() -> str:
        contract = services.contract_create(
            company=company,
            data=form.to_input(),
            by=request.user,  # type: ignore[arg-type]
        )
        return _("Contract %(c)s added.") % {"c": contract}

    return _save_form(
        request,
        form,
        save,
        done=_card(company),
        title=_("New contract with %(name)s") % {"name": company},
        back=_card(company),
    )


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, company_pk: int, pk: int) -> HttpResponse:
    company = _company(company_pk)
    contract = get_object_or_404(Contract, pk=pk, company=company)
    form = forms.ContractForm(request.POST or None, instance=contract)

    def save() -> str:
        services.contract_update(
            contract=contract,
            data=form.to_input(),
            by=request.user,  # type: ignore[arg-type]
        )
        return _("Contract %(c)s saved.") % {"c": contract}

    return _save_form(
        request,
        form,
        save,
        done=_card(company),
        title=_("Contract %(c)s with %(name)s") % {"c": contract, "name": company},
        back=_card(company),
    )


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def contract_delete(request: HttpRequest, company_pk: int, pk: int) -> HttpResponse:
    company = _company(company_pk)
    contract = get_object_or_404(Contract, pk=pk, company=company)
    if request.method == "POST":
        services.contract_delete(contract=contract, by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Contract %(c)s deleted.") % {"c": contract})
        return redirect("clients:company_detail", pk=company.pk)
    linked = RevenueRecord.objects.filter(contract=contract).count()
    intro = _("The contract is removed from the card; the audit trail keeps what it said.")
    if linked:
        intro += " " + _("%(n)s revenue records refer to it: they stay and lose the reference.") % {
            "n": linked
        }
    return _confirm_page(
        request,
        title=_("Delete contract %(c)s of %(name)s?") % {"c": contract, "name": company},
        intro=intro,
        back=_card(company),
    )


# ---------------------------------------------------------------------------------------------
# Revenue records


@require_perm(Perm.CLIENTS_VIEW)
def revenue_list(request: HttpRequest, company_pk: int) -> HttpResponse:
    """Every revenue record of the company, newest first, 50 to a page (the card shows only
    the monthly sums)."""
    company = _company(company_pk)
    page = Paginator(selectors.company_revenue_records(company), REVENUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "clients/records/revenue_list.html",
        {
            "title": _("Revenue records of %(name)s") % {"name": company},
            "company": company,
            "page": page,
            "records": page.object_list,
            "can_edit": has_perm(request.user, Perm.CLIENTS_EDIT),
        },
    )


def _revenue_back(request: HttpRequest, company: Company) -> str:
    # Back to where the user came from: the list of records, or the card.
    listing = reverse("clients:revenue_list", args=[company.pk])
    return listing if request.GET.get("from") == "list" else _card(company)


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def revenue_create(request: HttpRequest, company_pk: int) -> HttpResponse:
    company = _company(company_pk)
    form = forms.RevenueForm(request.POST or None, company=company)
    back = _revenue_back(request, company)

    def save() -> str:
        services.revenue_record_create(
            company=company,
            data=form.to_input(),
            by=request.user,  # type: ignore[arg-type]
        )
        return _("Revenue recorded.")

    return _save_form(
        request,
        form,
        save,
        done=back,
        title=_("New revenue record for %(name)s") % {"name": company},
        back=back,
    )


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def revenue_edit(request: HttpRequest, company_pk: int, pk: int) -> HttpResponse:
    company = _company(company_pk)
    record = get_object_or_404(RevenueRecord, pk=pk, company=company)
    form = forms.RevenueForm(request.POST or None, company=company, instance=record)
    back = reverse("clients:revenue_list", args=[company.pk])

    def save() -> str:
        services.revenue_record_update(
            record=record,
            data=form.to_input(),
            by=request.user,  # type: ignore[arg-type]
        )
        return _("Revenue record saved.")

    return _save_form(
        request,
        form,
        save,
        done=back,
        title=_("Revenue record of %(date)s, %(name)s")
        % {"date": record.date.strftime("%d.%m.%Y"), "name": company},
        back=back,
    )


@require_perm(Perm.CLIENTS_EDIT)
@require_http_methods(["GET", "POST"])
def revenue_delete(request: HttpRequest, company_pk: int, pk: int) -> HttpResponse:
    company = _company(company_pk)
    record = get_object_or_404(RevenueRecord, pk=pk, company=company)
    back = reverse("clients:revenue_list", args=[company.pk])
    if request.method == "POST":
        services.revenue_record_delete(record=record, by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Revenue record deleted."))
        return redirect(back)
    return _confirm_page(
        request,
        title=_("Delete the revenue record of %(date)s (%(amount)s %(currency)s)?")
        % {
            "date": record.date.strftime("%d.%m.%Y"),
            "amount": record.amount,
            "currency": record.currency,
        },
        intro=_(
            "Segments and reports stop counting it; the audit trail keeps what it said. "
            "If the amount was wrong, edit the record instead."
        ),
        back=back,
    )


urlpatterns = [
    path("<int:company_pk>/contracts/new/", contract_create, name="contract_create"),
    path("<int:company_pk>/contracts/<int:pk>/edit/", contract_edit, name="contract_edit"),
    path("<int:company_pk>/contracts/<int:pk>/delete/", contract_delete, name="contract_delete"),
    path("<int:company_pk>/revenue/", revenue_list, name="revenue_list"),
    path("<int:company_pk>/revenue/new/", revenue_create, name="revenue_create"),
    path("<int:company_pk>/revenue/<int:pk>/edit/", revenue_edit, name="revenue_edit"),
    path("<int:company_pk>/revenue/<int:pk>/delete/", revenue_delete, name="revenue_delete"),
]
