from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "clientdesk.campaigns"
    label = "campaigns"
    verbose_name = _("Communications")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
