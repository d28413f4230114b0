from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _portal_notification_filter(request: Any, kind: str) -> bool:
    """A request filed in the portal is followed in the portal: its e-mail notifications follow
    the portal user's settings. Requests from other channels (an e-mail thread, a call) are
    answered where they came from, whatever the portal settings say."""
    from clientdesk.clients.models import Channel

    from .selectors import wants_notification

    if getattr(request, "channel", None) != Channel.PORTAL:
        return True
    return wants_notification(getattr(request, "contact_id", None), kind)


class PortalConfig(AppConfig):
    name = "clientdesk.portal"
    label = "portal"
    verbose_name = _("Client portal")

    def ready(self) -> None:
        from clientdesk.service.hooks import register_notification_filter

        register_notification_filter(_portal_notification_filter)
