"""Sign-in, sign-out, password change and reset: Django's views with our templates and audit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientdesk.core import audit
from clientdesk.core.permissions import public, require_staff

from . import services


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    @method_decorator(transaction.atomic)
    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        audit.record(actor=user, action="auth.login", target=user)
        if user.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def get_default_redirect_url(self) -> str:
        if getattr(self.request.user, "kind", None) == "portal":
            return "/portal/"
        return str(super().get_default_redirect_url())


login = public(LoginView.as_view())


@public
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(actor=request.user, action="auth.logout", target=request.user)
    response: HttpResponse = auth_views.LogoutView.as_view()(request)
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"

    def get_success_url(self) -> str:
        # The profile page is for staff; a portal user goes back to the portal.
        if getattr(self.request.user, "kind", None) == "portal":
            return str(reverse_lazy("portal:home"))
        return str(reverse_lazy("accounts:profile"))

    @method_decorator(transaction.atomic)
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(actor=self.request.user, action="auth.password_change", target=form.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


def _login_required(view: Any) -> Any:
    """Password change is for every signed-in user, staff or portal."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse_lazy('accounts:login')}?next={request.path}")
        response: HttpResponse = view(request, *args, **kwargs)
        return response

    wrapped.required_perms = ()  # type: ignore[attr-defined]
    return wrapped


password_change = _login_required(PasswordChangeView.as_view())

password_reset = public(
    auth_views.PasswordResetView.as_view(
        template_name="registration/password_reset_form.html",
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html")
)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    @method_decorator(transaction.atomic)
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(actor=form.user, action="auth.password_reset", target=form.user)
        return response


password_reset_confirm = public(PasswordResetConfirmView.as_view())
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="registration/password_reset_complete.html"
    )
)


@require_staff
def profile(request: HttpRequest) -> HttpResponse:
    token = None
    if request.method == "POST" and request.POST.get("action") == "rotate_token":
        token = services.api_token_rotate(user=request.user, by=request.user)  # type: ignore[arg-type]
        messages.success(
            request, _("A new API token was created. Copy it now: it will not be shown again.")
        )
        return render(request, "accounts/profile.html", {"title": _("Profile"), "token": token})
    return render(request, "accounts/profile.html", {"title": _("Profile"), "token": None})
