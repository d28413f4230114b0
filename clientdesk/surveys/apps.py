from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "clientdesk.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction research")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
