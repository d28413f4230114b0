"""Import pages (upload → column mapping with preview → progress → report) and list exports."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from .. import exports, search
from ..imports import services
from ..imports.columns import Field, fields_for
from ..imports.readers import ImportFileError
from ..imports.runner import rows_done
from ..models import ImportJob


# --- forms ----------------------------------------------------------------------------------
class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file contains"), choices=ImportJob.Kind.choices
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows are invalid"),
        choices=[
            (ImportJob.Mode.ALL_OR_NOTHING, gettext_lazy("Import nothing and show me the errors")),
            (ImportJob.Mode.VALID_ONLY, gettext_lazy("Import the valid rows, list the others")),
        ],
        widget=forms.RadioSelect,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or Windows-1251, separated by ; , or tabs) or Excel .xlsx; the first "
            "row holds the column titles."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )


class MappingForm(forms.Form):
    """One select per field: which column of the file holds it."""

    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows are invalid"), choices=ImportJob.Mode.choices
    )

    def __init__(self, *args: Any, fields: list[Field], headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [(str(i), h) for i, h in enumerate(headers)]
        self.import_fields = fields
        for f in fields:
            self.fields[f"map_{f.name}"] = forms.TypedChoiceField(
                label=str(f.label),
                choices=choices,
                required=False,
                coerce=int,
                empty_value=None,
                help_text=str(f.help),
            )

    def mapping(self) -> dict[str, int]:
        return {
            f.name: self.cleaned_data[f"map_{f.name}"]
            for f in self.import_fields
            if self.cleaned_data.get(f"map_{f.name}") is not None
        }


def _mapping_initial(job: ImportJob) -> dict[str, Any]:
    initial: dict[str, Any] = {"mode": job.mode}
    for name, index in (job.mapping or {}).items():
        initial[f"map_{name}"] = str(index)
    return initial


def _mapping_from_post(form: MappingForm) -> dict[str, int]:
    # The preview is shown even for a half-made mapping: unknown values are just ignored.
    if form.is_valid():
        return form.mapping()
    return {
        f.name: int(v)
        for f in form.import_fields
        if (v := form.data.get(f"map_{f.name}", "")).isdigit()
    }


# --- import views ---------------------------------------------------------------------------
@require_perm(Perm.CLIENTS_IMPORT)
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    jobs = ImportJob.objects.select_related("created_by").defer("errors", "mapping")
    page = Paginator(jobs, 50).get_page(request.GET.get("page"))
    return render(request, "clients/imports/list.html", {"title": _("Imports"), "page": page})


@require_perm(Perm.CLIENTS_IMPORT)
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.create_job(
                kind=form.cleaned_data["kind"],
                mode=form.cleaned_data["mode"],
                upload=form.cleaned_data["file"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("clients:import_mapping", pk=job.pk)
    return render(request, "clients/imports/new.html", {"title": _("Import a file"), "form": form})


def _uploaded_job(pk: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=pk, status=ImportJob.Status.UPLOADED)


@require_perm(Perm.CLIENTS_IMPORT)
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if job.status != ImportJob.Status.UPLOADED:
        return redirect("clients:import_detail", pk=job.pk)
    try:
        info = services.table_info(job)
    except ImportFileError as exc:
        return render(
            request,
            "clients/imports/detail.html",
            {"title": job.original_name, "job": job, "file_error": str(exc)},
        )
    fields = fields_for(job.kind)
    form = MappingForm(
        request.POST or None, fields=fields, headers=info.headers, initial=_mapping_initial(job)
    )
    mapping = dict(job.mapping or {})
    if request.method == "POST":
        mapping = _mapping_from_post(form)
        if form.is_valid():
            try:
                services.queue_job(
                    job=job, mapping=mapping, mode=form.cleaned_data["mode"], by=request.user
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                return redirect("clients:import_detail", pk=job.pk)
    preview_fields, preview_rows = services.preview(job, mapping)
    return render(
        request,
        "clients/imports/mapping.html",
        {
            "title": _("Columns of %(file)s") % {"file": job.original_name},
            "job": job,
            "info": info,
            "form": form,
            "preview_fields": preview_fields,
            "preview_rows": preview_rows,
        },
    )


@require_perm(Perm.CLIENTS_IMPORT)
@require_POST
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the preview table for the mapping as currently chosen in the form."""
    job = _uploaded_job(pk)
    info = services.table_info(job)
    form = MappingForm(request.POST, fields=fields_for(job.kind), headers=info.headers)
    preview_fields, preview_rows = services.preview(job, _mapping_from_post(form))
    return render(
        request,
        "clients/imports/_preview.html",
        {"job": job, "preview_fields": preview_fields, "preview_rows": preview_rows},
    )


@require_perm(Perm.CLIENTS_IMPORT)
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    return render(
        request,
        "clients/imports/detail.html",
        {"title": job.original_name, "job": job, "done": rows_done(job)},
    )


@require_perm(Perm.CLIENTS_IMPORT)
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: polled by the progress bar; once the job has finished, the page reloads."""
    job = get_object_or_404(ImportJob.objects.defer("errors"), pk=pk)
    finished = job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}
    response = render(
        request, "clients/imports/_progress.html", {"job": job, "done": rows_done(job)}
    )
    if finished and getattr(request, "htmx", False):
        response["HX-Refresh"] = "true"
    return response


# --- exports --------------------------------------------------------------------------------
def _export(
    request: HttpRequest, *, what: str, columns: list[exports.Column], qs: Any
) -> HttpResponse:
    # Streaming responses are not HttpResponse subclasses, but require_perm's type wants one.
    return cast(HttpResponse, _export_response(request, what=what, columns=columns, qs=qs))


def _export_response(
    request: HttpRequest, *, what: str, columns: list[exports.Column], qs: Any
) -> HttpResponseBase:
    fmt = request.GET.get("format", "csv")
    params = {k: str(v) for k, v in request.GET.items() if k not in {"format", "page", "cursor"}}
    count = qs.count()
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    if fmt == "xlsx":
        if count > exports.XLSX_MAX_ROWS:
            return HttpResponse(
                _("%(n)s rows do not fit on an Excel sheet: export to CSV instead.") % {"n": count},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        exports.record_export(by=request.user, what=what, fmt=fmt, rows=count, params=params)
        data = exports.write_xlsx(columns, exports.iterate(qs), title=what)
        return FileResponse(data, as_attachment=True, filename=f"{what}-{stamp}.xlsx")
    exports.record_export(by=request.user, what=what, fmt="csv", rows=count, params=params)
    response = StreamingHttpResponse(
        exports.stream_csv(columns, exports.iterate(qs)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{what}-{stamp}.csv"'
    return response


@require_perm(Perm.CLIENTS_EXPORT)
@require_GET
def export_companies(request: HttpRequest) -> HttpResponse:
    qs = exports.company_rows(search.filter_companies(request.GET, user=request.user))
    return _export(request, what="companies", columns=exports.COMPANY_COLUMNS, qs=qs)


@require_perm(Perm.CLIENTS_EXPORT)
@require_GET
def export_contacts(request: HttpRequest) -> HttpResponse:
    qs = exports.contact_rows(search.filter_contacts(request.GET, user=request.user))
    return _export(request, what="contacts", columns=exports.CONTACT_COLUMNS, qs=qs)


urlpatterns = [
    path("", import_list, name="import_list"),
    path("new/", import_new, name="import_new"),
    path("<int:pk>/", import_detail, name="import_detail"),
    path("<int:pk>/columns/", import_mapping, name="import_mapping"),
    path("<int:pk>/preview/", import_preview, name="import_preview"),
    path("<int:pk>/progress/", import_progress, name="import_progress"),
    path("export/companies/", export_companies, name="export_companies"),
    path("export/contacts/", export_contacts, name="export_contacts"),
]
