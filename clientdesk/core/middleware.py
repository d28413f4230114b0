from collections.abc import Callable

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
