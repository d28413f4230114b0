"""Documents staff share with the client company: listed and downloaded within the scope."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .. import selectors
from ..models import DocumentKind, SharedDocument
from ..permissions import require_portal_user
from .team import document_response

PAGE_SIZE = 25


@require_portal_user
def document_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.portal_documents(request.user)
    kind = request.GET.get("kind", "")
    if kind in DocumentKind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/document_list.html",
        {
            "title": _("Documents"),
            "page": page,
            "kind": kind,
            "kinds": DocumentKind.choices,
            "query": f"kind={kind}" if kind else "",
        },
    )


@require_portal_user
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document: SharedDocument = selectors.get_for_portal_user(
        SharedDocument.objects.filter(visible_in_portal=True), request.user, pk
    )
    return document_response(document)
