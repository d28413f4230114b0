from __future__ import annotations

import factory

from clientdesk.accounts.models import User
from clientdesk.core.roles import Role


class StaffFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Иван"
    last_name = factory.Sequence(lambda n: f"Сотрудников{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    kind = User.Kind.STAFF
    role = Role.ACCOUNT_MANAGER
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class PortalUserFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"client{n}")
    kind = User.Kind.PORTAL
    role = ""
