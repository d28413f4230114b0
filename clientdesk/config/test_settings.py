"""Settings for the test suite: the real settings, made fast and self-contained."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("TASKS_BACKEND", "sync")
# The tests choose Redis explicitly (TEST_REDIS_URL); an operator's REDIS_URL must not leak in.
os.environ.pop("REDIS_URL", None)

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tests read English unless they ask for Russian (Accept-Language or translation.override).
LANGUAGE_CODE = "en"
# Threads started by tests (live server, thread backend) must not keep connections open past
# the test, or PostgreSQL refuses to drop the test database at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
