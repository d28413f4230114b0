from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .permissions import public, require_perm, require_staff
from .roles import Perm
from .selectors import audit_actions, audit_events


@public
def root(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "kind", None) == "portal":
        return redirect("portal:home")
    return redirect("core:home")


@require_staff
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"title": _("Home")})


@require_perm(Perm.AUDIT_VIEW)
def audit(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "")
    page = Paginator(audit_events(action=action), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit.html",
        {"title": _("Audit trail"), "page": page, "action": action, "actions": audit_actions()},
    )


@public
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    # The same shape as clientdesk.core.api.exception_handler gives inside DRF views, so that
    # a client sees one error format even for URLs no API view answers.
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(
            "permission_denied", _("You do not have permission to perform this action."), 403
        )
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error("not_found", _("Not found."), 404)
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error("server_error", _("A server error occurred."), 500)
    # No context processors that touch the database: the database may be why we are here.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)
