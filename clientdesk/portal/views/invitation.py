"""Accepting an invitation: the link's token is the only credential, so the page is public and
guesses are throttled per address (a made-up token is a 404 and counts as a failure)."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from clientdesk.accounts.throttle import throttle_token_guesses
from clientdesk.core import audit
from clientdesk.core.permissions import public

from .. import services
from ..forms import AcceptForm
from ..models import Invitation


@public
@never_cache
@throttle_token_guesses("portal_invitation")
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404
    if invitation.state != Invitation.State.OPEN:
        return render(
            request,
            "portal/invitation_gone.html",
            {"title": _("Invitation"), "invitation": invitation},
            status=410,
        )
    contact = invitation.contact
    # The password validators compare the password with the person's name and e-mail.
    user_like = SimpleNamespace(
        username=invitation.email,
        email=invitation.email,
        first_name=contact.first_name,
        last_name=contact.last_name,
    )
    form = AcceptForm(request.POST or None, user_like=user_like)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if request.user.is_authenticated:
                auth_logout(request)
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            audit.record(actor=user, action="auth.login", target=user, changes={"method": "invite"})
            response = redirect("portal:home")
            if user.language:
                from django.conf import settings

                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    user.language,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
            return response
    return render(
        request,
        "portal/invitation_accept.html",
        {"title": _("Welcome to the client portal"), "invitation": invitation, "form": form},
    )
