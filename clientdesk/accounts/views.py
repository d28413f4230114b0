"""Sign-in, sign-out, password change and reset: Django's views with our templates and audit."""

from __future__ import annotations

import time
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clientdesk.core import audit
from clientdesk.core.permissions import public, require_staff

from . import services, throttle
from .models import TOTPDevice, User

# The second step of sign-in waits this long for the code after the password was accepted.
PENDING_SECONDS = 5 * 60
PENDING_KEY = "auth_pending_2fa"
# Wrong codes per account and window before the code step refuses even right ones (the
# per-address limit of `throttle` stops one guesser; this stops many addresses on one account).
CODE_FAILURES_PER_USER = 5


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    @method_decorator(transaction.atomic)
    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if services.has_second_factor(user):
            # The password is right; the session is not signed in until the code is too.
            self.request.session[PENDING_KEY] = {
                "uid": user.pk,
                "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
                "next": self.get_redirect_url(),
                "at": time.time(),
            }
            return redirect("accounts:login_code")
        response = super().form_valid(form)
        _signed_in(response, user, method="password")
        return response

    def get_default_redirect_url(self) -> str:
        if getattr(self.request.user, "kind", None) == "portal":
            return "/portal/"
        return str(super().get_default_redirect_url())


login = public(LoginView.as_view())


def _signed_in(response: HttpResponseBase, user: Any, *, method: str) -> None:
    audit.record(actor=user, action="auth.login", target=user, changes={"method": method})
    if user.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )


def _home_of(user: Any) -> str:
    return "/portal/" if getattr(user, "kind", None) == "portal" else reverse("core:home")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the app or a recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(PENDING_KEY) or {}
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None, {}
    user = User.objects.filter(pk=int(pending.get("uid") or 0), is_active=True).first()
    return user, pending


@public
@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in for users with an authenticator app."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.warning(request, _("Sign in again: the code was not entered in time."))
        return redirect("accounts:login")
    user_key = f"user{user.pk}"
    if throttle.request_blocked(request, "totp") or throttle.is_blocked(
        "totp", user_key, max_failures=CODE_FAILURES_PER_USER
    ):
        return throttle.too_many(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        method = services.second_factor_verify(user=user, code=form.cleaned_data["code"])
        if method is None:
            throttle.request_failed(request, "totp")
            throttle.record_failure("totp", user_key)
            form.add_error("code", _("The code is not correct. Type the current code."))
        else:
            del request.session[PENDING_KEY]
            auth_login(request, user, backend=pending["backend"])
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = _home_of(user)
            response = redirect(target)
            _signed_in(response, user, method=method)
            if method == "recovery":
                left = user.recovery_codes.filter(used_at__isnull=True).count()
                messages.warning(
                    request,
                    _("You signed in with a recovery code; %(n)d codes are left.") % {"n": left},
                )
            return response
    return render(
        request,
        "accounts/login_code.html",
        {"title": _("Confirm sign-in"), "form": form},
    )


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


class EnableForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code shown by the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DisableForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _qr_svg(uri: str) -> str:
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=2))


def _confirm(
    request: HttpRequest, user: User, form: EnableForm, context: dict[str, Any]
) -> HttpResponse | None:
    if throttle.request_blocked(request, "totp"):
        return throttle.too_many(request)
    if form.is_valid():
        try:
            context["codes"] = services.totp_confirm(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            throttle.request_failed(request, "totp")
            form.add_error("code", exc)
        else:
            messages.success(request, _("Two-step sign-in is on."))
    return None


def _disable(request: HttpRequest, user: User, form: DisableForm) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        services.totp_disable(user=user, password=form.cleaned_data["password"])
    except ValidationError as exc:
        form.add_error("password", exc.message_dict.get("password", exc.messages))
        return None
    messages.success(request, _("Two-step sign-in is off."))
    return redirect("accounts:two_factor")


@never_cache
def _two_factor(request: HttpRequest) -> HttpResponse:
    """Set up, check and switch off the authenticator app (portal users and staff alike)."""
    user: User = request.user  # type: ignore[assignment]
    action = request.POST.get("action", "") if request.method == "POST" else ""
    context: dict[str, Any] = {"title": _("Two-step sign-in"), "codes": None}
    enable_form = EnableForm(request.POST if action == "confirm" else None)
    disable_form = DisableForm(request.POST if action == "disable" else None)
    done: HttpResponse | None = None
    try:
        if action == "begin":
            services.totp_begin(user=user)
        elif action == "confirm":
            done = _confirm(request, user, enable_form, context)
        elif action == "codes":
            context["codes"] = services.recovery_codes_regenerate(user=user)
        elif action == "disable":
            done = _disable(request, user, disable_form)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if done is not None:
        return done
    device = TOTPDevice.objects.filter(user=user).first()
    enabled = device is not None and device.confirmed_at is not None
    context.update(
        {
            "device": device,
            "enabled": enabled,
            "enable_form": enable_form,
            "disable_form": disable_form,
            "codes_left": user.recovery_codes.filter(used_at__isnull=True).count()
            if enabled
            else 0,
        }
    )
    if device is not None and not enabled:
        context.update(
            {"qr_svg": _qr_svg(services.totp_uri(device)), "secret": services.totp_secret(device)}
        )
    return render(request, "accounts/two_factor.html", context)


two_factor = _login_required(_two_factor)

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

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # A link that does not check out is a failed guess of the reset token.
        if throttle.request_blocked(self.request, "password_reset"):
            return throttle.too_many(self.request)
        response: HttpResponseBase = super().dispatch(*args, **kwargs)
        # A good link first answers with a redirect (Django moves the token into the session).
        if response.status_code == 200 and not getattr(self, "validlink", False):
            throttle.request_failed(self.request, "password_reset")
        return response

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
