from collections.abc import Callable
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .audit import current_ip


class AuditContextMiddleware:
    """Makes the client's IP address available to audit records written during the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


def forwarded_client_ip(remote_addr: str | None, forwarded_for: str, proxies: int) -> str | None:
    """The client's address as the outermost of our `proxies` reverse proxies saw it.

    Each proxy appends the address it received the request from to X-Forwarded-For, so only the
    last `proxies` entries are ours; anything to their left is whatever the client sent.
    """
    if proxies <= 0:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote_addr  # the request bypassed a proxy: keep the address we can vouch for
    candidate = hops[-proxies]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return remote_addr


class TrustedProxyMiddleware:
    """Replaces REMOTE_ADDR by the client's address when the app runs behind reverse proxies.

    Audit records and login throttling read REMOTE_ADDR; behind a proxy it would be the proxy's
    own address for every user, so one user's failures would lock everyone out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        proxies = settings.TRUSTED_PROXY_COUNT
        if proxies:
            request.META["REMOTE_ADDR"] = forwarded_client_ip(
                request.META.get("REMOTE_ADDR"),
                request.META.get("HTTP_X_FORWARDED_FOR", ""),
                proxies,
            )
        return self.get_response(request)
