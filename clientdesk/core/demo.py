"""Demo accounts: one staff user per role, and portal users, all with one known password."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from clientdesk.accounts.models import User
from clientdesk.accounts.services import staff_user_create

from . import audit
from .roles import Role

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed on purpose, demo databases only

DEMO_STAFF: list[tuple[str, Role, str, str, str, str]] = [
    ("admin", Role.ADMIN, "Администратор", "Сергей", "Викторович", "Системный администратор"),
    ("supervisor", Role.SUPERVISOR, "Орлова", "Марина", "Игоревна", "Руководитель службы сервиса"),
    (
        "kam",
        Role.ACCOUNT_MANAGER,
        "Белов",
        "Андрей",
        "Павлович",
        "Ведущий менеджер по работе с ключевыми клиентами",
    ),
    (
        "kam2",
        Role.ACCOUNT_MANAGER,
        "Соколова",
        "Екатерина",
        "Андреевна",
        "Менеджер по работе с ключевыми клиентами",
    ),
    (
        "center",
        Role.CENTER_OPERATOR,
        "Кузнецова",
        "Ольга",
        "Сергеевна",
        "Специалист клиентского центра",
    ),
    ("call", Role.CALL_OPERATOR, "Морозов", "Дмитрий", "Олегович", "Оператор контакт-центра"),
    ("marketer", Role.MARKETER, "Лебедева", "Анна", "Николаевна", "Маркетолог"),
    ("analyst", Role.ANALYST, "Волков", "Илья", "Александрович", "Аналитик"),
]


@transaction.atomic
def create_demo_staff() -> list[User]:
    users = []
    for username, role, last, first, patronymic, position in DEMO_STAFF:
        existing = User.objects.filter(username=username).first()
        if existing:
            users.append(existing)
            continue
        users.append(
            staff_user_create(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                email=f"{username}@clientdesk.local",
                first_name=first,
                last_name=last,
                patronymic=patronymic,
                position=position,
            )
        )
    return users


PORTAL_USERNAMES = ("client1", "client2")


@transaction.atomic
def create_demo_portal_users() -> list[User]:
    """Two portal administrators, each bound to a different active demo company and a contact.

    Does nothing for a username that exists already, so that a second run keeps the sign-ins.
    """
    # Demo seeding spans every domain; the portal and registry are imported only here.
    from clientdesk.clients.models import Company, CompanyStatus, Contact, LegalForm
    from clientdesk.portal.models import PortalAccount

    taken = set(
        User.objects.filter(username__in=PORTAL_USERNAMES).values_list("username", flat=True)
    )
    wanted = [u for u in PORTAL_USERNAMES if u not in taken]
    if not wanted:
        return []
    bound = PortalAccount.objects.values("company_id")
    candidates = (
        Company.objects.filter(
            status=CompanyStatus.ACTIVE,
            legal_form=LegalForm.OOO,
            merged_into__isnull=True,
            parent__isnull=True,
            contacts__email__gt="",
            contacts__left_company=False,
        )
        .exclude(id__in=bound)
        .distinct()
        .order_by("id")
    )
    created = []
    for username, company in zip(wanted, candidates[: len(wanted)], strict=False):
        contact = (
            Contact.objects.filter(company=company, left_company=False)
            .exclude(email="")
            .order_by("id")
            .first()
        )
        assert contact is not None  # the query above asked for one
        user = User(
            username=username,
            kind=User.Kind.PORTAL,
            email=contact.email,
            first_name=contact.first_name,
            last_name=contact.last_name,
            patronymic=contact.patronymic,
            position=contact.position,
            phone=contact.phone,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        PortalAccount.objects.create(
            user=user, company=company, contact=contact, role=PortalAccount.Role.ADMIN
        )
        audit.record(
            actor=None, action="portal.account_create", target=user, changes={"company": company.pk}
        )
        created.append(user)
    return created


def demo_logins() -> list[tuple[str, str]]:
    labels = {u: str(role.label) for u, role, *_ in DEMO_STAFF}
    rows = [
        (u.username, labels[u.username])
        for u in User.objects.filter(username__in=labels).order_by("id")
    ]
    for account in (
        User.objects.filter(kind=User.Kind.PORTAL, username__startswith="client")
        .select_related("portal_account__company")
        .order_by("id")[:2]
    ):
        company = account.portal_account.company.display_name
        rows.append((account.username, _("Client portal — %(company)s") % {"company": company}))
    return rows
