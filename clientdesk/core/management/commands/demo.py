from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clientdesk.accounts.models import User
from clientdesk.core.demo import create_demo_portal_users, create_demo_staff

# Each domain shows itself in the demo by a `load_demo(*, seed)` function, run in this order
# (later domains read what earlier ones made: service policies read segments, surveys follow
# up on requests). Named as strings so that core does not import the domains above it.
DOMAIN_DEMOS = [
    "clientdesk.segments.demo",
    "clientdesk.service.demo",
    "clientdesk.centers.demo",
    "clientdesk.staffing.demo",
    "clientdesk.knowledge.demo",
    "clientdesk.portal.demo",
    "clientdesk.campaigns.demo",
    "clientdesk.surveys.demo",
]


class Command(BaseCommand):
    help = (
        "Creates realistic Russian B2B demo data: staff of every role, reference data, companies "
        "with contacts, consents, contracts, 24 months of revenue, a timeline and two client "
        "portal users. The same --seed on an empty database gives the same data. Run again, it "
        "adds --companies more (new INNs, another random stream); staff, reference data and "
        "portal users are kept as they are. With --if-empty it does nothing once any user exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--companies", type=int, default=300, help="How many companies to add (default 300)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database has users."
        )
        parser.add_argument(
            "--no-revenue", action="store_true", help="Skip contracts and revenue records."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Companies written per transaction (default 2000).",
        )

    def handle(
        self,
        *args: Any,
        companies: int,
        seed: int,
        if_empty: bool,
        no_revenue: bool,
        batch_size: int,
        **opts: Any,
    ) -> None:
        # Imported here: the clients app sits above core, and `clientdesk help` should not pay
        # for Faker.
        from clientdesk.clients.demo import generate_demo_data

        if companies < 0:
            raise CommandError("--companies must be 0 or more.")
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        if if_empty and User.objects.exists():
            self.stdout.write("The database has data already; demo data not loaded.")
            return
        create_demo_staff()
        stats = generate_demo_data(
            companies=companies,
            seed=seed,
            revenue=not no_revenue,
            batch_size=batch_size,
            progress=opts.get("verbosity", 1) >= 1,
        )
        portal = create_demo_portal_users()
        self.stdout.write(
            f"{stats.companies} companies, {stats.contacts} contacts, "
            f"{stats.consents} consents, {stats.contracts} contracts, "
            f"{stats.revenue_rows} revenue records, {stats.interactions} interactions "
            f"in {stats.seconds:.1f} s."
        )
        if portal:
            self.stdout.write("Portal users: " + ", ".join(u.username for u in portal))
        for module in DOMAIN_DEMOS:
            import_module(module).load_demo(seed=seed)
            self.stdout.write(f"{module.split('.')[1]}: demo data loaded.")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
