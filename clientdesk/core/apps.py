from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clientdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Periodic jobs and in-process tasks must be registered whatever the backend.
        autodiscover_modules("tasks")
