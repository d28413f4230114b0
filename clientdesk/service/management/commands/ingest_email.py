"""`clientdesk ingest_email < message.eml`: one raw message from standard input, e.g. from an
MTA's pipe transport (`| clientdesk ingest_email`)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from clientdesk.service.mail import email_ingest


class Command(BaseCommand):
    help = "Reads one raw e-mail message from standard input and files it as a request or reply."

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("No message on standard input.")
            sys.exit(1)
        request = email_ingest(raw)
        self.stdout.write(f"{request.number}")
