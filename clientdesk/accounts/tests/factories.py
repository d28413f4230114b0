from __future__ import annotations

import factory

from clientdesk.accounts.models import User
from clientdesk.core.roles import Role


class StaffFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Иван"
    last_name = factory.Sequence(lambda n: f"Сотрудников{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    kind = User.Kind.STAFF
    role: str = Role.ACCOUNT_MANAGER.value
    password = factory.django.Password("pw")


class PortalUserFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"client{n}")
    kind = User.Kind.PORTAL
    role = ""
