"""Search indexes for the registry (see clientdesk/clients/search.py for how they are used).

SQLite: FTS5 word and trigram indexes over `search_name`, kept current by triggers.
PostgreSQL: pg_trgm GIN indexes over `search_name`.
Both: B-tree indexes the list pages sort and look up by. They are created in SQL rather than as
model indexes because they are about how this app searches, not part of the models' contract.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from clientdesk.clients.search import drop_search_indexes, ensure_search_indexes


def forwards(apps: Any, schema_editor: Any) -> None:
    ensure_search_indexes(schema_editor.connection, rebuild=True)


def backwards(apps: Any, schema_editor: Any) -> None:
    drop_search_indexes(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
