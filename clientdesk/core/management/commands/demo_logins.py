from typing import Any

from django.core.management.base import BaseCommand

from clientdesk.core.demo import DEMO_PASSWORD, demo_logins


class Command(BaseCommand):
    help = "Prints the demo sign-ins, one per role."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = demo_logins()
        if not rows:
            self.stdout.write("No demo users in this database.")
            return
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, label in rows:
            self.stdout.write(f"  {username:<12} {label}")
