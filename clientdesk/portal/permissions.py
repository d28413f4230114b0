from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .selectors import portal_account_for

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def require_portal_user(view: ViewFunc) -> ViewFunc:
    """Portal views: only an active portal user bound to a company; staff get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if portal_account_for(request.user) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.required_perms = ("portal",)  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]
