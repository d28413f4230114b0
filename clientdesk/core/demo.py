"""Demo accounts: one staff user per role, and portal users, all with one known password."""

from __future__ import annotations

from django.db import transaction

from clientdesk.accounts.models import User
from clientdesk.accounts.services import staff_user_create

from .roles import Role

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed on purpose, demo databases only

DEMO_STAFF: list[tuple[str, Role, str, str, str, str]] = [
    ("admin", Role.ADMIN, "Администратор", "Сергей", "Викторович", "Системный администратор"),
    ("supervisor", Role.SUPERVISOR, "Орлова", "Марина", "Игоревна", "Руководитель службы сервиса"),
    ("kam", Role.ACCOUNT_MANAGER, "Белов", "Андрей", "Павлович", "Ведущий менеджер по работе с ключевыми клиентами"),
    ("kam2", Role.ACCOUNT_MANAGER, "Соколова", "Екатерина", "Андреевна", "Менеджер по работе с ключевыми клиентами"),
    ("center", Role.CENTER_OPERATOR, "Кузнецова", "Ольга", "Сергеевна", "Специалист клиентского центра"),
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
        rows.append((account.username, f"Client portal — {company}"))
    return rows
