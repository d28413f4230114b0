"""Shared set-up of the portal access tests: two companies, their people, staff."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core import mail
from django.test import Client

from clientdesk.accounts.models import User
from clientdesk.clients.models import Company, Contact
from clientdesk.portal.models import PortalAccount
from clientdesk.service.tests.factories import new_company, new_contact

TOKEN_IN_LINK = re.compile(r"/portal/invitation/([A-Za-z0-9_\-]+)/")


@dataclass
class Firms:
    a: Company
    b: Company
    a_admin: User
    a_member: User
    b_admin: User
    a_contact: Contact  # a person of A without an account yet
    b_contact: Contact
    kam_a: User  # key account manager of A
    kam_b: User  # key account manager of B (an outsider for A)


def as_user(user: User) -> Client:
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def make_firms(make_staff: Any, make_portal_user: Any) -> Firms:
    kam_a, kam_b = make_staff(), make_staff()
    a = new_company(legal_name="ООО Альфа", account_manager=kam_a)
    b = new_company(legal_name="ООО Бета", account_manager=kam_b)
    a_admin = make_portal_user(a, role=PortalAccount.Role.ADMIN)
    a_member = make_portal_user(a)
    b_admin = make_portal_user(b, role=PortalAccount.Role.ADMIN)
    for user in (a_admin, a_member, b_admin):
        account = user.portal_account
        account.contact = new_contact(company=account.company, email=f"{user.username}@firm.ru")
        account.save()
    return Firms(
        a=a,
        b=b,
        a_admin=a_admin,
        a_member=a_member,
        b_admin=b_admin,
        a_contact=new_contact(
            company=a,
            first_name="Ольга",
            last_name="Петрова",
            patronymic="Ивановна",
            email="olga@alfa.ru",
            language="ru",
        ),
        b_contact=new_contact(company=b, email="someone@beta.ru"),
        kam_a=kam_a,
        kam_b=kam_b,
    )


def contact_of(user: User) -> Contact:
    contact = user.portal_account.contact
    assert contact is not None
    return contact


def last_token() -> str:
    match = TOKEN_IN_LINK.search(str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)
