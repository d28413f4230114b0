"""Server-side access checks, reused by every view and API endpoint.

Every staff view is wrapped in `require_perm`, every API view lists `HasPerm(...)` in its
permission classes; a test walks the URL configuration and fails on any view without one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import BasePermission

from .roles import Perm, perms_for_role

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])
AnyView = TypeVar("AnyView", bound=Callable[..., Any])


def is_staff_member(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "kind", None) == "staff"
    )


def user_perms(user: Any) -> frozenset[Perm]:
    if not is_staff_member(user):
        return frozenset()
    if user.is_superuser:
        return frozenset(Perm)
    return perms_for_role(user.role)


def has_perm(user: Any, perm: Perm) -> bool:
    return perm in user_perms(user)


def require_perm(*perms: Perm) -> Callable[[ViewFunc], ViewFunc]:
    """Staff view decorator: anonymous users go to login, others need every perm given."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            granted = user_perms(request.user)
            if not is_staff_member(request.user) or not all(p in granted for p in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_perms = perms  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def require_staff(view: ViewFunc) -> ViewFunc:
    """Any signed-in staff member, whatever the role (the home page, own profile).

    Portal users are not staff: they get 403 here even with no capability named."""
    return require_perm()(view)


def public(view: AnyView) -> AnyView:
    """Marks a view as open to everyone on purpose (login, kiosk, unsubscribe...)."""
    view.public = True  # type: ignore[attr-defined]
    return view


class DenyAll(BasePermission):
    """The API default: an endpoint that forgot to declare its permission serves nobody."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return False


class _HasPermBase(BasePermission):
    perms: tuple[Perm, ...] = ()

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not is_staff_member(request.user):
            return False
        granted = user_perms(request.user)
        return all(p in granted for p in self.perms)


def HasPerm(*perms: Perm) -> type[BasePermission]:
    """A DRF permission class requiring every perm given: `permission_classes = [HasPerm(...)]`."""
    return type(f"HasPerm[{','.join(perms)}]", (_HasPermBase,), {"perms": perms})


def require_perm_or_403(user: Any, perm: Perm) -> None:
    """For services that must re-check a right themselves (bulk actions, tasks on behalf of)."""
    if not has_perm(user, perm):
        raise PermissionDenied


class IsStaffMember(_HasPermBase):
    """Any active staff member (the API schema and docs, the caller's own profile)."""
