"""Throttling of token guesses: invitation links, password-reset links, one-time codes, survey
links. django-axes covers passwords; this covers the secrets that arrive in a URL or a code box.

Failures are counted per client IP and scope in the Django cache (Redis in production, locmem in
tests), in a fixed window: after `TOKEN_GUESS_LIMIT` failures within `TOKEN_GUESS_WINDOW`
seconds the scope answers 429 for that address until the window ends. A success does not reset
the count: a guesser who finds one valid link must not earn more guesses.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

DEFAULT_LIMIT = 10
DEFAULT_WINDOW = 15 * 60

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def limit() -> int:
    return int(getattr(settings, "TOKEN_GUESS_LIMIT", DEFAULT_LIMIT))


def window() -> int:
    return int(getattr(settings, "TOKEN_GUESS_WINDOW", DEFAULT_WINDOW))


def client_ip(request: HttpRequest) -> str:
    # The same address the audit trail and axes record: behind reverse proxies
    # TrustedProxyMiddleware has already put the client's address here (TRUSTED_PROXY_COUNT).
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(scope: str, who: str) -> str:
    return f"guess:{scope}:{who}"


def failures(scope: str, who: str) -> int:
    return int(cache.get(_key(scope, who), 0))


def is_blocked(scope: str, who: str, *, max_failures: int | None = None) -> bool:
    return failures(scope, who) >= (max_failures if max_failures is not None else limit())


def record_failure(scope: str, who: str) -> int:
    key = _key(scope, who)
    # add() starts the window only once; incr() keeps its expiry (locmem and Redis alike).
    if cache.add(key, 1, timeout=window()):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window())
        return 1


def request_blocked(request: HttpRequest, scope: str) -> bool:
    return is_blocked(scope, client_ip(request))


def request_failed(request: HttpRequest, scope: str) -> None:
    record_failure(scope, client_ip(request))


def too_many(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/throttled.html",
        {
            "title": _("Too many attempts"),
            "minutes": max(1, window() // 60),
        },
        status=429,
    )


def throttle_token_guesses(scope: str) -> Callable[[ViewFunc], ViewFunc]:
    """For views whose URL carries a secret: a 404 (raised or returned) counts as a failed
    guess; once the address has too many, every request of the scope is answered 429."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request_blocked(request, scope):
                return too_many(request)
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                request_failed(request, scope)
                raise
            if response.status_code == 404:
                request_failed(request, scope)
            return response

        return wrapped  # type: ignore[return-value]

    return decorator
