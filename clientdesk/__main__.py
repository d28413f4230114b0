"""The `clientdesk` command: Django's management commands under one name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    argv = sys.argv[:]
    argv[0] = "clientdesk"
    if len(argv) == 1 or argv[1] in {"-h", "--help"}:
        argv[1:] = ["help"]
    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        # A bad setting is an operator's mistake, not a crash: say what to fix, no traceback.
        sys.exit(f"clientdesk: configuration error: {exc}")


if __name__ == "__main__":
    main()
