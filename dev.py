#!/usr/bin/env python3
"""Set-up and everyday commands for clientdesk. Needs only Python 3.11+.

    python3 dev.py            install, migrate, load demo data if the database is empty, serve
    python3 dev.py test       install test tools and run the whole test suite (pytest args follow)
    python3 dev.py lint       ruff check, ruff format --check, mypy
    python3 dev.py messages   refresh locale/*.po from the source and compile the .mo files
    python3 dev.py manage ... any `clientdesk` management command inside the environment

Everything lives in .venv/ and var/ next to this file; running a command again reuses them.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
HOST, PORT = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
DEMO_COMPANIES = os.environ.get("DEMO_COMPANIES", "300")


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)


def ensure_env(lock: str) -> None:
    """Creates .venv and installs the lock file, unless that exact lock is installed already."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("clientdesk needs Python 3.11 or newer; this is " + sys.version.split()[0])
    if not PY.exists():
        say("Creating the virtual environment in .venv/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock_file = ROOT / "requirements" / f"{lock}.txt"
    digest = hashlib.sha256(
        lock_file.read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    marker = VENV / f".installed-{lock}"
    if marker.exists() and marker.read_text() == digest:
        return
    say(f"Installing pinned dependencies from requirements/{lock}.txt")
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-r", lock_file)
    run(PY, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
    marker.write_text(digest)


def django_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.settings")
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    run(PY, "-m", "clientdesk", *args, env=env or django_env())


def serve() -> None:
    ensure_env("base")
    env = django_env()
    (ROOT / "var").mkdir(exist_ok=True)
    say("Applying database migrations")
    manage("migrate", "--no-input", "-v", "0", env=env)
    say("Loading demo data if the database is empty")
    manage("demo", "--if-empty", "--companies", DEMO_COMPANIES, "--seed", "1", env=env)
    children: list[subprocess.Popen[bytes]] = []
    if not env.get("REDIS_URL"):
        # Embedded mode: periodic jobs run in a process of our own instead of Celery beat.
        children.append(
            subprocess.Popen([str(PY), "-m", "clientdesk", "runjobs"], cwd=ROOT, env=env)
        )
    manage("demo_logins", env=env)
    say(f"clientdesk is at http://{HOST}:{PORT}/  (Ctrl+C stops it)")
    try:
        subprocess.run(
            [str(PY), "-m", "clientdesk", "runserver", f"{HOST}:{PORT}", "--noreload"],
            cwd=ROOT,
            env=env,
            check=False,
        )
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=10)


def test(args: list[str]) -> int:
    ensure_env("dev")
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pyproject.toml names the test settings
    return subprocess.run([str(PY), "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def lint() -> int:
    ensure_env("dev")
    failed = 0
    for cmd in (
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", "clientdesk", "bench", "dev.py"],
    ):
        say(" ".join(cmd))
        failed |= subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=ROOT).returncode
    return failed


def messages() -> int:
    """makemessages needs GNU gettext (a maintainer's tool); the compiled .mo files are committed
    so that a fresh machine with only Python gets both languages."""
    ensure_env("dev")
    subprocess.run(
        [str(PY), "-m", "clientdesk", "makemessages", "-l", "ru", "--no-obsolete", "--no-location"],
        cwd=ROOT / "clientdesk",  # makemessages scans the working directory
        env=django_env(),
        check=True,
    )
    return compile_messages()


def compile_messages() -> int:
    code = (
        "import pathlib, polib\n"
        "for po in pathlib.Path('clientdesk/locale').glob('*/LC_MESSAGES/*.po'):\n"
        "    polib.pofile(str(po)).save_as_mofile(str(po.with_suffix('.mo')))\n"
    )
    return subprocess.run([str(PY), "-c", code], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command in {"run", "serve"}:
        serve()
        return 0
    if command == "test":
        return test(argv[1:])
    if command == "lint":
        return lint()
    if command == "messages":
        return messages()
    if command == "manage":
        ensure_env("base")
        return subprocess.run(
            [str(PY), "-m", "clientdesk", *argv[1:]], cwd=ROOT, env=django_env()
        ).returncode
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
