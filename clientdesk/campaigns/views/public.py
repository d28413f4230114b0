"""Public endpoints reached from campaign messages, without login: the open pixel, the click
redirect and the unsubscribe page. Each works only with a recipient's random token; the click
redirect leads only to links of the message itself, so it cannot be used as an open redirect.

Unsubscribing: GET shows a one-button page (mail scanners that prefetch links must not
unsubscribe people); the button's POST, and the one-click POST of the List-Unsubscribe-Post
header (RFC 8058), withdraw the consent at once.
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clientdesk.core.permissions import public

from .. import services
from ..models import CampaignRecipient

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@public
@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    services.track_open(token=token)
    return HttpResponse(PIXEL, content_type="image/gif")


@public
@never_cache
def click(request: HttpRequest, token: str, index: int) -> HttpResponse:
    url = services.track_click(token=token, index=index)
    if url is None:
        raise Http404
    return HttpResponseRedirect(url)


@public
@never_cache
@csrf_exempt  # one-click unsubscribe comes from mail providers, without our CSRF cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    recipient = CampaignRecipient.objects.select_related("contact").filter(token=token).first()
    if recipient is None:
        raise Http404
    done = recipient.unsubscribed_at is not None
    if request.method == "POST":
        services.unsubscribe(token=token)
        done = True
    return render(
        request,
        "campaigns/unsubscribe.html",
        {"recipient": recipient, "done": done, "channel": recipient.get_channel_display()},
    )
