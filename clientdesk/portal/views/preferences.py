"""The portal user's own settings: notifications, consents of their contact person, the
company being looked at, and a link to two-step sign-in."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientdesk.accounts.services import has_second_factor

from .. import selectors, services
from ..forms import CHANNEL_LABELS, ConsentsForm, NotificationsForm
from ..permissions import require_portal_user


@require_portal_user
def preferences(request: HttpRequest) -> HttpResponse:
    account = selectors.portal_account_for(request.user)
    assert account is not None  # require_portal_user
    contact = account.contact
    action = request.POST.get("action", "") if request.method == "POST" else ""
    notify_initial = {k: getattr(account, f"notify_{k}") for k in services.NOTIFICATION_KINDS}
    notify_form = NotificationsForm(
        request.POST if action == "notifications" else None, initial=notify_initial
    )
    consents_form = None
    if contact is not None and contact.erased_at is None:
        consents_form = ConsentsForm(
            request.POST if action == "consents" else None,
            initial=ConsentsForm.initial_for(services.consent_matrix(contact)),
        )
    if action == "notifications" and notify_form.is_valid():
        services.notification_preferences_set(
            account=account, preferences=notify_form.cleaned_data, by=request.user
        )
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("portal:preferences")
    if action == "consents" and consents_form is not None and consents_form.is_valid():
        assert contact is not None
        try:
            services.consents_set(contact=contact, wanted=consents_form.wanted(), by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your consents are saved."))
            return redirect("portal:preferences")
    return render(
        request,
        "portal/preferences.html",
        {
            "title": _("My settings"),
            "account": account,
            "notify_form": notify_form,
            "consents_form": consents_form,
            "channel_labels": CHANNEL_LABELS,
            "two_factor": has_second_factor(request.user),
        },
    )


@require_portal_user
@require_POST
def switch_company(request: HttpRequest) -> HttpResponse:
    account = selectors.portal_account_for(request.user)
    assert account is not None
    raw = request.POST.get("company", "")
    try:
        company_id = int(raw) if raw else None
        services.current_company_set(account=account, company_id=company_id)
    except (ValueError, ValidationError):
        raise Http404 from None
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "portal:home")
