"""Settings come from the environment and a bad value stops the process with a clear message.

Each case runs `python -m clientdesk check` in a fresh process with a clean environment: the
settings module is imported once per process, so this is the only honest way to test it.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def clientdesk(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CLIENTDESK_VAR_DIR": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "clientdesk", *args],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
    }


def assert_config_error(result: subprocess.CompletedProcess[str], *names: str) -> None:
    assert result.returncode != 0
    for name in names:
        assert name in result.stderr
    assert "configuration error" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_mode_without_secret_key_stops_naming_it(tmp_path) -> None:
    result = clientdesk("check", env={"ALLOWED_HOSTS": "example.com"}, tmp_path=tmp_path)
    assert_config_error(result, "SECRET_KEY")


def test_weak_secret_key_is_refused_in_production(tmp_path) -> None:
    env = production_env(tmp_path) | {"SECRET_KEY": "changeme"}
    assert_config_error(clientdesk("check", env=env, tmp_path=tmp_path), "SECRET_KEY")


def test_production_mode_without_allowed_hosts_stops_naming_it(tmp_path) -> None:
    env = production_env(tmp_path)
    del env["ALLOWED_HOSTS"]
    assert_config_error(clientdesk("check", env=env, tmp_path=tmp_path), "ALLOWED_HOSTS")


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user:pw@db/clientdesk",  # a scheme we do not support
        "not a url",
        "postgres://user:pw@db:notaport/clientdesk",  # dj-database-url's own parse error
    ],
)
def test_malformed_database_url_stops_naming_it(tmp_path, url) -> None:
    result = clientdesk("check", env={"DEBUG": "true", "DATABASE_URL": url}, tmp_path=tmp_path)
    assert_config_error(result, "DATABASE_URL")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("LOGIN_FAILURE_LIMIT", "five"),
        ("REDIS_URL", "http://cache:6379"),
        ("TASKS_BACKEND", "cron"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "loud"),
    ],
)
def test_bad_value_stops_naming_the_variable(tmp_path, name, value) -> None:
    env = {"DEBUG": "true", name: value}
    assert_config_error(clientdesk("check", env=env, tmp_path=tmp_path), name)


def test_development_mode_needs_no_variables(tmp_path) -> None:
    result = clientdesk("check", env={"DEBUG": "true"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_checklist(tmp_path) -> None:
    result = clientdesk(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(tmp_path),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_previous_secret_keys_come_from_the_environment(tmp_path) -> None:
    env = production_env(tmp_path) | {"SECRET_KEY_FALLBACKS": "old-one,older-one"}
    result = clientdesk(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)",
        env=env,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "['old-one', 'older-one']" in result.stdout
