"""Demo: the two demo portal users have requests of their own to follow in the portal, shared
documents, notification settings and consents; client1's company has a second portal user and
an open invitation (its link is printed by the console e-mail backend). Nobody is enrolled in
two-step sign-in, so that every demo login works with the password alone."""

from __future__ import annotations

import io

from django.db import transaction

from clientdesk.accounts.models import User
from clientdesk.clients.models import Channel, ConsentPurpose, Contact, Contract
from clientdesk.clients.services import ContactInput, contact_create
from clientdesk.core.demo import DEMO_PASSWORD
from clientdesk.core.roles import Role
from clientdesk.service.models import Service, ServiceRequest
from clientdesk.service.services import RequestInput, request_create, request_reply

from . import services
from .models import DocumentKind, Invitation, PortalAccount, PortalRole, SharedDocument
from .selectors import group_subsidiaries, staff_may_manage

_REQUESTS = [
    (
        "Не пришёл счёт за октябрь",
        "Добрый день! Прошу направить счёт за октябрь на адрес бухгалтерии.",
        "Счёт за октябрь направлен повторно на адрес бухгалтерии. "
        "Электронная копия доступна в личном кабинете.",
    ),
    (
        "Подключение второго офиса",
        "Планируем открыть офис на ул. Ленина, 12. Какие документы нужны для подключения?",
        "",
    ),
]

_DOCUMENTS = [
    (DocumentKind.CONTRACT, "Договор на обслуживание", "dogovor.pdf", True),
    (DocumentKind.ACT, "Акт оказанных услуг за октябрь", "akt-oktyabr.pdf", True),
    (DocumentKind.INVOICE, "Счёт на оплату за ноябрь", "schet-noyabr.pdf", True),
    (DocumentKind.OTHER, "Черновик допсоглашения (внутренний)", "dop-chernovik.pdf", False),
]


_NEW_PEOPLE = [
    ("Соколова", "Анна", "Сергеевна", "Главный бухгалтер", "a.sokolova"),
    ("Лебедев", "Дмитрий", "Олегович", "Руководитель ИТ-отдела", "d.lebedev"),
]


def _pdf(title: str) -> bytes:
    # A minimal valid PDF: enough for the download and the type check.
    return b"%PDF-1.4\n% clientdesk demo: " + title.encode() + b"\n%%EOF\n"


def load_demo(*, seed: int) -> None:
    """Idempotent: what exists already is left as it is."""
    del seed  # fixed texts: the demo should read the same every time
    service = Service.objects.order_by("pk").first()
    accounts = list(
        PortalAccount.objects.select_related("company", "contact", "user")
        .filter(user__username__in=("client1", "client2"))
        .order_by("user__username")
    )
    for account in accounts:
        _requests(account, service)
        _documents(account)
        _preferences(account)
    client1 = next((a for a in accounts if a.user.username == "client1"), None)
    if client1 is not None:
        _team(client1)


def _requests(account: PortalAccount, service: Service | None) -> None:
    if ServiceRequest.objects.filter(company=account.company, subject=_REQUESTS[0][0]).exists():
        return
    for subject, body, reply in _REQUESTS:
        request = request_create(
            data=RequestInput(
                company=account.company,
                contact=account.contact,
                channel=Channel.PORTAL,
                subject=subject,
                body=body,
                service=service,
            ),
            by=account.user,
        )
        if reply and request.assignee is not None:
            request_reply(request=request, body=reply, by=request.assignee, send_email=False)


def _staff_for(account: PortalAccount) -> User | None:
    manager = account.company.account_manager
    if manager is not None and staff_may_manage(manager, account.company):
        return manager
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()


def _documents(account: PortalAccount) -> None:
    company = account.company
    staff = _staff_for(account)
    if staff is None or SharedDocument.objects.filter(company=company).exists():
        return
    contract = Contract.objects.filter(company=company).order_by("-signed_on", "-id").first()
    for kind, title, name, visible in _DOCUMENTS:
        content = _pdf(title)
        services.document_upload(
            company=company,
            data=services.DocumentInput(
                kind=kind,
                title=title,
                name=name,
                stream=io.BytesIO(content),
                size=len(content),
                contract=contract if kind == DocumentKind.CONTRACT else None,
                visible_in_portal=visible,
            ),
            by=staff,
        )
    # A holding's user sees a subsidiary when staff grant it: show the switcher in the demo.
    subsidiaries = group_subsidiaries(company)
    if subsidiaries and not account.extra_companies.exists():
        services.extra_company_grant(account=account, company=subsidiaries[0], by=staff)


def _preferences(account: PortalAccount) -> None:
    if not account.notify_status_change:  # set by an earlier run
        return
    services.notification_preferences_set(
        account=account,
        preferences={"newsletters": False, "status_change": False},
        by=account.user,
    )
    if account.contact is not None:
        services.consents_set(
            contact=account.contact,
            wanted={
                ConsentPurpose.MARKETING: {Channel.EMAIL},
                ConsentPurpose.SURVEYS: {Channel.EMAIL, Channel.PHONE},
            },
            by=account.user,
        )


def _team(admin: PortalAccount) -> None:
    """client1's company: a second portal user (a member) and an open invitation."""
    company = admin.company
    others = list(
        Contact.objects.filter(company=company, left_company=False, erased_at__isnull=True)
        .exclude(email="")
        .exclude(pk=admin.contact_id or 0)
        .exclude(email__in=User.objects.values("email"))
        .order_by("id")[:2]
    )
    if Invitation.objects.filter(company=company).exists():
        return
    domain = (admin.user.email or "example.ru").rpartition("@")[2]
    for last, first, patronymic, position, local in _NEW_PEOPLE[: max(0, 2 - len(others))]:
        # Too few colleagues with an e-mail of their own on file: the demo adds two people.
        others.append(
            contact_create(
                company=company,
                data=ContactInput(
                    last_name=last,
                    first_name=first,
                    patronymic=patronymic,
                    position=position,
                    email=f"{local}@{domain}",
                ),
                by=None,
            )
        )
    for i, contact in enumerate(others):
        # One transaction: the e-mail (sent on commit) is skipped for the invitation accepted
        # here, and goes out (console backend: printed) for the one left open.
        with transaction.atomic():
            invitation = services.invitation_create(
                company=company,
                data=services.InvitationInput(contact=contact, email=contact.email),
                by=admin.user,
            )
            if i == 0:
                # The second portal user signs in with the e-mail as user name, demo password.
                services.invitation_accept(invitation=invitation, password=DEMO_PASSWORD)
    member = PortalAccount.objects.filter(company=company, role=PortalRole.MEMBER).first()
    if member is not None:
        services.notification_preferences_set(
            account=member, preferences={"request_reply": False}, by=member.user
        )
