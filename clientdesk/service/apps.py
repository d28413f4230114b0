from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "clientdesk.service"
    label = "service"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
