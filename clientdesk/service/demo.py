"""Demo data of the service domain: units, skills, agents of the demo staff, a catalogue of
twelve services in Russian and English, SLA policies, standards documents, and a few hundred
requests across channels and statuses (with messages, first-contact resolutions, repeats,
avoidable contacts, and breaches found by running the SLA job at the end).

Call `load_demo(seed=...)` after the registry's demo (it uses existing companies and creates a
few of its own only if there are none). Structure is created once (get-or-create by code);
requests are added on every call. Requests go through the services, so the timeline and audit
trail are those of real work; their timestamps are then moved into the past.
"""

# ruff: noqa: E501 - the catalogue below is a data table, one service per block
from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from clientdesk.accounts.models import User
from clientdesk.clients.models import Channel, Company, Contact
from clientdesk.core.demo import create_demo_staff

from . import services
from .models import (
    Agent,
    AvoidableReason,
    KeyClientRoute,
    Priority,
    RequestMessage,
    Service,
    ServiceRequest,
    Skill,
    SlaPolicy,
    StandardDocument,
    Status,
    StatusChange,
    Unit,
)
from .seed import seed_default_policy, seed_reasons

V, P, E, W = Channel.VISIT, Channel.PHONE, Channel.EMAIL, Channel.PORTAL

UNITS = [
    ("service_center", "Клиентский центр", "Client service center"),
    ("contact_center", "Контакт-центр", "Contact center"),
    ("billing", "Отдел расчётов", "Billing department"),
    ("contracts", "Договорной отдел", "Contracts department"),
    ("tech", "Техническая поддержка", "Technical support"),
    ("key_accounts", "Отдел ключевых клиентов", "Key accounts"),
    ("triage", "Разбор входящих обращений", "Inbound triage"),
]
SKILLS = [
    ("billing", "Расчёты и документы", "Billing and documents"),
    ("contracts", "Договоры", "Contracts"),
    ("tech", "Техника", "Technical"),
    ("legal", "Претензии", "Claims"),
]
# code, ru, en, description ru, description en, channels, in person?, reason ru, reason en,
# documents ru, documents en, standard minutes, unit, skills
SERVICES: list[tuple[Any, ...]] = [
    ("contract_change", "Изменение условий договора", "Contract amendment",
     "Подготовим и подпишем дополнительное соглашение.", "We prepare and sign a supplementary agreement.",
     [V, E, W], True, "Дополнительное соглашение подписывает уполномоченное лицо", "The agreement is signed by an authorised person",
     "Доверенность на подписанта\nПаспорт подписанта\nВыписка из ЕГРЮЛ не старше 30 дней",
     "Power of attorney of the signatory\nSignatory's passport\nRegister extract (EGRUL) under 30 days old",
     3 * 540, "contracts", ["contracts"]),
    ("details_change", "Смена реквизитов компании", "Change of company details",
     "Внесём новые реквизиты в договор и счета.", "We update the details in your contract and invoices.",
     [W, E, V], False, "", "", "Письмо на бланке организации\nЛист записи ЕГРЮЛ",
     "Letter on company letterhead\nEGRUL entry sheet", 540, "contracts", ["contracts"]),
    ("reconciliation", "Акт сверки расчётов", "Reconciliation statement",
     "Направим акт сверки за запрошенный период.", "We send a reconciliation statement for the period.",
     [E, W, P], False, "", "", "", "", 540, "billing", ["billing"]),
    ("invoice_question", "Вопрос по счёту", "Invoice query",
     "Разъясним начисления и исправим ошибки.", "We explain the charges and correct mistakes.",
     [P, E, W], False, "", "", "", "", 240, "billing", ["billing"]),
    ("originals", "Выдача оригиналов закрывающих документов", "Originals of closing documents",
     "Выдаём оригиналы актов и счетов-фактур.", "We hand over original acts and VAT invoices.",
     [V], True, "Оригиналы выдаются под подпись", "Originals are handed over against a signature",
     "Доверенность на получение документов\nПаспорт", "Power of attorney to collect documents\nPassport",
     540, "service_center", ["billing"]),
    ("activation", "Подключение новой услуги", "New service activation",
     "Подключим услугу по вашей заявке.", "We activate a service on your application.",
     [P, E, W, V], False, "", "", "Заявка на подключение", "Activation application",
     5 * 540, "tech", ["tech"]),
    ("incident", "Технический сбой", "Technical incident",
     "Восстановим работу услуги.", "We restore the service.",
     [P, E, W], False, "", "", "", "", 540, "tech", ["tech"]),
    ("portal_access", "Доступ к личному кабинету", "Portal access",
     "Восстановим или выдадим доступ сотруднику.", "We restore or grant access for an employee.",
     [P, E], False, "", "", "", "", 120, "contact_center", []),
    ("claim", "Претензия", "Formal claim",
     "Рассмотрим претензию в установленный срок.", "We review a formal claim within the set time.",
     [E, W, V], False, "", "", "Претензия на бланке с подписью\nПодтверждающие документы",
     "Signed claim on letterhead\nSupporting documents", 10 * 540, "contracts", ["legal"]),
    ("poa_registration", "Регистрация доверенности", "Registering a power of attorney",
     "Внесём представителя в карточку клиента.", "We record your representative.",
     [V], True, "Нужен оригинал доверенности", "The original power of attorney is needed",
     "Оригинал доверенности\nПаспорт представителя", "Original power of attorney\nRepresentative's passport",
     540, "service_center", ["contracts"]),
    ("termination", "Расторжение договора", "Contract termination",
     "Оформим расторжение и закрывающие документы.", "We process termination and closing documents.",
     [V, E], True, "Соглашение о расторжении подписывается лично", "The termination agreement is signed in person",
     "Заявление о расторжении\nДоверенность\nПаспорт", "Termination request\nPower of attorney\nPassport",
     5 * 540, "contracts", ["contracts"]),
    ("tariff_consultation", "Консультация по тарифам", "Tariff consultation",
     "Подберём тариф под ваши задачи.", "We help you choose a tariff.",
     [P, E, W, V], False, "", "", "", "", 240, "contact_center", []),
]  # fmt: skip

POLICIES = [
    # name, abc_xyz, channel, priority, service code, first response, resolution, rank
    ("Ключевые клиенты AX", "AX", "", "", None, 30, 540, 10),
    ("Ключевые клиенты AY", "AY", "", "", None, 30, 1080, 10),
    ("Ключевые клиенты AZ", "AZ", "", "", None, 60, 1080, 10),
    ("Срочно по телефону", "", P, Priority.URGENT, None, 15, 240, 20),
    ("Срочно", "", "", Priority.URGENT, None, 30, 480, 30),
    ("Технический сбой, высокий", "", "", Priority.HIGH, "incident", 30, 240, 15),
    ("Визит в клиентский центр", "", V, "", None, 15, 540, 50),
]

SUBJECTS = {
    "invoice_question": [
        "Непонятная строка в счёте",
        "Счёт выставлен дважды",
        "Не пришёл счёт за месяц",
    ],
    "reconciliation": ["Акт сверки за квартал", "Акт сверки за год"],
    "incident": ["Не работает услуга", "Перебои в работе", "Ошибка при входе"],
    "portal_access": ["Новый сотрудник, нужен доступ", "Забыли пароль"],
}
BODIES = [
    "Добрый день! Просим разобраться и сообщить результат.",
    "Здравствуйте. Вопрос срочный, ждём ответа.",
    "Просим направить документы на электронную почту.",
    "Коллеги, повторно обращаемся по этому вопросу.",
]
REPLIES = [
    "Добрый день! Ваш запрос принят в работу.",
    "Документы направлены на вашу почту.",
    "Вопрос решён, начисления скорректированы.",
    "Уточните, пожалуйста, номер договора.",
]


def _structure() -> dict[str, Unit]:
    staff = {u.username: u for u in create_demo_staff()}
    seed_reasons(AvoidableReason)
    seed_default_policy(SlaPolicy)
    supervisor = staff.get("supervisor")
    units = {}
    for code, name, name_en in UNITS:
        units[code], _ = Unit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "supervisor": supervisor,
                "email": f"{code.replace('_', '-')}@clientdesk.local",
            },
        )
    skills = {}
    for code, name, name_en in SKILLS:
        skills[code], _ = Skill.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
    for row in SERVICES:
        (code, name, name_en, desc, desc_en, channels, in_person, reason, reason_en) = row[:9]
        docs, docs_en, minutes, unit_code, skill_codes = row[9:]
        service, created = Service.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "description": desc,
                "description_en": desc_en,
                "channels": [str(c) for c in channels],
                "in_person_required": in_person,
                "in_person_reason": reason,
                "in_person_reason_en": reason_en,
                "documents_required": docs,
                "documents_required_en": docs_en,
                "standard_minutes": minutes,
                "unit": units[unit_code],
            },
        )
        if created:
            service.skills.set([skills[s] for s in skill_codes])
    agents = {
        "supervisor": (["contact_center", "triage"], list(skills), 20),
        "center": (["service_center"], ["billing", "contracts"], 40),
        "call": (["contact_center", "billing", "tech", "triage"], ["billing", "tech"], 60),
        "kam": (["key_accounts", "contracts", "billing"], list(skills), 40),
        "kam2": (["key_accounts", "contracts", "tech"], list(skills), 40),
    }
    for username, (unit_codes, skill_codes, capacity) in agents.items():
        user = staff.get(username)
        if user is None:
            continue
        agent, created = Agent.objects.get_or_create(user=user, defaults={"capacity": capacity})
        if created:
            agent.units.set([units[c] for c in unit_codes])
            agent.skills.set([skills[s] for s in skill_codes])
    for name, cell, channel, priority, service_code, first, resolution, rank in POLICIES:
        SlaPolicy.objects.get_or_create(
            name=name,
            defaults={
                "abc_xyz": cell,
                "channel": channel,
                "priority": priority,
                "service": Service.objects.filter(code=service_code).first()
                if service_code
                else None,
                "first_response_minutes": first,
                "resolution_minutes": resolution,
                "rank": rank,
            },
        )
    author = staff.get("supervisor")
    documents = [
        ("contact_center", StandardDocument.Kind.REGULATIONS, "Положение о контакт-центре",
         "<p>1. Контакт-центр принимает обращения клиентов по телефону и электронной почте.</p>"
         "<p>2. Ответ клиенту даётся в сроки, установленные SLA.</p>"),
        ("contact_center", StandardDocument.Kind.JOB_DESCRIPTION, "Должностная инструкция оператора",
         "<p>Оператор регистрирует каждое обращение, указывает услугу и результат.</p>"),
        ("service_center", StandardDocument.Kind.STANDARD, "Стандарт обслуживания в клиентском центре",
         "<p>Время ожидания в очереди — не более 15 минут. Перечень документов сообщается клиенту при записи.</p>"),
        ("contact_center", StandardDocument.Kind.REPORTING_FORM, "Ежедневный отчёт оператора",
         "<p>Форма формируется в системе: Отчёты → Ежедневный отчёт оператора.</p>"),
    ]  # fmt: skip
    for unit_code, kind, title, text in documents:
        StandardDocument.objects.get_or_create(
            unit=units[unit_code],
            kind=kind,
            title=title,
            version="1",
            defaults={"text": text, "uploaded_by": author, "effective_from": dt.date(2026, 1, 12)},
        )
    return units


def _companies(rng: random.Random) -> list[Company]:
    companies = list(
        Company.objects.filter(merged_into__isnull=True).select_related("account_manager")[:300]
    )
    if not companies:
        companies = [
            Company.objects.create(legal_name=f'ООО "Демо {i}"', short_name=f"Демо {i}")
            for i in range(20)
        ]
    return companies


@transaction.atomic
def load_demo(*, seed: int, requests: int = 300) -> None:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    units = _structure()
    companies = _companies(rng)
    managed = [c for c in companies if c.account_manager_id][:10]
    for company in managed[:5]:
        KeyClientRoute.objects.get_or_create(
            company=company,
            defaults={"assignee": company.account_manager, "team": units["key_accounts"]},
        )
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(company__in=companies, left_company=False):
        contacts.setdefault(contact.company_id, []).append(contact)
    catalogue = list(Service.objects.filter(is_active=True).prefetch_related("skills"))
    reasons = list(AvoidableReason.objects.all())
    staff = {
        u.username: u
        for u in User.objects.filter(username__in=["supervisor", "center", "call", "kam", "kam2"])
    }
    operators = [u for u in staff.values()]
    now = timezone.now()
    recent: list[tuple[Company, Service]] = []
    for _ in range(requests):
        if recent and rng.random() < 0.12:
            company, service = rng.choice(recent[-30:])  # the same question again: a repeat
        else:
            company, service = rng.choice(companies), rng.choice(catalogue)
        channel = rng.choice(service.channels or [P])
        created = now - dt.timedelta(days=rng.uniform(0, 60), minutes=rng.randint(0, 600))
        people = contacts.get(company.pk, [])
        by = staff.get("center") if channel == V else staff.get("call")
        subject = rng.choice(SUBJECTS.get(service.code, [service.name]))
        request = services.request_create(
            data=services.RequestInput(
                company=company,
                contact=rng.choice(people) if people else None,
                service=service,
                channel=channel,
                priority=rng.choices(list(Priority.values), weights=[10, 70, 15, 5])[0],
                subject=subject,
                body=rng.choice(BODIES),
                topic=service.code,
                source="demo",
                created_at=created,
            ),
            by=by if channel in (V, P) else None,
        )
        recent.append((company, service))
        _play(rng, request, created, now, operators, reasons)
    services.sla_check(now=now, notify=False)


def _play(
    rng: random.Random,
    request: ServiceRequest,
    created: dt.datetime,
    now: dt.datetime,
    operators: list[User],
    reasons: list[AvoidableReason],
) -> None:
    """Moves a fresh request along a plausible path, then dates the steps in the past."""
    worker = request.assignee or (rng.choice(operators) if operators else None)
    if worker is None:
        return
    if request.assignee_id is None and rng.random() < 0.7:
        services.request_assign(request=request, to=worker, by=worker)
    roll = rng.random()
    age = now - created
    if roll < 0.2 and age < dt.timedelta(days=10):
        return  # still new
    reply_at = created + min(age, dt.timedelta(minutes=rng.randint(5, 600)))
    if request.channel in (Channel.VISIT, Channel.PHONE) and rng.random() < 0.45:
        services.request_resolve(request=request, by=worker, first_contact=True)
        _date(request, first_response_at=created, resolved_at=created + dt.timedelta(minutes=20))
    else:
        message = services.request_reply(
            request=request, body=rng.choice(REPLIES), by=worker, send_email=False
        )
        RequestMessage.objects.filter(pk=message.pk).update(created_at=reply_at)
        _date(request, first_response_at=reply_at)
        if roll < 0.3 and age < dt.timedelta(days=15):
            services.request_change_status(request=request, to=Status.WAITING, by=worker)
            return
        if roll < 0.5 and age < dt.timedelta(days=20):
            return  # in progress
        request.refresh_from_db()
        services.request_resolve(request=request, by=worker)
        resolved_at = created + min(age, dt.timedelta(hours=rng.uniform(1, 120)))
        _date(request, resolved_at=resolved_at)
        if age > dt.timedelta(days=7) and rng.random() < 0.6:
            request.refresh_from_db()
            services.request_change_status(request=request, to=Status.CLOSED, by=worker)
            _date(request, closed_at=resolved_at + dt.timedelta(days=3))
    if reasons and rng.random() < 0.15:
        request.refresh_from_db()
        services.request_classify(request=request, by=worker, avoidable_reason=rng.choice(reasons))


def _date(request: ServiceRequest, **moments: dt.datetime) -> None:
    ServiceRequest.objects.filter(pk=request.pk).update(**moments)
    for field, status in (("resolved_at", Status.RESOLVED), ("closed_at", Status.CLOSED)):
        if field in moments:
            StatusChange.objects.filter(request=request, to_status=status).update(at=moments[field])
    request.refresh_from_db()
    if (
        request.resolved_at
        and request.resolution_due
        and request.resolved_at > request.resolution_due
    ):
        ServiceRequest.objects.filter(pk=request.pk).update(resolution_breached=True)
