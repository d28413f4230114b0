from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clientdesk.accounts.models import User
from clientdesk.core.demo import create_demo_staff


class Command(BaseCommand):
    help = "Creates realistic Russian B2B demo data: staff of every role, companies, contacts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--companies", type=int, default=300)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database has users."
        )

    def handle(self, *args: Any, companies: int, seed: int, if_empty: bool, **opts: Any) -> None:
        if if_empty and User.objects.exists():
            self.stdout.write("The database has data already; demo data not loaded.")
            return
        create_demo_staff()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
