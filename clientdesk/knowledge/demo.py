"""Demo knowledge base: a telecom / IT-services provider's answers for its business clients."""

from __future__ import annotations

import random

from .models import Article, ArticleFeedback, ArticleStatus, Category, Visibility
from .services import ArticleInput, article_save

CATEGORIES = [
    ("billing", "Счета и оплата", "Invoices and payment"),
    ("documents", "Документы и договор", "Documents and contract"),
    ("services", "Подключение услуг", "Connecting services"),
    ("support", "Поддержка", "Support"),
]

# slug, category, visibility, title ru, title en, body ru, body en
ARTICLES: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "where-is-my-invoice",
        "billing",
        Visibility.PUBLIC,
        "Где найти счёт за услуги",
        "Where to find your invoice",
        "Счета выставляются до 5-го числа каждого месяца за прошлый месяц и приходят на "
        "адрес электронной почты, указанный в договоре.\n\n"
        "Копии счетов, актов и счетов-фактур за последние три года можно запросить через "
        "портал: создайте обращение «Копии закрывающих документов» и укажите период.\n\n"
        "Если вы обмениваетесь документами через ЭДО, счета приходят туда же в тот же день.",
        "Invoices for the previous month are issued by the 5th of each month and sent to the "
        "e-mail address named in the contract.\n\n"
        "Copies of invoices, acts and VAT invoices for the last three years can be requested "
        "on the portal: open a request “Copies of closing documents” and name the period.\n\n"
        "If you exchange documents through an EDI operator, invoices arrive there the same day.",
    ),
    (
        "payment-details",
        "billing",
        Visibility.PUBLIC,
        "Как оплатить счёт и что указать в назначении платежа",
        "How to pay an invoice and what to write in the payment reference",
        "Оплачивайте по реквизитам, указанным в счёте. В назначении платежа укажите номер "
        "счёта и номер лицевого счёта: так платёж зачисляется автоматически в течение "
        "одного рабочего дня.\n\n"
        "Платёж без номера лицевого счёта разносится вручную, до трёх рабочих дней.",
        "Pay to the bank details shown on the invoice. In the payment reference give the "
        "invoice number and your account number: the payment is then credited automatically "
        "within one business day.\n\n"
        "A payment without the account number is matched by hand, which takes up to three "
        "business days.",
    ),
    (
        "overpayment-refund",
        "billing",
        Visibility.PORTAL,
        "Возврат переплаты",
        "Refund of an overpayment",
        "Переплату можно зачесть в счёт будущих платежей или вернуть на расчётный счёт.\n\n"
        "Для возврата пришлите письмо на бланке организации с подписью руководителя: сумма, "
        "реквизиты для возврата, номер договора. Возврат выполняется в течение десяти "
        "рабочих дней после получения письма.",
        "An overpayment can be set against future invoices or refunded to your bank "
        "account.\n\n"
        "For a refund, send a letter on your company's letterhead signed by the director: the "
        "amount, bank details and contract number. The refund is made within ten business "
        "days of receiving the letter.",
    ),
    (
        "power-of-attorney",
        "documents",
        Visibility.PUBLIC,
        "Доверенность на представителя: что в ней должно быть",
        "Power of attorney for a representative: what it must contain",
        "Если документы подписывает или получает не руководитель, нужна доверенность.\n\n"
        "В доверенности укажите: полное наименование и ИНН организации, ФИО и паспортные "
        "данные представителя, перечень полномочий (например, «подписывать дополнительные "
        "соглашения к договору» или «получать оборудование»), срок действия, подпись "
        "руководителя.\n\n"
        "Представитель приносит оригинал доверенности и паспорт. Копия доверенности остаётся "
        "у нас.",
        "When someone other than the director signs or collects documents, a power of "
        "attorney is needed.\n\n"
        "It must give: the company's full name and INN, the representative's full name and "
        "passport details, the powers granted (for example “to sign supplementary agreements "
        "to the contract” or “to collect equipment”), its term and the director's "
        "signature.\n\n"
        "The representative brings the original and their passport; we keep a copy.",
    ),
    (
        "contract-changes",
        "documents",
        Visibility.PORTAL,
        "Документы для изменения договора",
        "Documents for changing the contract",
        "Для изменения реквизитов, тарифа или перечня услуг подготовьте:\n\n"
        "— заявление на бланке организации;\n"
        "— выписку из ЕГРЮЛ не старше 30 дней (при смене наименования, адреса или "
        "руководителя);\n"
        "— доверенность, если заявление подписывает не руководитель.\n\n"
        "Дополнительное соглашение готовится в течение трёх рабочих дней и может быть "
        "подписано через ЭДО.",
        "To change the bank details, tariff or list of services, prepare:\n\n"
        "— an application on your company's letterhead;\n"
        "— an extract from the Unified State Register of Legal Entities not older than 30 "
        "days (when the name, address or director changes);\n"
        "— a power of attorney if someone other than the director signs.\n\n"
        "The supplementary agreement is prepared within three business days and can be "
        "signed through EDI.",
    ),
    (
        "edi-connection",
        "documents",
        Visibility.PUBLIC,
        "Электронный документооборот (ЭДО)",
        "Electronic document interchange (EDI)",
        "Мы обмениваемся документами через операторов Диадок и СБИС. Пришлите приглашение "
        "на наш идентификатор участника ЭДО, указанный в договоре, и сообщите об этом "
        "через портал.\n\n"
        "После подключения счета, акты и дополнительные соглашения приходят только "
        "в электронном виде.",
        "We exchange documents through the Diadoc and SBIS operators. Send an invitation to "
        "our EDI participant ID given in the contract and tell us on the portal.\n\n"
        "Once connected, invoices, acts and supplementary agreements arrive electronically "
        "only.",
    ),
    (
        "connect-internet",
        "services",
        Visibility.PUBLIC,
        "Подключение интернета в новый офис",
        "Connecting the internet at a new office",
        "Создайте обращение «Подключение услуги», укажите адрес и желаемую скорость. "
        "Инженер проверит техническую возможность за два рабочих дня.\n\n"
        "Если дом уже подключён к нашей сети, монтаж занимает от трёх до пяти рабочих дней; "
        "если нет, сроки и стоимость строительства сообщит менеджер.",
        "Open a request “Connect a service” with the address and the bandwidth you need. An "
        "engineer checks feasibility within two business days.\n\n"
        "If the building is already on our network, installation takes three to five "
        "business days; otherwise your account manager tells you the time and cost of "
        "construction.",
    ),
    (
        "add-phone-numbers",
        "services",
        Visibility.PORTAL,
        "Дополнительные телефонные номера и виртуальная АТС",
        "Additional phone numbers and the cloud PBX",
        "Новые городские номера и номера 8-800 подключаются по заявлению в течение одного "
        "рабочего дня. Выбрать номер можно в обращении: укажите желаемые цифры.\n\n"
        "Настройка виртуальной АТС (меню, очереди, запись разговоров) выполняется в личном "
        "кабинете АТС; инструкцию пришлёт ваш менеджер.",
        "New local numbers and 8-800 numbers are connected within one business day of the "
        "application. You can choose a number in your request: give the digits you want.\n\n"
        "The cloud PBX (menus, queues, call recording) is set up in the PBX account; your "
        "account manager sends the instructions.",
    ),
    (
        "suspend-service",
        "services",
        Visibility.PORTAL,
        "Временная приостановка услуг",
        "Suspending services temporarily",
        "Услуги можно приостановить на срок до 90 дней в году, например на время ремонта "
        "офиса. Абонентская плата в этот период не начисляется, кроме платы за сохранение "
        "номеров.\n\n"
        "Подайте заявление через портал не позднее чем за три рабочих дня.",
        "Services can be suspended for up to 90 days a year, for example while the office is "
        "refurbished. No monthly fee is charged then, apart from the fee for keeping your "
        "numbers.\n\n"
        "Apply on the portal at least three business days ahead.",
    ),
    (
        "support-hours",
        "support",
        Visibility.PUBLIC,
        "Часы работы поддержки",
        "Support hours",
        "Техническая поддержка работает круглосуточно по телефону 8-800 и через портал.\n\n"
        "Вопросы по счетам и договорам решаются в рабочие дни с 9:00 до 18:00 по "
        "московскому времени. Обращения, созданные в нерабочее время, берутся в работу "
        "в начале следующего рабочего дня.",
        "Technical support works around the clock by the 8-800 line and on the portal.\n\n"
        "Questions about invoices and contracts are handled on business days from 9:00 to "
        "18:00 Moscow time. Requests made outside these hours are taken up at the start of "
        "the next business day.",
    ),
    (
        "outage-what-to-do",
        "support",
        Visibility.PUBLIC,
        "Нет связи: что проверить перед обращением",
        "No connection: what to check before contacting us",
        "Проверьте питание роутера и кабель от нашего оборудования, перезагрузите роутер.\n\n"
        "Если связь не появилась, создайте обращение и укажите адрес, время начала сбоя и "
        "индикацию на оборудовании. Для аварий у ключевых клиентов время реакции — "
        "30 минут.",
        "Check the router's power and the cable from our equipment, and restart the "
        "router.\n\n"
        "If the connection does not return, open a request with the address, the time the "
        "outage started and what the equipment's lights show. For key clients' outages we "
        "respond within 30 minutes.",
    ),
    (
        "escalation-internal",
        "support",
        Visibility.STAFF,
        "Эскалация аварии ключевого клиента (для сотрудников)",
        "Escalating a key client's outage (staff)",
        "При аварии у клиента категории A сообщите дежурному инженеру NOC и ответственному "
        "менеджеру в течение 15 минут. Обращение получает приоритет «Срочный».\n\n"
        "Клиенту сообщаем только подтверждённые сроки восстановления.",
        "For an outage at a category A client, inform the NOC duty engineer and the account "
        "manager within 15 minutes. The request gets the Urgent priority.\n\n"
        "Tell the client only confirmed restoration times.",
    ),
]


def load_demo(*, seed: int) -> None:
    """Idempotent: a second call finds the articles and does nothing."""
    if Article.objects.filter(slug=ARTICLES[0][0]).exists():
        return
    rng = random.Random(seed)  # noqa: S311 - demo figures, not secrets
    categories = {}
    for position, (slug, name, name_en) in enumerate(CATEGORIES):
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": position}
        )
    for slug, category, visibility, title, title_en, body, body_en in ARTICLES:
        article = article_save(
            data=ArticleInput(
                slug=slug,
                title=title,
                title_en=title_en,
                body=body,
                body_en=body_en,
                category=categories[category],
                visibility=visibility,
                status=ArticleStatus.PUBLISHED,
            ),
            by=None,
        )
        votes = [rng.random() < 0.75 for _i in range(rng.randint(0, 12))]
        ArticleFeedback.objects.bulk_create(
            [
                ArticleFeedback(article=article, session_key=f"demo-{slug}-{i}", helpful=v)
                for i, v in enumerate(votes)
            ]
        )
        Article.objects.filter(pk=article.pk).update(
            view_count=rng.randint(5, 400),
            helpful_yes=sum(votes),
            helpful_no=len(votes) - sum(votes),
        )
