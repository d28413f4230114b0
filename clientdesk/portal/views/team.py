"""Who has access to a company's portal: the company's own portal administrator (`team`) and
staff who manage the company (`staff_company`) see the same lists and do the same things;
staff also share documents and grant access to subsidiaries.

Ids posted to these pages are looked up within the company of the page: an id of another
company's account or invitation is a 404.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from clientdesk.clients.models import Company
from clientdesk.core.downloads import file_download
from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from .. import selectors, services
from ..forms import DocumentForm, GrantForm, InviteForm, RoleForm
from ..models import Invitation, PortalAccount, SharedDocument
from ..permissions import require_portal_user


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for e in exc.messages:
            form.add_error(None, e)


def _flash(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _handle_action(request: HttpRequest, company: Company) -> bool:
    """The small POST actions of both pages; True when one was done (or refused with a
    message), False when the POST was not one of them."""
    action = request.POST.get("action", "")
    by = request.user
    try:
        if action in {"resend", "revoke"}:
            invitation = get_object_or_404(
                Invitation, company=company, pk=request.POST.get("invitation") or 0
            )
            if action == "resend":
                services.invitation_resend(invitation=invitation, by=by)
                messages.success(
                    request, _("A new link was sent to %(email)s.") % {"email": invitation.email}
                )
            else:
                services.invitation_revoke(invitation=invitation, by=by)
                messages.success(request, _("The invitation was revoked."))
            return True
        if action in {"role", "deactivate", "activate"}:
            account = get_object_or_404(
                PortalAccount.objects.select_related("user"),
                company=company,
                pk=request.POST.get("account") or 0,
            )
            if action == "role":
                form = RoleForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("Choose a portal role from the list."))
                    return True
                services.account_role_set(account=account, role=form.cleaned_data["role"], by=by)
                messages.success(request, _("The role was changed."))
            else:
                services.account_active_set(account=account, active=action == "activate", by=by)
                messages.success(
                    request,
                    _("The account was activated.")
                    if action == "activate"
                    else _("The account was deactivated."),
                )
            return True
    except (ValueError, TypeError):
        raise Http404 from None
    except ValidationError as exc:
        _flash(request, exc)
        return True
    return False


def _invite(request: HttpRequest, company: Company) -> tuple[InviteForm, bool]:
    form = InviteForm(
        request.POST if request.POST.get("action") == "invite" else None, company=company
    )
    if form.is_bound and form.is_valid():
        try:
            invitation = services.invitation_create(
                company=company,
                data=services.InvitationInput(
                    contact=form.cleaned_data["contact"],
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                ),
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("The invitation was sent to %(email)s.") % {"email": invitation.email}
            )
            return form, True
    return form, False


def _team_context(company: Company) -> dict[str, Any]:
    return {
        "company": company,
        "accounts": list(selectors.company_accounts(company)),
        "invitations": list(selectors.company_invitations(company)),
        "roles": PortalAccount.Role.choices,
    }


# --- the company's own portal administrator --------------------------------------------------
@require_portal_user
def team(request: HttpRequest) -> HttpResponse:
    account = selectors.portal_account_for(request.user)
    assert account is not None  # require_portal_user
    if not selectors.is_company_admin(account):
        raise PermissionDenied
    company = account.company
    form, done = _invite(request, company)
    if done or (request.method == "POST" and _handle_action(request, company)):
        return redirect("portal:team")
    context = _team_context(company)
    context.update({"title": _("Our portal users"), "form": form, "me": account})
    return render(request, "portal/team.html", context)


# --- staff -----------------------------------------------------------------------------------
@require_perm(Perm.PORTAL_INVITE)
def staff_index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.staff_portal_companies(request.user, q=q), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/staff_index.html",
        {"title": _("Client portal access"), "page": page, "q": q, "query": f"q={q}" if q else ""},
    )


@require_perm(Perm.PORTAL_INVITE)
def staff_company(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.get_company_for_staff(request.user, company_id)
    doc_form = DocumentForm(
        request.POST if request.POST.get("action") == "document" else None,
        request.FILES if request.POST.get("action") == "document" else None,
        company=company,
    )
    subsidiaries = selectors.group_subsidiaries(company)
    form, done = _invite(request, company)
    if request.method == "POST" and not done:
        if doc_form.is_bound:
            done = doc_form.is_valid() and _upload(request, company, doc_form)
        else:
            done = _handle_action(request, company) or _staff_action(request, company, subsidiaries)
    if done:
        return redirect("portal:staff_company", company_id=company.pk)
    context = _team_context(company)
    context.update(
        {
            "title": _("Portal access: %(company)s") % {"company": company.display_name},
            "form": form,
            "doc_form": doc_form,
            "documents": list(selectors.company_documents(company)),
            "subsidiaries": subsidiaries,
            "staff": True,
        }
    )
    return render(request, "portal/staff_company.html", context)


def _upload(request: HttpRequest, company: Company, form: DocumentForm) -> bool:
    upload = cast(UploadedFile, form.cleaned_data["file"])
    try:
        services.document_upload(
            company=company,
            data=services.DocumentInput(
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                name=upload.name or "file",
                stream=upload,
                size=upload.size,
                contract=form.cleaned_data.get("contract"),
                visible_in_portal=form.cleaned_data["visible_in_portal"],
            ),
            by=request.user,
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return False
    messages.success(request, _("The document was uploaded."))
    return True


def _staff_action(request: HttpRequest, company: Company, subsidiaries: list[Company]) -> bool:
    action = request.POST.get("action", "")
    by = request.user
    try:
        if action in {"grant", "ungrant"}:
            account = get_object_or_404(
                PortalAccount, company=company, pk=request.POST.get("account") or 0
            )
            if action == "grant":
                form = GrantForm(request.POST, choices=subsidiaries)
                if not form.is_valid():
                    messages.error(
                        request,
                        _(
                            "Only a subsidiary or branch of the same group of companies can be "
                            "granted."
                        ),
                    )
                    return True
                services.extra_company_grant(
                    account=account, company=form.cleaned_data["company"], by=by
                )
                messages.success(request, _("Access was granted."))
            else:
                other = get_object_or_404(Company, pk=request.POST.get("company") or 0)
                services.extra_company_revoke(account=account, company=other, by=by)
                messages.success(request, _("Access was withdrawn."))
            return True
        if action in {"show", "hide"}:
            document = get_object_or_404(
                SharedDocument, company=company, pk=request.POST.get("document") or 0
            )
            services.document_visibility_set(document=document, visible=action == "show", by=by)
            messages.success(request, _("The document's visibility was changed."))
            return True
    except (ValueError, TypeError):
        raise Http404 from None
    except ValidationError as exc:
        _flash(request, exc)
        return True
    return False


@require_perm(Perm.PORTAL_INVITE)
def staff_document(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(SharedDocument.objects.select_related("company"), pk=pk)
    if not selectors.staff_may_manage(request.user, document.company):
        raise Http404
    return document_response(document)


def document_response(document: SharedDocument) -> HttpResponse:
    return file_download(
        document.file, filename=document.original_name, content_type=document.content_type
    )
