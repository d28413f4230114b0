"""Realistic Russian B2B demo data, deterministic for a seed, that scales to a million companies.

Companies are generated as a stream and written in batches, each batch in its own transaction,
with their contacts, phones and e-mails, consents, contracts, revenue, timeline and to-dos. Only
the current batch and small lookup tables are held in memory.

Rows are written with `executemany` and primary keys assigned here (from the table's current
maximum) instead of `bulk_create`: model instances cost more than the rest of the generator put
together at this volume. The consequence is that nothing else may write to these tables while
the generator runs, which is true of a demo load. On PostgreSQL the sequences are reset at the end.

Same seed, same starting database and same `now` give the same rows. A second run on a database
that has companies continues the INN numbering of each region and draws from another stream,
so it appends new, different companies instead of failing on the unique (INN, KPP).
"""

from __future__ import annotations

import datetime
import math
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Count, Max
from django.utils import timezone
from faker import Faker
from stdnum.ru import inn as inn_std
from stdnum.ru import ogrn as ogrn_std
from tqdm import tqdm

from clientdesk.accounts.models import User
from clientdesk.core import audit

from . import search
from .models import (
    Channel,
    Company,
    CompanyStatus,
    Consent,
    ConsentPurpose,
    ConsentText,
    Contact,
    ContactPoint,
    Contract,
    DecisionRole,
    GroupRole,
    Industry,
    Interaction,
    LegalForm,
    Offering,
    Region,
    RevenueRecord,
    SizeBand,
    Tag,
    Todo,
)
from .quality import company_completeness, contact_completeness
from .reference import OFFERINGS, REGIONS, RegionInfo, ensure_reference_data
from .validators import normalise_name

MONTHS = 24
ACCOUNT_MANAGERS = ("kam", "kam2", "supervisor")
OPERATORS = ("call", "center")

# --- word lists ---------------------------------------------------------------------------
# Adjective stems: "ый" declension (Северн-ый/-ая/-ое) and "ий" after к (Сибирск-ий/-ая/-ое).
# fmt: off
_ADJ_HARD = (
    "Северн", "Южн", "Западн", "Восточн", "Центральн", "Нов", "Перв", "Объединённ", "Надёжн",
    "Современн", "Промышленн", "Транспортн", "Торгов", "Строительн", "Инженерн", "Столичн",
    "Региональн", "Межрегиональн", "Дальневосточн", "Северо-Западн", "Полярн", "Технологичн",
    "Национальн", "Индустриальн", "Главн", "Энергичн", "Крупн",
)
# Stressed ending: Цифров-ой/-ая/-ое, Донск-ой.
_ADJ_STRESSED = ("Цифров", "Делов", "Сетев", "Городск", "Донск", "Тверск", "Морск", "Золот")
_ADJ_SOFT = (
    "Сибирск", "Уральск", "Балтийск", "Волжск", "Кубанск", "Невск", "Окск", "Камск",
    "Приморск", "Байкальск", "Ладожск", "Енисейск", "Российск", "Каспийск",
    "Таврическ", "Алтайск", "Мещерск", "Северск", "Печорск",
)
_NOUNS: tuple[tuple[str, str], ...] = (
    ("терминал", "m"), ("альянс", "m"), ("сервис", "m"), ("стандарт", "m"), ("ресурс", "m"),
    ("проект", "m"), ("комбинат", "m"), ("завод", "m"), ("торговый дом", "x"), ("союз", "m"),
    ("капитал", "m"), ("партнёр", "m"), ("транзит", "m"), ("маршрут", "m"), ("мост", "m"),
    ("контур", "m"), ("вектор", "m"), ("поток", "m"), ("горизонт", "m"), ("элемент", "m"),
    ("профиль", "m"), ("центр", "m"), ("холдинг", "m"), ("трест", "m"), ("склад", "m"),
    ("логистика", "f"), ("механика", "f"), ("линия", "f"), ("компания", "f"), ("система", "f"),
    ("группа", "f"), ("мануфактура", "f"), ("фабрика", "f"), ("гавань", "f"), ("звезда", "f"),
    ("энергетика", "f"), ("сеть", "f"), ("база", "f"), ("платформа", "f"), ("корпорация", "f"),
    ("лаборатория", "f"), ("артель", "f"), ("мастерская", "f"), ("верфь", "f"),
    ("производство", "n"), ("агентство", "n"), ("объединение", "n"), ("предприятие", "n"),
    ("партнёрство", "n"), ("снабжение", "n"), ("строительство", "n"), ("бюро", "n"),
)
_PREFIXES = (
    "Техно", "Агро", "Строй", "Энерго", "Пром", "Транс", "Мед", "Инфо", "Нефте", "Газ", "Лес",
    "Хлеб", "Авто", "Электро", "Спец", "Евро", "Тепло", "Гидро", "Металл", "Мега", "Гранд",
    "Нева", "Вест", "Норд", "Сиб", "Урал", "Волга", "Телеком", "Бизнес", "Проф", "Эко", "Стан",
)
_ROOTS = (
    "Сервис", "Строй", "Ком", "Торг", "Снаб", "Логистик", "Систем", "Монтаж", "Проект", "Трейд",
    "Инвест", "Софт", "Маш", "Пром", "Комплект", "Ресурс", "Групп", "Тех", "Лайн", "Мир",
    "Альянс", "Стандарт", "Импекс", "Транс", "Мастер", "Контроль", "Энерго", "Лаб",
)
_SUFFIXES = (
    "Урал", "Сибирь", "Волга", "Дон", "Юг", "Север", "Центр", "Восток", "Запад", "М", "Плюс",
    "Регион", "Групп", "НН", "СПб", "Кама", "Черноземье", "Поволжье", "Н", "Инвест",
)
_PROPER = (
    "Заречье", "Приволжье", "Ладога", "Ока", "Кама", "Берёзка", "Рассвет", "Нева", "Ангара",
    "Енисей", "Алтай", "Байкал", "Таймыр", "Меридиан", "Гранит", "Сапфир", "Вега", "Орион",
    "Полюс", "Атлант", "Эталон", "Факел", "Восход", "Зенит", "Прогресс", "Спектр", "Модуль",
    "Кристалл", "Радуга", "Подмосковье", "Нива", "Колос", "Урожай", "Дубрава", "Искра", "Маяк",
    "Парус", "Фрегат", "Гелиос", "Титан", "Квант", "Бриз", "Аврора", "Янтарь", "Кедр", "Славия",
    "Сокол", "Беркут", "Велес", "Купава", "Лукоморье", "Заря", "Родник", "Успех", "Держава",
)
_KIND_BY_SECTION: dict[str, tuple[str, ...]] = {
    "A": ("Агрохолдинг", "Агрофирма", "Птицефабрика", "Агрокомплекс", "Племзавод"),
    "B": ("Разрез", "Рудоуправление", "Карьер", "Горная компания"),
    "C": (
        "Завод", "Комбинат", "Фабрика", "Производственная компания", "Мясокомбинат", "Хлебозавод",
    ),
    "D": ("Энергосбыт", "Генерирующая компания", "Теплоэнерго"),
    "E": ("Экосервис", "Водоресурс", "Спецавтохозяйство"),
    "F": ("Строительная компания", "Стройтрест", "СМУ", "Девелопмент", "ДСК"),
    "G": ("Торговый дом", "Оптовая компания", "Дистрибьютор", "Торговая сеть", "Автоцентр"),
    "H": ("Транспортная компания", "Логистический центр", "Автопарк", "Экспедитор"),
    "I": ("Гостиница", "Отель", "Ресторанная группа"),
    "J": ("Студия", "Лаборатория", "Интегратор", "Разработка"),
    "K": ("Финансовая группа", "Страховая компания", "Лизинговая компания"),
    "L": ("Бизнес-центр", "Управляющая компания", "Технопарк"),
    "M": ("Юридическое бюро", "Аудиторская компания", "Проектный институт", "Консалтинг"),
    "N": ("Охранное агентство", "Клининг", "Кадровое агентство", "Сервисная компания"),
    "P": ("Учебный центр", "Академия", "Школа"),
    "Q": ("Медицинский центр", "Клиника", "Стоматология", "Аптечная сеть"),
    "R": ("Спорткомплекс", "Фитнес-клуб", "Культурный центр"),
    "S": ("Сервисный центр", "Химчистка", "Ремонтная мастерская"),
}
_LATIN = (
    "Data Line", "NetPoint", "Skyline", "Vector Group", "TechnoPark", "Smart Systems", "BlueSoft",
    "InfoWave", "Nord Consulting", "Urban Tech", "Prime Logistic", "CloudWorks", "Baltic Trade",
    "Sigma Solutions", "Delta Engineering", "Alfa Group", "Neo Retail",
)
_PUBLIC_NAMES: dict[str, tuple[str, ...]] = {
    LegalForm.GUP: (
        "Мостранспроект", "Дорожное хозяйство", "Центр информационных технологий",
        "Пассажиравтотранс", "Экотехпром", "Аптечная сеть",
    ),
    LegalForm.MUP: (
        "Водоканал", "Горэлектросеть", "Тепловые сети", "Жилищник", "Городской транспорт",
        "Горводоканал", "Спецавтобаза",
    ),
    LegalForm.FGBU: (
        "Центр гигиены и эпидемиологии", "Научно-исследовательский институт", "Федеральный центр",
        "Государственный научный центр", "Клиническая больница",
    ),
    LegalForm.ANO: (
        "Центр развития компетенций", "Институт дополнительного образования",
        "Центр поддержки предпринимательства", "Агентство развития",
    ),
}
_PUBLIC_INDUSTRIES: dict[str, tuple[str, ...]] = {
    LegalForm.GUP: ("49.31", "42.11", "63.11", "47.73", "38.11"),
    LegalForm.MUP: ("36.00", "35.30", "35.11", "49.31", "68.32", "38.11"),
    LegalForm.FGBU: ("86.10", "85.22", "71.12", "84.11"),
    LegalForm.ANO: ("85.41", "70.22", "82.99"),
}
# fmt: on
# Shares of the demo client base (a B2B provider's clients are bigger than the average firm).
# fmt: off
_LEGAL_FORMS: tuple[tuple[str, float], ...] = (
    (LegalForm.OOO, 68), (LegalForm.AO, 9), (LegalForm.PAO, 1), (LegalForm.NAO, 1.5),
    (LegalForm.IP, 12), (LegalForm.GUP, 1.5), (LegalForm.MUP, 2), (LegalForm.FGBU, 1.5),
    (LegalForm.ANO, 1), (LegalForm.FOREIGN, 0.5),
)
_SECTION_WEIGHTS = {
    "A": 4,
    "B": 2,
    "C": 16,
    "D": 2,
    "E": 1.5,
    "F": 10,
    "G": 22,
    "H": 9,
    "I": 3,
    "J": 7,
    "K": 3,
    "L": 5,
    "M": 7,
    "N": 4,
    "O": 0.5,
    "P": 1.5,
    "Q": 2.5,
    "R": 0.5,
    "S": 1,
}
_FOREIGN: tuple[tuple[str, str, str, str], ...] = (
    ("DE", "{} GmbH", "EUR", "HRB "), ("KZ", "{} LLP", "RUB", "BIN "),
    ("BY", "{} LLC", "RUB", "UNP "), ("CN", "{} Co., Ltd.", "USD", "USCC "),
    ("TR", "{} A.Ş.", "USD", "MERSIS "), ("AE", "{} FZE", "USD", "TL "),
    ("AM", "{} LLC", "RUB", "REG "),
)
# Landline numbers in each capital; six random digits follow (checked with phonenumbers).
_FOREIGN_PHONES = {
    "DE": "+49302{:06d}", "KZ": "+77272{:06d}", "BY": "+375172{:06d}", "CN": "+861052{:06d}",
    "TR": "+902122{:06d}", "AE": "+97142{:06d}", "AM": "+37410{:06d}",
}
# fmt: on
_RATES = {"RUB": 1.0, "EUR": 98.0, "USD": 90.0}
_CURRENCY = {country: currency for country, _p, currency, _r in _FOREIGN}
_MONTHLY = tuple(o.code for o in OFFERINGS if o.monthly)
_MARGINS = {o.code: o.margin for o in OFFERINGS}
_GROUP_ROLES = {"subsidiary": GroupRole.SUBSIDIARY, "branch": GroupRole.BRANCH}
_HEADCOUNT = {"micro": (1, 15), "small": (16, 100), "medium": (101, 250), "large": (251, 25000)}
_GROUP_FORMS = {LegalForm.OOO, LegalForm.AO, LegalForm.PAO, LegalForm.NAO}
_SUBSIDIARY_TAILS = ("Сервис", "Логистика", "Инжиниринг", "Трейд", "Регион", "Девелопмент")
_FLAT_FEE = {"internet", "vpn", "colocation", "support", "outsourcing"}  # round sums, in roubles

# fmt: off
_MALE_FIRST = (
    ("Александр", 9), ("Сергей", 9), ("Дмитрий", 8), ("Андрей", 8), ("Алексей", 8), ("Максим", 5),
    ("Евгений", 5), ("Иван", 5), ("Михаил", 5), ("Владимир", 5), ("Николай", 4), ("Игорь", 4),
    ("Павел", 4), ("Олег", 3), ("Роман", 3), ("Артём", 3), ("Денис", 3), ("Виктор", 3),
    ("Юрий", 3), ("Константин", 2), ("Вадим", 2), ("Антон", 2), ("Илья", 2), ("Кирилл", 2),
    ("Григорий", 1), ("Геннадий", 1), ("Валерий", 1), ("Станислав", 1), ("Тимур", 1),
    ("Руслан", 1), ("Анатолий", 1), ("Борис", 1), ("Василий", 1), ("Пётр", 1), ("Леонид", 1),
    ("Вячеслав", 1), ("Фёдор", 1), ("Георгий", 1), ("Эдуард", 0.5),
)
_FEMALE_FIRST = (
    ("Елена", 9), ("Ольга", 8), ("Наталья", 8), ("Татьяна", 7), ("Ирина", 7), ("Светлана", 6),
    ("Анна", 6), ("Марина", 5), ("Екатерина", 5), ("Юлия", 5), ("Мария", 4), ("Анастасия", 4),
    ("Людмила", 3), ("Галина", 2), ("Надежда", 3), ("Оксана", 2), ("Виктория", 2),
    ("Александра", 2), ("Дарья", 2), ("Ксения", 2), ("Валентина", 1), ("Лариса", 2),
    ("Евгения", 1), ("Вера", 1), ("Алина", 1), ("Полина", 1), ("Кристина", 1), ("Инна", 1),
)
# fmt: on
# Father's name → (son's patronymic, daughter's patronymic).
# fmt: off
_PATRONYMICS = (
    ("Александрович", "Александровна", 9), ("Сергеевич", "Сергеевна", 8),
    ("Владимирович", "Владимировна", 8), ("Николаевич", "Николаевна", 6),
    ("Викторович", "Викторовна", 6), ("Юрьевич", "Юрьевна", 5), ("Андреевич", "Андреевна", 5),
    ("Алексеевич", "Алексеевна", 5), ("Игоревич", "Игоревна", 4), ("Михайлович", "Михайловна", 5),
    ("Дмитриевич", "Дмитриевна", 4), ("Анатольевич", "Анатольевна", 4),
    ("Валерьевич", "Валерьевна", 4), ("Евгеньевич", "Евгеньевна", 4), ("Олегович", "Олеговна", 3),
    ("Геннадьевич", "Геннадьевна", 3), ("Васильевич", "Васильевна", 3),
    ("Петрович", "Петровна", 3), ("Иванович", "Ивановна", 4), ("Борисович", "Борисовна", 2),
    ("Павлович", "Павловна", 3), ("Леонидович", "Леонидовна", 2),
    ("Вячеславович", "Вячеславовна", 2), ("Григорьевич", "Григорьевна", 2),
    ("Константинович", "Константиновна", 2), ("Фёдорович", "Фёдоровна", 1),
    ("Романович", "Романовна", 1), ("Ильич", "Ильинична", 1), ("Кириллович", "Кирилловна", 1),
    ("Вадимович", "Вадимовна", 1),
)
# fmt: on


@dataclass(frozen=True)
class _Position:
    title: str
    department: str
    role: str
    weight: float
    female: float  # share of women in the job
    signatory: float = 0.0  # chance of signing under a power of attorney


_CEO = _Position("Генеральный директор", "", DecisionRole.DECISION_MAKER, 0, 0.2)
_DIRECTOR = _Position("Директор", "", DecisionRole.DECISION_MAKER, 0, 0.3)
_BRANCH_HEAD = _Position("Директор филиала", "", DecisionRole.SIGNATORY, 0, 0.25, 1.0)
_IP_OWNER = _Position("Индивидуальный предприниматель", "", DecisionRole.DECISION_MAKER, 0, 0.35)
_POSITIONS = (
    _Position("Главный бухгалтер", "Бухгалтерия", DecisionRole.ACCOUNTANT, 10, 0.85),
    _Position("Бухгалтер", "Бухгалтерия", DecisionRole.ACCOUNTANT, 5, 0.9),
    _Position("Финансовый директор", "Финансовая служба", DecisionRole.ECONOMIC_BUYER, 4, 0.45),
    _Position("Начальник отдела закупок", "Отдел закупок", DecisionRole.ECONOMIC_BUYER, 6, 0.5),
    _Position("Специалист по закупкам", "Отдел закупок", DecisionRole.USER, 3, 0.6),
    _Position("ИТ-директор", "ИТ-департамент", DecisionRole.TECHNICAL, 6, 0.1),
    _Position("Системный администратор", "Отдел ИТ", DecisionRole.TECHNICAL, 7, 0.05),
    _Position("Инженер связи", "Отдел ИТ", DecisionRole.USER, 2, 0.1),
    _Position("Юрисконсульт", "Юридический отдел", DecisionRole.LAWYER, 4, 0.6),
    _Position("Коммерческий директор", "", DecisionRole.DECISION_MAKER, 3, 0.3, 0.3),
    _Position("Заместитель генерального директора", "", DecisionRole.SIGNATORY, 3, 0.3, 0.8),
    _Position("Офис-менеджер", "Администрация", DecisionRole.USER, 5, 0.95),
    _Position("Начальник административно-хозяйственного отдела", "АХО", DecisionRole.USER, 2, 0.3),
    _Position(
        "Руководитель службы безопасности", "Служба безопасности", DecisionRole.TECHNICAL, 1, 0.05
    ),
    _Position("Менеджер по работе с поставщиками", "Отдел закупок", DecisionRole.OTHER, 2, 0.7),
)

_TRANSLIT = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
        " ": "-",
        "«": "",
        "»": "",
        '"': "",
        ".": "",
        ",": "",
        "+": "plus",
    }
)
# fmt: off
_PERSONAL_DOMAINS = (
    "mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru",
)
# fmt: on

# fmt: off
_SUBJECTS: dict[str, tuple[str, ...]] = {
    Channel.PHONE: (
        "Уточнение суммы счёта", "Жалоба на скорость доступа", "Запрос на расширение канала",
        "Продление договора", "Вопрос по акту сверки", "Обрыв связи в офисе",
        "Подключение нового офиса", "Вопрос по тарифу", "Знакомство, выявление потребностей",
    ),
    Channel.EMAIL: (
        "Коммерческое предложение", "Направлен счёт на оплату", "Запрос документов для тендера",
        "Согласование дополнительного соглашения", "Уведомление о плановых работах",
        "Запрос закрывающих документов", "Изменение реквизитов",
    ),
    Channel.MEETING: (
        "Встреча с ИТ-директором", "Квартальная встреча по SLA", "Презентация облачных услуг",
        "Переговоры о продлении договора", "Обсуждение проекта модернизации сети",
    ),
    Channel.VISIT: (
        "Подписание документов в клиентском центре", "Получение оборудования",
        "Замена маршрутизатора", "Сверка расчётов",
    ),
    Channel.PORTAL: (
        "Заявка через личный кабинет", "Изменение контактных данных",
        "Запрос закрывающих документов", "Заказ дополнительного IP-адреса",
    ),
    Channel.LETTER: (
        "Претензия по качеству услуг", "Гарантийное письмо об оплате", "Запрос акта сверки",
        "Уведомление о смене руководителя", "Письмо о расторжении договора",
    ),
    Channel.TRADE_FAIR: ("Встреча на выставке «Связь»", "Встреча на форуме ЦИПР"),
    Channel.SMS: ("Напоминание об оплате",),
}
_CHANNEL_WEIGHTS = (
    (Channel.PHONE, 32), (Channel.EMAIL, 30), (Channel.MEETING, 9), (Channel.VISIT, 7),
    (Channel.PORTAL, 12), (Channel.LETTER, 5), (Channel.TRADE_FAIR, 2), (Channel.SMS, 3),
)
_OUTCOMES = (
    "Вопрос решён", "Договорились о встрече", "Клиент думает",
    "Отправлено коммерческое предложение", "Передано в техническую поддержку",
    "Скидка согласована", "Отказ: дорого", "Счёт оплачен", "Документы подписаны",
    "Ждём ответа от юристов клиента", "",
)
_NEXT_STEPS = (
    "Перезвонить после согласования бюджета", "Подготовить коммерческое предложение",
    "Направить проект дополнительного соглашения", "Назначить встречу с ИТ-директором",
    "Проверить оплату счёта", "Провести выезд инженера",
)
_SUMMARIES = (
    "Клиент интересуется резервным каналом и облачным резервным копированием.",
    "Обсудили условия продления и возможную скидку за трёхлетний договор.",
    "Клиент недоволен временем реакции техподдержки, просит пересмотреть SLA.",
    "Уточнили состав услуг и реквизиты для выставления счетов.",
    "Клиент планирует переезд офиса, нужен перенос точки подключения.",
    "Обсудили пилотный проект видеонаблюдения на двух объектах.", "", "",
)
_TODOS = (
    (Todo.Kind.CALL_BACK, "Перезвонить по продлению договора"),
    (Todo.Kind.FOLLOW_UP, "Подготовить КП на облачное резервное копирование"),
    (Todo.Kind.FOLLOW_UP, "Отправить проект дополнительного соглашения"),
    (Todo.Kind.OTHER, "Согласовать график плановых работ"),
    (Todo.Kind.VERIFY, "Уточнить реквизиты и контакты"),
    (Todo.Kind.CALL_BACK, "Перезвонить главному бухгалтеру по акту сверки"),
)
_CONTRACT_TITLES = (
    "Договор на оказание услуг связи", "Договор на оказание ИТ-услуг",
    "Договор на техническое обслуживание", "Договор на оказание облачных услуг",
)
# fmt: on


@dataclass
class DemoStats:
    companies: int = 0
    contacts: int = 0
    contact_points: int = 0
    consents: int = 0
    contracts: int = 0
    revenue_rows: int = 0
    interactions: int = 0
    todos: int = 0
    seconds: float = 0.0
    company_seconds: float = 0.0  # generating and writing companies, contacts and their rows
    revenue_seconds: float = 0.0  # generating and writing contracts and revenue
    commit_seconds: float = 0.0  # committing the batches (with SQLite, WAL checkpoints too)
    index_seconds: float = 0.0  # rebuilding the search indexes after a large load

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class _Table:
    """An INSERT for the given columns; columns not given get the model field's default."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        concrete = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(concrete)
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        # An auto primary key left out is the database's to assign (PostgreSQL rejects NULL).
        rest = [f for name, f in concrete.items() if name not in columns and not f.primary_key]
        self.defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        names = [*columns, *(f.attname for f in rest)]
        cols = ", ".join(connection.ops.quote_name(str(concrete[n].column)) for n in names)
        marks = ", ".join(["%s"] * len(names))
        self.sql = (
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({cols}) "  # noqa: S608
            f"VALUES ({marks})"
        )
        self.rows: list[tuple[Any, ...]] = []

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)

    def flush(self, cursor: Any) -> int:
        if not self.rows:
            return 0
        extra = self.defaults
        rows = [r + extra for r in self.rows] if extra else self.rows
        cursor.executemany(self.sql, rows)
        count = len(self.rows)
        self.rows = []
        return count


class _Through:
    """Rows of an auto-created many-to-many table (two foreign keys)."""

    def __init__(self, m2m: Any) -> None:
        through = m2m.through
        fields = [f for f in through._meta.concrete_fields if f.name != "id"]
        self.table = _Table(through, [f.attname for f in fields])


@dataclass
class _CompanySpec:
    kind: str = "independent"  # independent, subsidiary, branch, twin
    parent: dict[str, Any] | None = None
    number: int = 0  # branch number within its parent


@dataclass
class _Lookups:
    industries: list[Industry]
    industry_by_code: dict[str, Industry]
    industry_weights: list[float]
    regions: list[tuple[RegionInfo, Region]]
    region_weights: list[float]
    region_by_code: dict[str, tuple[RegionInfo, Region]]
    offerings: dict[str, Offering]
    tags: dict[str, Tag]
    consent_texts: dict[str, int]
    managers: list[User]
    operators: list[User]


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


def _weighted(items: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values = [v for v, _w in items]
    total = 0.0
    cum = []
    for _v, w in items:
        total += w
        cum.append(total)
    return values, cum


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)


def _inn_offices(info: RegionInfo) -> int:
    """How many tax offices a region's INNs are spread over."""
    return {"77": 36, "78": 27, "50": 30}.get(info.code, max(2, min(20, int(info.weight * 4) + 2)))


class DemoGenerator:
    def __init__(
        self,
        *,
        seed: int,
        now: datetime.datetime | None = None,
        revenue: bool = True,
        batch_size: int = 2000,
        progress: bool = False,
    ) -> None:
        self.seed = seed
        # Naive UTC inside the generator; `_dt` turns it into what the database driver expects.
        self.now = (
            (now or timezone.now()).astimezone(datetime.UTC).replace(microsecond=0, tzinfo=None)
        )
        self.today = self.now.date()
        self.with_revenue = revenue
        self.batch_size = batch_size
        self.progress = progress
        self.stats = DemoStats()
        self.sqlite = connection.vendor == "sqlite"
        # Values as the driver takes them, converted once here rather than by adapters per row:
        # SQLite gets the text Django itself stores (naive UTC) and REALs for decimal columns
        # (which have NUMERIC affinity, so "12.50" would be stored as 12.5 anyway).
        self._dt: Callable[[datetime.datetime], Any]
        self._money: Callable[[float], Any]
        self._date: Callable[[datetime.date], Any]
        if self.sqlite:
            self._dt = _sqlite_datetime
            self._money = _round2
            self._date = datetime.date.isoformat
        else:
            self._dt = _aware
            self._money = _decimal
            self._date = _same

    # --- setup --------------------------------------------------------------------------
    def _load_lookups(self) -> _Lookups:
        ensure_reference_data()
        industries = list(Industry.objects.order_by("code"))
        by_code = {i.code: i for i in industries}
        weights = []
        per_section: dict[str, int] = {}
        for i in industries:
            per_section[i.section] = per_section.get(i.section, 0) + 1
        for i in industries:
            weights.append(_SECTION_WEIGHTS.get(i.section, 0.5) / per_section[i.section])
        regions_db = {r.code: r for r in Region.objects.all()}
        regions = [(info, regions_db[info.code]) for info in REGIONS if info.code in regions_db]
        users = {
            u.username: u for u in User.objects.filter(username__in=[*ACCOUNT_MANAGERS, *OPERATORS])
        }
        managers = [users[u] for u in ACCOUNT_MANAGERS if u in users] or list(
            User.objects.filter(kind=User.Kind.STAFF).order_by("id")[:3]
        )
        operators = [users[u] for u in OPERATORS if u in users] or managers
        return _Lookups(
            industries=industries,
            industry_by_code=by_code,
            industry_weights=_weighted(list(zip(industries, weights, strict=True)))[1],
            regions=regions,
            region_weights=_weighted([(r, r[0].weight) for r in regions])[1],
            region_by_code={info.code: (info, r) for info, r in regions},
            offerings={o.code: o for o in Offering.objects.all()},
            tags={t.name: t for t in Tag.objects.all()},
            consent_texts={
                t.purpose: t.pk
                for t in ConsentText.objects.filter(language="ru").order_by("effective_from", "id")
            },
            managers=managers,
            operators=operators,
        )

    def _next_ids(self, tables: Sequence[type[models.Model]]) -> dict[type[models.Model], int]:
        return {m: (m._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1 for m in tables}

    def _inn_counters(self) -> tuple[dict[str, int], dict[str, int]]:
        """Per region, how many organisation and sole-proprietor INNs demo runs have used."""
        companies: dict[str, int] = {}
        persons: dict[str, int] = {}
        rows = (
            Company.objects.exclude(region=None)
            .values("region__code", "legal_form")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            target = persons if row["legal_form"] == LegalForm.IP else companies
            code = row["region__code"]
            target[code] = target.get(code, 0) + row["n"]
        return companies, persons

    # --- the run ------------------------------------------------------------------------
    def run(self, companies: int) -> DemoStats:
        started = time.perf_counter()
        lk = self._load_lookups()
        existing = Company.objects.count()
        # A fresh database gives the stream of the seed; an appending run gets its own stream.
        # One random stream for everything, Faker's own, seeded per instance (never the global
        # `random`, which other code may draw from).
        self.fake = Faker("ru_RU")
        self.fake.seed_instance(f"clientdesk-demo:{self.seed}:{existing}")
        self.rng: random.Random = self.fake.random
        self._words()
        self.lk = lk
        self.inn_used, self.ip_used = self._inn_counters()
        self.ids = self._next_ids(
            [Company, Contact, ContactPoint, Consent, Contract, RevenueRecord, Interaction, Todo]
        )
        self.months = _month_starts(self.today, MONTHS)
        self.month_ends = [_month_end(m.year, m.month) for m in self.months]
        self.month_ends_db = [self._date(d) for d in self.month_ends]
        self.twin_rate = max(0.004, min(0.02, 3 / max(companies, 1)))
        self._tables()
        self.queue: deque[_CompanySpec] = deque()
        self.batch_companies: list[dict[str, Any]] = []
        self.completeness_cache: dict[tuple[bool, ...], int] = {}
        self.contact_cache: dict[tuple[bool, ...], int] = {}

        self.groups_made = self.twins_made = self.contact_twins_made = 0
        # Search indexes are cheaper rebuilt once than updated row by row by their triggers;
        # worth it when the load at least doubles the registry.
        rebuild = companies >= 10_000 and companies >= existing
        if rebuild:
            search.drop_search_indexes()
        try:
            self._loop(companies)
        finally:
            if rebuild:
                started_index = time.perf_counter()
                search.ensure_search_indexes(rebuild=True)
                self.stats.index_seconds = time.perf_counter() - started_index
        self._reset_sequences()
        self.stats.seconds = time.perf_counter() - started
        audit.record(
            actor=None,
            action="clients.demo_loaded",
            changes={
                "seed": self.seed,
                **{k: v for k, v in self.stats.as_dict().items() if isinstance(v, int)},
            },
        )
        return self.stats

    def _loop(self, companies: int) -> None:
        bar = tqdm(
            total=companies, unit="co", file=sys.stderr, disable=not self.progress, smoothing=0.1
        )
        made = 0
        while made < companies:
            spec = self.queue.popleft() if self.queue else _CompanySpec()
            self._company(spec)
            made += 1
            # A group or a twin waiting in the queue goes into the same batch as its parent.
            if len(self.batch_companies) >= self.batch_size and not self.queue:
                bar.update(self._flush())
        if self.batch_companies:
            bar.update(self._flush())
        bar.close()

    def _words(self) -> None:
        from faker.providers.address.ru_RU import Provider as Address
        from faker.providers.person.ru_RU import Provider as Person

        # Faker's ru_RU surname lists are the most common Russian surnames, paired by index.
        self.last_m: tuple[str, ...] = tuple(Person.last_names_male)
        self.last_f: tuple[str, ...] = tuple(Person.last_names_female)
        self.streets: tuple[str, ...] = tuple(Address.street_titles)
        self.first_m, self.first_m_cum = _weighted(_MALE_FIRST)
        self.first_f, self.first_f_cum = _weighted(_FEMALE_FIRST)
        patr, self.patr_cum = _weighted([((m, f), w) for m, f, w in _PATRONYMICS])
        self.patronymics: list[tuple[str, str]] = patr
        self.forms, self.forms_cum = _weighted(_LEGAL_FORMS)
        self.positions, self.positions_cum = _weighted([(p, p.weight) for p in _POSITIONS])
        self.channels, self.channels_cum = _weighted(_CHANNEL_WEIGHTS)

    def _tables(self) -> None:
        # Column order is the order of the tuples the generator builds.
        self.t_company = _Table(Company, _COMPANY_COLUMNS)
        self.t_contact = _Table(
            Contact,
            _columns(
                "id company_id last_name first_name patronymic gender position department "
                "decision_role power_of_attorney_number power_of_attorney_expires email phone "
                "preferred_channel language left_company left_at search_name completeness "
                "verified_at created_at updated_at"
            ),
        )
        self.t_point = _Table(ContactPoint, _columns("id contact_id kind value label is_primary"))
        self.t_consent = _Table(
            Consent,
            _columns(
                "id contact_id purpose channel text_id given_at source withdrawn_at "
                "withdrawal_source recorded_by_id"
            ),
        )
        self.t_contract = _Table(
            Contract,
            _columns(
                "id company_id number title signed_on starts_on ends_on value currency status"
            ),
        )
        self.t_contract_offerings = _Through(Contract.offerings).table
        self.t_company_tags = _Through(Company.tags).table
        self.t_revenue = _Table(
            RevenueRecord,
            _columns("id company_id date amount currency amount_base cost offering_id contract_id"),
        )
        self.t_interaction = _Table(
            Interaction,
            _columns(
                "id company_id contact_id channel direction occurred_at staff_id subject summary "
                "outcome next_step next_step_due created_at"
            ),
        )
        self.t_todo = _Table(
            Todo,
            _columns(
                "id company_id contact_id assignee_id kind title due_on done_at source created_at"
            ),
        )

    def _flush(self) -> int:
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            self.stats.companies += self.t_company.flush(cursor)
            self.stats.contacts += self.t_contact.flush(cursor)
            self.stats.contact_points += self.t_point.flush(cursor)
            self.stats.consents += self.t_consent.flush(cursor)
            self.t_company_tags.flush(cursor)
            self.stats.interactions += self.t_interaction.flush(cursor)
            self.stats.todos += self.t_todo.flush(cursor)
            t1 = time.perf_counter()
            self.stats.contracts += self.t_contract.flush(cursor)
            self.t_contract_offerings.flush(cursor)
            self.stats.revenue_rows += self.t_revenue.flush(cursor)
            t2 = time.perf_counter()
        self.stats.commit_seconds += time.perf_counter() - t2
        self.stats.company_seconds += (t1 - t0) + self.gen_company_seconds
        self.stats.revenue_seconds += (t2 - t1) + self.gen_revenue_seconds
        self.gen_company_seconds = self.gen_revenue_seconds = 0.0
        done = len(self.batch_companies)
        self.batch_companies = []
        return done

    gen_company_seconds = 0.0
    gen_revenue_seconds = 0.0

    def _reset_sequences(self) -> None:
        if self.sqlite:
            return  # AUTOINCREMENT follows explicit ids by itself.
        sql = connection.ops.sequence_reset_sql(
            no_style(),
            [Company, Contact, ContactPoint, Consent, Contract, RevenueRecord, Interaction, Todo],
        )
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)

    # --- helpers ------------------------------------------------------------------------
    def _id(self, model: type[models.Model]) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    def _pick(self, values: Sequence[Any], cum: Sequence[float]) -> Any:
        return self.rng.choices(values, cum_weights=cum)[0]

    def _moment(self, day: datetime.date) -> datetime.datetime:
        """A time in Moscow office hours on that day, as naive UTC."""
        seconds = self.rng.randrange(6 * 3600, 15 * 3600)  # 09:00–18:00 MSK
        return datetime.datetime(day.year, day.month, day.day) + datetime.timedelta(  # noqa: DTZ001
            seconds=seconds
        )

    def _days_ago(self, low: int, high: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def _landline(self, info: RegionInfo | None) -> str:
        rng = self.rng
        if info is None or not info.phone_prefix:
            return self._mobile()
        prefix = info.phone_prefix
        if info.code == "77" and rng.random() < 0.35:
            prefix = "499"
        return f"+7{prefix}{rng.randrange(2000000, 9999999)}"

    def _mobile(self) -> str:
        rnd = self.rng.random
        return f"+79{int(10 + 90 * rnd())}{int(1_000_000 + 9_000_000 * rnd())}"

    def _address(self, info: RegionInfo) -> str:
        rng = self.rng
        postcode = f"{info.postcode}{rng.randrange(0, 999):03d}"
        place = (
            f"г. {info.city}" if info.code in {"77", "78", "92"} else f"{info.name}, г. {info.city}"
        )
        street = rng.choice(self.streets)
        house = rng.randint(1, 160)
        building = f", стр. {rng.randint(1, 9)}" if rng.random() < 0.2 else ""
        room = rng.choice(("офис", "пом.", "кв. (офис)")) if rng.random() < 0.7 else ""
        tail = f", {room} {rng.randint(1, 450)}" if room else ""
        return f"{postcode}, {place}, ул. {street}, д. {house}{building}{tail}"

    def _person(self, female: float) -> tuple[str, str, str, str]:
        rng = self.rng
        i = rng.randrange(len(self.last_m))
        patr = self._pick(self.patronymics, self.patr_cum)
        if rng.random() < female:
            return self.last_f[i], self._pick(self.first_f, self.first_f_cum), patr[1], "f"
        return self.last_m[i], self._pick(self.first_m, self.first_m_cum), patr[0], "m"

    # --- companies ----------------------------------------------------------------------
    def _inn(self, info: RegionInfo, *, person: bool) -> tuple[str, str, str]:
        """A valid, unused INN and matching OGRN(IP) in the region; returns (inn, ogrn, office)."""
        rng = self.rng
        used = self.ip_used if person else self.inn_used
        n = used.get(info.code, 0)
        used[info.code] = n + 1
        offices = _inn_offices(info)
        office = f"{info.code}{n % offices + 1:02d}"
        # 7919 is prime to 10^5 and 10^6: distinct counters give distinct serials; the offset
        # keeps regions from starting on the same number.
        shift = int(info.code) * 35_671 + n % offices * 3_331
        year = f"{rng.randint(2, 25):02d}"
        if person:
            serial = (n // offices * 7919 + shift) % 1_000_000
            body = f"{office}{serial:06d}"
            inn = body + inn_std.calc_personal_check_digits(body)
            while True:
                ogrn = f"3{year}{info.code}{office[2:]}{serial:06d}{rng.randrange(10)}"
                check = ogrn_std.calc_check_digit(ogrn + "0")
                if len(check) == 1:  # a remainder of 10–12 has no valid OGRNIP
                    return inn, ogrn + check, office
        serial = (n // offices * 7919 + shift) % 100_000
        body = f"{office}{serial:05d}"
        inn = body + inn_std.calc_company_check_digit(body)
        ogrn = f"{rng.choice('15')}{year}{info.code}{office[2:]}{serial:05d}"
        return inn, ogrn + ogrn_std.calc_check_digit(ogrn + "0"), office

    def _adjective(self, gender: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.55:
            stem, masculine = rng.choice(_ADJ_HARD), "ый"
        elif roll < 0.85:
            stem, masculine = rng.choice(_ADJ_SOFT), "ий"
        else:
            stem, masculine = rng.choice(_ADJ_STRESSED), "ой"
        return stem + {"m": masculine, "f": "ая", "n": "ое"}[gender]

    def _name(self, form: str, industry: Industry, info: RegionInfo | None) -> str:
        rng = self.rng
        if form in _PUBLIC_NAMES:
            name = rng.choice(_PUBLIC_NAMES[form])
            return f"{name} {info.city}" if info and rng.random() < 0.5 else name
        roll = rng.random()
        if roll < 0.33:
            noun, gender = rng.choice(_NOUNS)
            if gender == "x":  # "Торговый дом" is already an adjective and a noun
                return f"Торговый дом {rng.choice(_PROPER)}"
            name = f"{self._adjective(gender)} {noun}"
        elif roll < 0.66:
            prefix, root = rng.choice(_PREFIXES), rng.choice(_ROOTS)
            name = prefix + root if rng.random() < 0.5 else prefix + root.lower()
            if rng.random() < 0.45:
                tail = (
                    info.city
                    if info and rng.random() < 0.5 and " " not in info.city
                    else rng.choice(_SUFFIXES)
                )
                name = f"{name}-{tail}"
        elif roll < 0.95:
            kinds = _KIND_BY_SECTION.get(industry.section, ("Компания", "Группа компаний"))
            name = f"{rng.choice(kinds)} {rng.choice(_PROPER)}"
        else:
            name = rng.choice(_LATIN)
        if rng.random() < 0.12:
            name = f"{name} {rng.choice(('Плюс', 'М', '2000', 'Групп', 'Холдинг', 'Про'))}"
        return name[0].upper() + name[1:]

    def _domain(self, short: str) -> str:
        rng = self.rng
        base = short.lower().translate(_TRANSLIT)
        base = "".join(ch for ch in base if ch.isascii() and (ch.isalnum() or ch == "-")).strip("-")
        base = base.replace("--", "-") or "company"
        return f"{base}{rng.choice(('.ru', '.ru', '.ru', '.com', '.su', '.net'))}"

    def _company(self, spec: _CompanySpec) -> None:
        t0 = time.perf_counter()
        rng = self.rng
        parent = spec.parent
        cid = self._id(Company)
        if spec.kind == "twin":
            self._twin(cid, spec)
            self.gen_company_seconds += time.perf_counter() - t0
            return
        form, info, region, industry = self._kind_and_place(spec)
        band, employees, turnover, size_band = self._size(form, spec)
        row = self._identity(spec, form, info, industry)
        if row["country"] != "RU":
            size_band = ""
        if spec.kind == "branch":
            employees = max(3, employees // 10)
        domain = parent["domain"] if spec.kind == "branch" and parent else row["domain"]
        status, pattern = self._status(spec)
        manager = parent["manager"] if parent else rng.choice(self.lk.managers)
        if rng.random() < 0.04:
            manager = None  # nobody took it over yet: shows on the quality page
        legal_address = self._address(info) if info else f"{rng.randint(1, 200)} Main Street"
        created = self.now - datetime.timedelta(
            days=rng.randint(30, 1400), seconds=rng.randrange(86400)
        )
        verified = None
        if rng.random() < 0.85:  # spread over two years: some are stale, some never checked
            verified = self.now - datetime.timedelta(
                days=rng.randint(0, 730), seconds=rng.randrange(86400)
            )
            verified = max(verified, created)
        if info:
            phone = self._landline(info)
        else:
            phone = _FOREIGN_PHONES[row["country"]].format(rng.randrange(10**5, 10**6))
        email = f"{rng.choice(('info', 'office', 'mail', 'secretary', 'zakaz'))}@{domain}"
        row.update(
            id=cid,
            legal_form=form,
            industry_id=industry.pk,
            region_id=region.pk if region else None,
            employees=employees if employees else None,
            annual_revenue=Decimal(int(turnover)) if turnover and info else None,
            size_band=size_band,
            legal_address=legal_address if rng.random() < 0.95 else "",
            postal_address=legal_address if rng.random() < 0.6 else "",
            office_address=self._address(info) if info and rng.random() < 0.3 else "",
            website=f"https://{domain}/" if rng.random() < 0.7 else "",
            email=email if rng.random() < 0.85 else "",
            phone=phone if rng.random() < 0.92 else "",
            status=status,
            account_manager_id=manager.pk if manager else None,
            parent_id=parent["id"] if parent else None,
            group_role=_GROUP_ROLES.get(spec.kind, ""),
            search_name=normalise_name(row["legal_name"]),
            completeness=0,
            verified_at=verified,
            created_at=created,
            updated_at=max(created, verified or created),
            # Kept for children and twins; not columns.
            industry=industry,
            region_code=info.code if info else "",
            domain=domain,
            manager=manager,
            pattern=pattern,
            band=band,
        )
        self._store_company(row)
        self.gen_company_seconds += time.perf_counter() - t0
        contacts = self._contacts(row, spec)
        t1 = time.perf_counter()
        if self.with_revenue and pattern:
            self._revenue(row, pattern, employees or 5)
        self.gen_revenue_seconds += time.perf_counter() - t1
        t2 = time.perf_counter()
        self._interactions(row, contacts)
        self._extras(row, contacts)
        self._relatives(row, spec)
        self.gen_company_seconds += time.perf_counter() - t2

    def _kind_and_place(
        self, spec: _CompanySpec
    ) -> tuple[str, RegionInfo | None, Region | None, Industry]:
        rng = self.rng
        lk = self.lk
        parent = spec.parent
        if spec.kind == "branch" and parent:
            form = parent["legal_form"]
        elif spec.kind == "subsidiary":
            form = rng.choice((LegalForm.OOO, LegalForm.OOO, LegalForm.AO))
        else:
            form = self._pick(self.forms, self.forms_cum)
        info: RegionInfo | None = None
        region: Region | None = None
        if form == LegalForm.FOREIGN:
            pass
        elif spec.kind == "subsidiary" and parent and rng.random() < 0.5:
            info, region = lk.region_by_code[parent["region_code"]]
        else:
            info, region = self._pick(lk.regions, lk.region_weights)
        if spec.kind == "branch" and parent:
            industry = parent["industry"]
        elif form in _PUBLIC_INDUSTRIES:
            code = rng.choice(_PUBLIC_INDUSTRIES[form])
            industry = lk.industry_by_code.get(code) or lk.industries[0]
        else:
            industry = self._pick(lk.industries, lk.industry_weights)
        return form, info, region, industry

    def _size(self, form: str, spec: _CompanySpec) -> tuple[str, int, float, str]:
        """Headcount and turnover (0 when unknown) and the 209-FZ band they give."""
        rng = self.rng
        if form == LegalForm.IP:
            band = "micro" if rng.random() < 0.93 else "small"
        elif spec.kind == "subsidiary":
            band = rng.choice(("small", "medium", "medium", "large"))
        else:
            band = self._pick(("micro", "small", "medium", "large"), (50, 78, 90, 100))
        low, high = _HEADCOUNT[band]
        employees = int(math.exp(rng.uniform(math.log(low), math.log(high + 1))))
        employees = min(max(employees, low), high)
        turnover = round(employees * rng.lognormvariate(math.log(4_500_000), 0.7), -3)
        known_staff = rng.random() < 0.85
        known_money = rng.random() < 0.75
        if not known_staff and not known_money:
            return band, 0, 0.0, ""
        if not known_staff:
            employees = 0
        if not known_money:
            turnover = 0.0
        return band, employees, turnover, _size_band(employees, turnover)

    def _identity(
        self, spec: _CompanySpec, form: str, info: RegionInfo | None, industry: Industry
    ) -> dict[str, Any]:
        """Names, INN, KPP and OGRN (or a foreign registration) of a new company."""
        rng = self.rng
        parent = spec.parent
        out: dict[str, Any] = {
            "inn": "", "kpp": "", "ogrn": "", "foreign_registration_number": "",
            "vat_number": "", "country": "RU", "ipname": None,
        }  # fmt: skip
        if info is None:
            country, name_pattern, _currency, reg_prefix = rng.choice(_FOREIGN)
            short = name_pattern.format(rng.choice(_LATIN))
            out.update(
                country=country,
                legal_name=short,
                short_name=short,
                foreign_registration_number=f"{reg_prefix}{rng.randrange(10**7, 10**9)}",
                vat_number=f"{country}{rng.randrange(10**8, 10**9)}" if country == "DE" else "",
                domain=self._domain(short),
            )
        elif spec.kind == "branch" and parent:
            office = f"{info.code}{rng.randint(1, _inn_offices(info)):02d}"
            out.update(
                legal_name=f"Филиал {parent['legal_name']} в г. {info.city}",
                short_name=f"{parent['short_name']} (филиал, {info.city})",
                inn=parent["inn"],
                ogrn=parent["ogrn"],
                # A branch is registered where it works: its own office, reason code 43.
                kpp=f"{office}43{spec.number:03d}",
                domain=parent["domain"],
            )
        elif form == LegalForm.IP:
            ipname = self._person(0.35)
            last, first, patr, _g = ipname
            inn, ogrn, _office = self._inn(info, person=True)
            out.update(
                legal_name=f"ИП {last} {first} {patr}",
                short_name=f"ИП {last} {first[0]}. {patr[0]}.",
                inn=inn,
                ogrn=ogrn,
                ipname=ipname,
                domain=self._domain(last),
            )
        else:
            if spec.kind == "subsidiary" and parent:
                # Each subsidiary of a group gets its own tail, so that their names differ.
                tails = parent.setdefault("tails", [info.city, *_SUBSIDIARY_TAILS])
                tail = tails.pop(rng.randrange(len(tails))) if tails else str(spec.number)
                short = f"{parent['short_name']}-{tail}"
            else:
                short = self._name(form, industry, info)
            inn, ogrn, office = self._inn(info, person=False)
            out.update(
                legal_name=f"{form} «{short}»",
                short_name=short,
                inn=inn,
                ogrn=ogrn,
                kpp=f"{office}01001",
                domain=self._domain(short),
            )
        return out

    def _store_company(self, row: dict[str, Any]) -> None:
        values = [row[c] for c in _COMPANY_COLUMNS]
        key = tuple(v is not None and v != "" for v in values)
        percent = self.completeness_cache.get(key)
        if percent is None:
            # The score depends only on which fields are filled: one call per pattern, not per row.
            percent = company_completeness(
                Company(**dict(zip(_COMPANY_COLUMNS, values, strict=True)))
            )[0]
            self.completeness_cache[key] = percent
        row["completeness"] = values[_COMPLETENESS] = percent
        for i in _COMPANY_DATETIMES:
            if values[i] is not None:
                values[i] = self._dt(values[i])
        self.t_company.add(tuple(values))
        self.batch_companies.append({"id": row["id"]})

    def _status(self, spec: _CompanySpec) -> tuple[str, str]:
        """The company's status and the shape of its revenue over the last 24 months."""
        rng = self.rng
        if spec.kind == "twin":
            return CompanyStatus.PROSPECT, ""
        roll = rng.random()
        if roll < 0.15:
            return CompanyStatus.PROSPECT, ""
        if roll < 0.25:
            return CompanyStatus.DORMANT, "dormant"
        if roll < 0.34:
            return CompanyStatus.LOST, "lost"
        shapes = (
            ("stable", 30),
            ("growing", 15),
            ("declining", 13),
            ("seasonal", 13),
            ("erratic", 12),
            ("new", 10),
        )
        return CompanyStatus.ACTIVE, self._pick(*_weighted(shapes))

    def _twin(self, cid: int, spec: _CompanySpec) -> None:
        """The same company typed in again by someone else: the duplicate finder's work."""
        rng = self.rng
        orig = spec.parent
        assert orig is not None
        short = orig["short_name"]
        form = orig["legal_form"]
        variant = rng.randrange(4)
        if form == LegalForm.IP:
            full = orig["legal_name"].removeprefix("ИП ")
            legal = (
                f"Индивидуальный предприниматель {full}"
                if variant < 2
                else f"ИП {full.replace('ё', 'е')}"
            )
        elif form == LegalForm.FOREIGN:
            legal = short = short.upper() if variant < 2 else short.replace(",", "")
        elif variant == 0:
            legal = f'{form} "{short}"'
        elif variant == 1 and form == LegalForm.OOO:
            legal = f"Общество с ограниченной ответственностью «{short}»"
        elif variant == 2 and len(short) > 5:
            # Two neighbouring letters swapped (never a space or hyphen: that reads as a bug).
            i = rng.randrange(1, len(short) - 2)
            if short[i].isalpha() and short[i + 1].isalpha():
                short = short[:i] + short[i + 1] + short[i] + short[i + 2 :]
            else:
                short = short[:i] + short[i + 1 :]
            legal = f"{form} «{short}»"
        else:
            legal = f"{form}  «{short.upper()}»"
        same_inn = orig["legal_form"] != LegalForm.IP and rng.random() < 0.6
        row = dict(orig)
        created = self.now - datetime.timedelta(days=rng.randint(1, 300))
        row.update(
            id=cid,
            legal_name=legal,
            short_name=short,
            inn=orig["inn"] if same_inn else "",
            kpp="",
            ogrn="",
            status=CompanyStatus.PROSPECT,
            parent_id=None,
            group_role="",
            search_name=normalise_name(legal),
            legal_address="",
            postal_address="",
            office_address="",
            website="",
            employees=None,
            annual_revenue=None,
            size_band="",
            verified_at=None,
            created_at=created,
            updated_at=created,
            account_manager_id=rng.choice(self.lk.managers).pk if rng.random() < 0.5 else None,
        )
        self._store_company(row)
        first = orig.get("first_contact")
        if first:
            self._contact_row(row, first, created=created)

    # --- contacts -----------------------------------------------------------------------
    def _contacts(self, company: dict[str, Any], spec: _CompanySpec) -> list[dict[str, Any]]:
        rng = self.rng
        form = company["legal_form"]
        count = {"micro": (1, 2), "small": (1, 3), "medium": (2, 5), "large": (3, 6)}[
            company["band"]
        ]
        n = rng.randint(*count)
        if spec.kind == "branch":
            n = rng.randint(1, 2)
            head = _BRANCH_HEAD
        elif form == LegalForm.IP:
            head = _IP_OWNER
        elif form in {LegalForm.GUP, LegalForm.MUP, LegalForm.FGBU, LegalForm.ANO}:
            head = _DIRECTOR
        else:
            head = _CEO
        chosen = [head]
        seen = {head.title}
        while len(chosen) < n:
            pos = self._pick(self.positions, self.positions_cum)
            if pos.title in seen:
                if rng.random() < 0.7:
                    continue
                n -= 1  # a small firm has no one else
                continue
            seen.add(pos.title)
            chosen.append(pos)
        people = []
        created = company["created_at"]
        for pos in chosen:
            if pos is _IP_OWNER and company["ipname"]:
                last, first, patr, gender = company["ipname"]
            else:
                last, first, patr, gender = self._person(pos.female)
            person = {"last": last, "first": first, "patr": patr, "gender": gender, "pos": pos}
            people.append(self._contact_row(company, person, created=created))
        company["first_contact"] = people[0]["person"] if people else None
        if len(people) >= 2 and (rng.random() < self.twin_rate * 2 or not self.contact_twins_made):
            self.contact_twins_made += 1
            twin = dict(people[-1]["person"])
            twin["patr"] = "" if rng.random() < 0.5 else twin["patr"]
            twin["first"] = twin["first"].replace("ё", "е")
            twin["last"] = twin["last"].replace("ё", "е")
            twin["same_points"] = people[-1]
            self._contact_row(
                company, twin, created=created + datetime.timedelta(days=rng.randint(1, 200))
            )
        return people

    def _contact_row(
        self, company: dict[str, Any], person: dict[str, Any], *, created: datetime.datetime
    ) -> dict[str, Any]:
        rng = self.rng
        pos: _Position = person["pos"]
        kid = self._id(Contact)
        same = person.get("same_points")
        if same:
            email, phone, work_phone = same["email"], same["phone"], ""
        else:
            initial = person["first"][0].lower().translate(_TRANSLIT)
            local = f"{initial}.{person['last'].lower().translate(_TRANSLIT)}"
            if rng.random() < 0.1:
                email = (
                    f"{local.replace('.', '_')}{rng.randint(1, 99)}@{rng.choice(_PERSONAL_DOMAINS)}"
                )
            else:
                email = f"{local}@{company['domain']}"
            email = email if rng.random() < 0.9 else ""
            phone = self._mobile() if rng.random() < 0.85 else ""
            work_phone = company["phone"] if company["phone"] and rng.random() < 0.3 else ""
        poa_number = ""
        poa_expires = None
        role = pos.role
        if pos.signatory and rng.random() < pos.signatory:
            role = DecisionRole.SIGNATORY
            poa_number = (
                f"{rng.randint(1, 250)}/{self.today.year % 100 - rng.randint(0, 2):02d}"
                if rng.random() < 0.7
                else f"{company['region_code'] or '77'} АА {rng.randrange(10**6, 10**7)}"
            )
            poa_expires = self.today + datetime.timedelta(days=rng.randint(-90, 730))
        if rng.random() < 0.05:
            role = ""
        left = rng.random() < 0.05
        left_at = max(self._days_ago(10, 500), created.date()) if left else None
        verified = company["verified_at"] if rng.random() < 0.7 else None
        channel = rng.choice(
            (Channel.EMAIL, Channel.EMAIL, Channel.PHONE, Channel.PHONE, Channel.PORTAL, "")
        )
        language = "en" if company["country"] not in {"RU", "BY", "KZ"} else "ru"
        values = {
            "position": pos.title,
            "decision_role": role,
            "phone": phone,
            "email": email,
            "department": pos.department,
            "last_name": person["last"],
            "first_name": person["first"],
            "patronymic": person["patr"],
        }
        key = tuple(bool(v) for v in values.values())
        percent = self.contact_cache.get(key)
        if percent is None:
            percent = contact_completeness(Contact(**values))[0]
            self.contact_cache[key] = percent
        full = " ".join(p for p in (person["last"], person["first"], person["patr"]) if p)
        self.t_contact.add(
            (
                kid,
                company["id"],
                person["last"],
                person["first"],
                person["patr"],
                person["gender"],
                pos.title,
                pos.department,
                role,
                poa_number,
                poa_expires,
                email,
                phone,
                channel,
                language,
                left,
                left_at,
                normalise_name(full),
                percent,
                self._dt(verified) if verified else None,
                self._dt(created),
                self._dt(created),
            )
        )
        if phone:
            self.t_point.add((self._id(ContactPoint), kid, "phone", phone, "мобильный", True))
        if work_phone and work_phone != phone:
            self.t_point.add((self._id(ContactPoint), kid, "phone", work_phone, "рабочий", False))
        if email:
            self.t_point.add((self._id(ContactPoint), kid, "email", email, "рабочий", True))
        self._consents(kid, created, left_at)
        return {"id": kid, "person": person, "email": email, "phone": phone, "left": left}

    def _consents(
        self, kid: int, created: datetime.datetime, left_at: datetime.date | None
    ) -> None:
        rng = self.rng
        texts = self.lk.consent_texts
        for purpose, share, withdraw in (
            (ConsentPurpose.SERVICE, 0.88, 0.03),
            (ConsentPurpose.MARKETING, 0.38, 0.18),
            (ConsentPurpose.SURVEYS, 0.3, 0.1),
            (ConsentPurpose.ANALYTICS, 0.15, 0.08),
        ):
            if rng.random() >= share:
                continue
            given = created + datetime.timedelta(
                days=rng.randint(0, 60), seconds=rng.randrange(86400)
            )
            given = min(given, self.now - datetime.timedelta(days=1))
            source = (
                Consent.Source.CONTRACT
                if purpose == ConsentPurpose.SERVICE
                else rng.choice(
                    (
                        Consent.Source.PORTAL,
                        Consent.Source.EMAIL,
                        Consent.Source.PAPER,
                        Consent.Source.PHONE,
                    )
                )
            )
            withdrawn = None
            wsource = ""
            if rng.random() < withdraw or (left_at and purpose == ConsentPurpose.MARKETING):
                span = max(1, (self.now - given).days)
                withdrawn = min(
                    self.now,
                    given
                    + datetime.timedelta(days=rng.randint(1, span), seconds=rng.randrange(3600)),
                )
                wsource = rng.choice(
                    (Consent.Source.EMAIL, Consent.Source.PORTAL, Consent.Source.PAPER)
                )
            recorder = rng.choice(self.lk.managers).pk if source in {"paper", "phone"} else None
            channel = (
                Channel.EMAIL if purpose == ConsentPurpose.MARKETING and rng.random() < 0.4 else ""
            )
            self.t_consent.add(
                (
                    self._id(Consent),
                    kid,
                    purpose,
                    channel,
                    texts.get(purpose),
                    self._dt(given),
                    source,
                    self._dt(withdrawn) if withdrawn else None,
                    wsource,
                    recorder,
                )
            )

    # --- revenue ------------------------------------------------------------------------
    def _revenue(self, company: dict[str, Any], pattern: str, employees: int) -> None:
        rng = self.rng
        # Heavy-tailed: bigger clients buy more, and a Pareto factor makes a few of them giants.
        base = 3500 * employees**0.72 * rng.lognormvariate(0, 0.5) * min(rng.paretovariate(1.6), 25)
        base = min(base, 60_000_000)
        if company["group_role"] == GroupRole.BRANCH:
            base *= 0.4
        factors = _shape(rng, pattern, self.months)
        currency = _CURRENCY.get(company["country"], "RUB")
        main = rng.choice(_MONTHLY[:5]) if rng.random() < 0.7 else rng.choice(_MONTHLY)
        streams = [(main, 1.0)]
        if rng.random() < 0.45:
            second = rng.choice([c for c in _MONTHLY if c != main])
            streams.append((second, rng.uniform(0.15, 0.6)))
        contract_of = self._contracts(company, pattern, factors, streams, base, currency)
        self._revenue_rows(company["id"], factors, streams, contract_of, base, currency)

    def _contracts(
        self,
        company: dict[str, Any],
        pattern: str,
        factors: list[float],
        streams: list[tuple[str, float]],
        base: float,
        currency: str,
    ) -> dict[str, int]:
        """The main contract and, now and then, a supplementary agreement for a second service."""
        rng = self.rng
        offerings = self.lk.offerings
        first_month = next((i for i, f in enumerate(factors) if f > 0), 0)
        signed = self.months[first_month] - datetime.timedelta(days=rng.randint(5, 400))
        ended = None
        if pattern in {"dormant", "lost"}:
            last = max((i for i, f in enumerate(factors) if f > 0), default=0)
            ended = self.month_ends[last]
        status = Contract.Status.ACTIVE
        if pattern == "lost":
            status = Contract.Status.TERMINATED
        elif pattern == "dormant" and rng.random() < 0.5:
            status = Contract.Status.EXPIRED
        separate = len(streams) > 1 and rng.random() < 0.4
        cid = self._id(Contract)
        number = f"{rng.choice(('ТС', 'ДУ', 'КД', 'ИТ'))}-{signed.year}/{cid % 100000:05d}"
        annual = Decimal(int(base * 12 * (1 + (len(streams) - 1) * 0.3)))
        starts = signed + datetime.timedelta(days=rng.randint(0, 14))
        title = rng.choice(_CONTRACT_TITLES)
        self.t_contract.add(
            (cid, company["id"], number, title, signed, starts, ended, annual, currency, status)
        )
        contract_of = {}
        for k, (code, _share) in enumerate(streams):
            if k and separate:
                extra = self._id(Contract)
                signed2 = signed + datetime.timedelta(days=rng.randint(30, 500))
                title2 = f"Дополнительное соглашение: {offerings[code].name}"
                number2 = f"{number}-ДС{k}"
                self.t_contract.add(
                    (extra, company["id"], number2, title2, signed2, signed2, ended, None,
                     currency, status)
                )  # fmt: skip
                contract_of[code] = extra
            else:
                contract_of[code] = cid
            self.t_contract_offerings.add((contract_of[code], offerings[code].pk))
        return contract_of

    def _revenue_rows(
        self,
        company_id: int,
        factors: list[float],
        streams: list[tuple[str, float]],
        contract_of: dict[str, int],
        base: float,
        currency: str,
    ) -> None:
        rng = self.rng
        rnd = rng.random  # in the innermost loop: uniform() costs twice as much
        money = self._money
        rate = _RATES[currency]
        rows = self.t_revenue.rows
        next_id = self.ids[RevenueRecord]
        offerings = self.lk.offerings
        start = rng.randrange(0, len(factors))  # when the second service was added
        for k, (code, share) in enumerate(streams):
            offering_id = offerings[code].pk
            contract_id = contract_of[code]
            cost_share = 1 - _MARGINS[code]
            round_to = -2 if code in _FLAT_FEE else 0
            for i, f in enumerate(factors):
                if f <= 0 or (k and i < start):
                    continue
                amount = round(base * share * f * (0.97 + 0.06 * rnd()), round_to)
                if amount < 100:
                    continue
                cost = amount * cost_share * (0.85 + 0.3 * rnd())
                rows.append(
                    (next_id, company_id, self.month_ends_db[i], money(amount), currency,
                     money(amount * rate), money(cost * rate), offering_id, contract_id)
                )  # fmt: skip
                next_id += 1
        active = [i for i, f in enumerate(factors) if f > 0]
        main = streams[0][0]
        # One-off projects and refunds (credit notes) now and then.
        extras: list[tuple[float, float, str]] = []
        if active and rng.random() < 0.12:
            amount = round(base * rng.uniform(1, 6), -3)
            extras.append((amount, amount * 0.8, "cabling"))
        if active and rng.random() < 0.07:
            extras.append((-round(base * rng.uniform(0.1, 0.9), 0), 0.0, main))
        for amount, cost, code in extras:
            i = rng.choice(active)
            day = self._date(self.months[i] + datetime.timedelta(days=rng.randint(0, 27)))
            rows.append(
                (next_id, company_id, day, money(amount), currency, money(amount * rate),
                 money(cost * rate), offerings[code].pk, contract_of.get(code, contract_of[main]))
            )  # fmt: skip
            next_id += 1
        self.ids[RevenueRecord] = next_id

    # --- timeline, to-dos, tags, groups, twins -------------------------------------------
    def _interactions(self, company: dict[str, Any], contacts: list[dict[str, Any]]) -> None:
        rng = self.rng
        status = company["status"]
        n = {
            CompanyStatus.PROSPECT: rng.randint(0, 3),
            CompanyStatus.ACTIVE: min(int(rng.expovariate(1 / 4)) + 1, 25),
            CompanyStatus.DORMANT: rng.randint(0, 3),
            CompanyStatus.LOST: rng.randint(0, 2),
        }[status]
        if not contacts:
            return
        horizon = 180 if status == CompanyStatus.PROSPECT else 730
        oldest = 240 if status in {CompanyStatus.DORMANT, CompanyStatus.LOST} else 0
        manager = company["account_manager_id"]
        for _ in range(n):
            channel = self._pick(self.channels, self.channels_cum)
            day = (
                self._days_ago(oldest, horizon) if oldest < horizon else self._days_ago(0, horizon)
            )
            when = min(self._moment(day), self.now)
            staff: int | None = manager
            if channel in {Channel.VISIT, Channel.PHONE} and rng.random() < 0.5:
                staff = rng.choice(self.lk.operators).pk
            direction = (
                "out"
                if channel in {Channel.MEETING, Channel.TRADE_FAIR, Channel.SMS}
                else "in"
                if channel in {Channel.VISIT, Channel.PORTAL, Channel.LETTER}
                else rng.choice(("in", "out"))
            )
            contact = rng.choice(contacts)["id"] if rng.random() < 0.9 else None
            next_step = ""
            due = None
            if rng.random() < 0.25:
                next_step = rng.choice(_NEXT_STEPS)
                due = day + datetime.timedelta(days=rng.randint(1, 21))
            self.t_interaction.add(
                (
                    self._id(Interaction),
                    company["id"],
                    contact,
                    channel,
                    direction,
                    self._dt(when),
                    staff,
                    rng.choice(_SUBJECTS[channel]),
                    rng.choice(_SUMMARIES),
                    rng.choice(_OUTCOMES),
                    next_step,
                    due,
                    self._dt(when),
                )
            )

    def _extras(self, company: dict[str, Any], contacts: list[dict[str, Any]]) -> None:
        rng = self.rng
        lk = self.lk
        cid = company["id"]
        if rng.random() < 0.03:
            kind, title = rng.choice(_TODOS)
            done = (
                self._dt(self.now - datetime.timedelta(days=rng.randint(0, 20)))
                if rng.random() < 0.3
                else None
            )
            self.t_todo.add(
                (
                    self._id(Todo),
                    cid,
                    contacts[0]["id"] if contacts else None,
                    company["account_manager_id"],
                    kind,
                    title,
                    self.today + datetime.timedelta(days=rng.randint(-10, 30)),
                    done,
                    "demo",
                    self._dt(self.now - datetime.timedelta(days=rng.randint(1, 40))),
                )
            )
        tags: set[str] = set()
        if company["legal_form"] in {LegalForm.GUP, LegalForm.MUP, LegalForm.FGBU}:
            tags.add("Госзаказчик")
        if (
            company["band"] == "large"
            and company["status"] == CompanyStatus.ACTIVE
            and rng.random() < 0.5
        ):
            tags.add("Ключевой клиент")
        if company["pattern"] == "declining" and rng.random() < 0.4:
            tags.add("Риск оттока")
        if rng.random() < 0.08:
            tags.add(rng.choice(list(lk.tags)))
        for name in sorted(tags):
            if name in lk.tags:
                self.t_company_tags.add((cid, lk.tags[name].pk))

    def _relatives(self, company: dict[str, Any], spec: _CompanySpec) -> None:
        """Queues a group's members or a twin; the queue is drained before any new company."""
        rng = self.rng
        # Groups and twins are generated right after their parent or original. The first
        # eligible company always gets one, so that even a small demo has something to show.
        if spec.kind != "independent":
            return
        if company["legal_form"] not in {LegalForm.IP, LegalForm.FOREIGN}:
            if (
                company["legal_form"] in _GROUP_FORMS
                and company["band"] in {"medium", "large"}
                and (rng.random() < 0.08 or not self.groups_made)
            ):
                self._group(company)
                return
            if rng.random() < self.twin_rate or not self.twins_made:
                self.twins_made += 1
                self.queue.append(_CompanySpec(kind="twin", parent=company))
        elif rng.random() < self.twin_rate / 2:
            self.twins_made += 1
            self.queue.append(_CompanySpec(kind="twin", parent=company))

    def _group(self, company: dict[str, Any]) -> None:
        rng = self.rng
        first = not self.groups_made
        self.groups_made += 1
        subsidiaries = (
            rng.randint(first, 4) if company["band"] == "large" else rng.randint(first, 2)
        )
        branches = rng.randint(1 if first or not subsidiaries else 0, 3)
        self._set_group_role(company["id"])
        for k in range(subsidiaries):
            self.queue.append(_CompanySpec(kind="subsidiary", parent=company, number=k + 1))
        for k in range(branches):
            self.queue.append(_CompanySpec(kind="branch", parent=company, number=k + 1))

    def _set_group_role(self, company_id: int) -> None:
        rows = self.t_company.rows
        for i in range(len(rows) - 1, -1, -1):
            if rows[i][0] == company_id:
                row = list(rows[i])
                row[_COMPANY_COLUMNS.index("group_role")] = GroupRole.HOLDING
                rows[i] = tuple(row)
                return


_COMPANY_COLUMNS = _columns(
    "id legal_name short_name legal_form country inn kpp ogrn foreign_registration_number "
    "vat_number industry_id region_id employees annual_revenue size_band legal_address "
    "postal_address office_address website email phone status account_manager_id parent_id "
    "group_role search_name completeness verified_at created_at updated_at"
)
_COMPLETENESS = _COMPANY_COLUMNS.index("completeness")
_COMPANY_DATETIMES = [
    _COMPANY_COLUMNS.index(c) for c in ("verified_at", "created_at", "updated_at")
]


def _decimal(value: float) -> Decimal:
    return Decimal(round(value * 100)).scaleb(-2)


def _round2(value: float) -> float:
    return round(value, 2)


def _sqlite_datetime(moment: datetime.datetime) -> str:
    return moment.isoformat(" ")


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(tzinfo=datetime.UTC)


def _same(day: datetime.date) -> datetime.date:
    return day


def _size_band(employees: int, turnover: float) -> str:
    """209-FZ: the larger of the bands given by headcount and by annual revenue."""
    limits = (
        (SizeBand.MICRO, 15, 120e6),
        (SizeBand.SMALL, 100, 800e6),
        (SizeBand.MEDIUM, 250, 2e9),
    )
    by_staff = next((b for b, e, _r in limits if employees <= e), SizeBand.LARGE)
    by_money = next((b for b, _e, r in limits if turnover <= r), SizeBand.LARGE)
    order = [SizeBand.MICRO, SizeBand.SMALL, SizeBand.MEDIUM, SizeBand.LARGE]
    return str(max(by_staff, by_money, key=order.index))


def _month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    """First days of the `count` full months before today's month, oldest first."""
    out = []
    year, month = today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(datetime.date(year, month, 1))
    return out[::-1]


def _shape(rng: random.Random, pattern: str, months: Sequence[datetime.date]) -> list[float]:
    """Monthly multipliers of a client's base revenue; 0 means nothing billed that month."""
    n = len(months)
    if pattern == "stable":
        return [rng.gauss(1, 0.04) for _ in range(n)]
    if pattern == "growing":
        g = rng.uniform(0.8, 2.5)
        return [(1 + g * i / (n - 1)) / (1 + g) * rng.gauss(1, 0.05) for i in range(n)]
    if pattern == "declining":
        d = rng.uniform(0.45, 0.8)
        return [(1 - d * i / (n - 1)) * rng.gauss(1, 0.05) for i in range(n)]
    if pattern == "seasonal":
        peak = rng.randint(1, 12)
        amp = rng.uniform(0.45, 0.8)
        return [
            max(0.05, 1 + amp * math.cos(2 * math.pi * (m.month - peak) / 12)) * rng.gauss(1, 0.04)
            for m in months
        ]
    if pattern == "erratic":
        return [0.0 if rng.random() < 0.3 else rng.lognormvariate(0, 0.8) for _ in range(n)]
    if pattern == "new":
        start = n - rng.randint(1, 5)
        return [0.0 if i < start else min(1.0, 0.4 + 0.3 * (i - start)) for i in range(n)]
    if pattern == "dormant":
        stop = n - rng.randint(6, 11)  # nothing billed in the last 6–11 months
        begin = rng.randint(0, max(0, stop - 6))
        return [rng.gauss(1, 0.06) if begin <= i < stop else 0.0 for i in range(n)]
    if pattern == "lost":
        stop = n - rng.randint(13, 20)
        return [rng.gauss(1, 0.06) if i < stop else 0.0 for i in range(n)]
    return [0.0] * n


def generate_demo_data(
    *,
    companies: int,
    seed: int = 1,
    now: datetime.datetime | None = None,
    revenue: bool = True,
    batch_size: int = 2000,
    progress: bool = False,
) -> DemoStats:
    """Adds `companies` demo companies with everything around them; see the module docstring."""
    if companies < 0:
        raise ValueError("The number of companies cannot be negative.")
    generator = DemoGenerator(
        seed=seed, now=now, revenue=revenue, batch_size=batch_size, progress=progress
    )
    return generator.run(companies)
