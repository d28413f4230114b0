"""Every model change ships with its migration: a database migrated from the repository has
exactly the schema the code expects."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration() -> None:
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exit_:  # makemigrations --check exits 1 when something is missing
        pytest.fail(f"models changed without a migration (makemigrations exited {exit_.code})")
