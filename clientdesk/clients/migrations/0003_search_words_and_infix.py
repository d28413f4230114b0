"""Search indexes, second layout (see clientdesk/clients/search.py).

PostgreSQL: contact persons are found through a GIN index over the words of `search_name`
(`to_tsvector('simple', search_name)`, an expression index that maintains itself) instead of
trigrams: a surname shared by tens of thousands of people made trigram lookups slow. A term
table `clients_contact_term` (every word of a name, kept by a trigger) serves word forms,
partly typed words and typos.
SQLite: companies get an FTS5 trigram index too, so that any part of a name matches ("строй"
finds «Технострой»); the triggers are recreated to maintain it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from clientdesk.clients.search import ensure_search_indexes


def forwards(apps: Any, schema_editor: Any) -> None:
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS clients_contact_search_trgm")
    ensure_search_indexes(conn)


def backwards(apps: Any, schema_editor: Any) -> None:
    # SQLite keeps the trigram index and its triggers: harmless to the older code, which never
    # reads it, and 0002's backwards removes them with the rest.
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS clients_contact_search_words")
            cursor.execute("DROP TRIGGER IF EXISTS clients_contact_search_terms ON clients_contact")
            cursor.execute("DROP FUNCTION IF EXISTS clients_contact_add_terms()")
            cursor.execute("DROP TABLE IF EXISTS clients_contact_term")
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS clients_contact_search_trgm "
                "ON clients_contact USING gin (search_name gin_trgm_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_search")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
