from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clientdesk.clients"
    label = "clients"
    verbose_name = _("Client registry")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_restore_search_indexes, sender=self)


def _restore_search_indexes(using: str, **kwargs: Any) -> None:
    """On SQLite, a migration that alters a registry table rebuilds it and drops the search
    triggers with the old table; this puts them back (and is a no-op when nothing is missing)."""
    from django.db import connections

    from .search import ensure_search_indexes

    ensure_search_indexes(connections[using])
