"""Standards documents of each unit: regulations, job descriptions, reporting forms.
Everyone who works requests reads them; adding a version needs the configure right."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm

from .. import services
from ..forms import StandardDocumentForm
from ..models import StandardDocument, Unit
from . import actor


@require_perm(Perm.REQUESTS_WORK)
def standards(request: HttpRequest) -> HttpResponse:
    unit = Unit.objects.filter(pk=request.GET.get("unit") or 0).first()
    docs = StandardDocument.objects.select_related("unit", "uploaded_by")
    if unit is not None:
        docs = docs.filter(unit=unit)
    return render(
        request,
        "service/standards.html",
        {
            "title": _("Standards documents"),
            "docs": docs,
            "units": Unit.objects.all(),
            "unit": unit,
            "form": StandardDocumentForm(initial={"unit": unit}),
            "can_add": has_perm(request.user, Perm.SERVICE_CONFIGURE),
        },
    )


@require_perm(Perm.SERVICE_CONFIGURE)
@require_POST
def standard_add(request: HttpRequest) -> HttpResponse:
    form = StandardDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        upload = request.FILES.get("file")
        try:
            services.standard_document_add(
                unit=data["unit"],
                kind=data["kind"],
                title=data["title"],
                version=data["version"],
                text=data["text"],
                effective_from=data["effective_from"],
                upload=(upload.name or "file", upload, upload.size) if upload else None,
                by=actor(request),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The document is saved."))
    else:
        messages.error(request, form.errors.as_text())
    return redirect("service:standards")


@require_perm(Perm.REQUESTS_WORK)
@require_GET
def standard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    doc = get_object_or_404(StandardDocument.objects.select_related("unit"), pk=pk)
    if request.GET.get("download") and doc.file:
        try:
            handle = doc.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle, as_attachment=True, filename=doc.original_name, content_type=doc.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return cast(HttpResponse, response)
    return render(request, "service/standard_detail.html", {"title": doc.title, "doc": doc})


urlpatterns = [
    path("standards/", standards, name="standards"),
    path("standards/new/", standard_add, name="standard_add"),
    path("standards/<int:pk>/", standard_detail, name="standard_detail"),
]
