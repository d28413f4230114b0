"""Writes on accounts. Each records its own audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.authtoken.models import Token

from clientdesk.core import audit
from clientdesk.core.roles import Role

from .models import User


@transaction.atomic
def staff_user_create(
    *,
    username: str,
    password: str | None,
    role: Role | str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    patronymic: str = "",
    position: str = "",
    by: Any = None,
) -> User:
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        patronymic=patronymic,
        position=position,
        kind=User.Kind.STAFF,
        role=Role(role),
        # Administrators configure the system in the Django admin.
        is_staff=Role(role) == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(actor=by, action="user.create", target=user, changes={"role": user.role})
    return user


@transaction.atomic
def staff_role_set(*, user: User, role: Role | str, by: Any) -> User:
    before = user.role
    user.role = Role(role)
    user.is_staff = user.role == Role.ADMIN
    user.save(update_fields=["role", "is_staff"])
    audit.record(actor=by, action="user.role", target=user, changes={"role": [before, user.role]})
    return user


@transaction.atomic
def api_token_rotate(*, user: User, by: Any) -> Token:
    """Replaces the user's API token; the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit.record(actor=by, action="user.api_token", target=user)
    return token
