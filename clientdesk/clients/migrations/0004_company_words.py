"""Search indexes, third layout (see clientdesk/clients/search.py).

PostgreSQL: companies are found by word as people already are (0003): a GIN index over the words
of `search_name` (`to_tsvector('simple', search_name)`, an expression index that maintains
itself), a term table `clients_company_term` kept by a trigger, and a trigram index over that
table's words, so that a part of a name ("строй" in «Технострой») becomes the whole words it
occurs in. Typos become whole words too, instead of trigram similarity over a million names.
The trigram index over company names stays: it serves parts found in too many words to list.
Also a partial index for an account manager's incomplete companies (the "mine" list filtered by
completeness).
SQLite: nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from clientdesk.clients.search import ensure_search_indexes


def forwards(apps: Any, schema_editor: Any) -> None:
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        ensure_search_indexes(conn)


def backwards(apps: Any, schema_editor: Any) -> None:
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS clients_company_search_words")
            cursor.execute("DROP INDEX IF EXISTS clients_company_manager_completeness")
            cursor.execute("DROP TRIGGER IF EXISTS clients_company_search_terms ON clients_company")
            cursor.execute("DROP FUNCTION IF EXISTS clients_company_add_terms()")
            # Drops its trigram index with it.
            cursor.execute("DROP TABLE IF EXISTS clients_company_term")


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_search_words_and_infix")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
