import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clientdesk.core.tasks import run_due_jobs


class Command(BaseCommand):
    help = "Runs periodic jobs (SLA checks, reminders, recomputations) in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run due jobs once and exit.")
        parser.add_argument("--interval", type=int, default=15, help="Seconds between checks.")

    def handle(self, *args: Any, once: bool, interval: int, **options: Any) -> None:
        while True:
            ran = run_due_jobs()
            if ran:
                self.stdout.write(f"ran: {', '.join(ran)}")
            if once:
                return
            time.sleep(interval)
