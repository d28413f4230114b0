"""What can be imported for each kind of record, and how file columns are matched to it.

Column titles differ between 1C, Excel templates and other CRMs; each field lists the titles
people use for it, in Russian and English, and `guess_mapping` matches a file's header to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import (
    CompanyStatus,
    Contract,
    DecisionRole,
    ImportJob,
    LegalForm,
)
from . import values as v

Kind = ImportJob.Kind


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    parse: v.Parser
    synonyms: tuple[str, ...] = ()
    required: bool = False
    help: str | Promise = ""


def normalise_title(title: str) -> str:
    """'Эл. почта' → 'эл почта', 'E-mail:' → 'e mail', '№ договора' → 'n договора'."""
    text = title.lower().replace("ё", "е").replace("№", " n ")
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def _choice_options(choices: type[TextChoices], extra: dict[str, str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for value, label in choices.choices:
        options[normalise_choice(value)] = value
        for language in ("en", "ru"):
            with translation.override(language):
                options[normalise_choice(str(label))] = value
    options.update({normalise_choice(k): val for k, val in extra.items()})
    options.pop("", None)
    return options


def normalise_choice(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def _hint(choices: type[TextChoices]) -> list[str]:
    return [str(label) for value, label in choices.choices if value]


_COMPANY_STATUS_ALIASES = {
    "клиент": "active",
    "активный": "active",
    "действующий": "active",
    "потенциальный": "prospect",
    "потенциальный клиент": "prospect",
    "лид": "prospect",
    "спящий": "dormant",
    "неактивный": "dormant",
    "потерян": "lost",
    "потерянный": "lost",
    "ушел": "lost",
}
_CONTRACT_STATUS_ALIASES = {
    "черновик": "draft",
    "действует": "active",
    "действующий": "active",
    "активный": "active",
    "истек": "expired",
    "истек срок": "expired",
    "расторгнут": "terminated",
}
_LEGAL_FORM_ALIASES = {
    "общество с ограниченной ответственностью": "ООО",
    "акционерное общество": "АО",
    "публичное акционерное общество": "ПАО",
    "непубличное акционерное общество": "НАО",
    "индивидуальный предприниматель": "ИП",
    "зао": "АО",
    "оао": "ПАО",
    "llc": "ООО",
    "jsc": "АО",
}
_GENDER = {"m": "m", "f": "f", "м": "m", "ж": "f", "муж": "m", "жен": "f", "мужской": "m"}
_GENDER |= {"женский": "f", "male": "m", "female": "f"}
_LANGUAGE = {"ru": "ru", "en": "en", "русский": "ru", "english": "en", "английский": "en"}
_LANGUAGE |= {"рус": "ru", "англ": "en", "russian": "ru"}

_EXTERNAL_ID = ("external id", "внешний id", "внешний код", "идентификатор", "guid", "uuid")
_COMPANY_REF = (
    Field(
        "company_inn",
        _("Company INN"),
        v.inn,
        ("инн", "inn", "инн организации", "инн компании", "инн контрагента", "company inn"),
    ),
    Field(
        "company_kpp",
        _("Company KPP"),
        v.kpp,
        ("кпп", "kpp", "кпп организации", "кпп компании", "кпп контрагента", "company kpp"),
    ),
    Field(
        "company_external_id",
        _("Company external ID"),
        v.text(64),
        ("company external id", "id компании", "код контрагента", "код компании", "company id"),
    ),
)


def company_fields() -> list[Field]:
    return [
        Field(
            "legal_name",
            _("Legal name"),
            v.text(500),
            (
                "наименование",
                "полное наименование",
                "наименование полное",
                "полное наименование организации",
                "наименование организации",
                "название",
                "организация",
                "контрагент",
                "компания",
                "name",
                "legal name",
                "company",
                "company name",
                "full name",
            ),
            required=True,
        ),
        Field(
            "short_name",
            _("Short name"),
            v.text(200),
            (
                "краткое наименование",
                "сокращенное наименование",
                "рабочее наименование",
                "short name",
                "краткое название",
            ),
        ),
        Field(
            "legal_form",
            _("Legal form"),
            v.choice(_choice_options(LegalForm, _LEGAL_FORM_ALIASES), LegalForm.values),
            ("опф", "организационно правовая форма", "правовая форма", "legal form", "форма"),
            help=_("If not given, it is taken from the name (ООО «…», ИП …)."),
        ),
        Field("inn", _("INN"), v.inn, ("инн", "inn", "инн организации", "инн контрагента")),
        Field("kpp", _("KPP"), v.kpp, ("кпп", "kpp", "кпп организации", "кпп контрагента")),
        Field("ogrn", _("OGRN / OGRNIP"), v.ogrn, ("огрн", "огрнип", "ogrn", "огрн огрнип")),
        Field("external_id", _("External ID"), v.text(64), ("id", "код", "код 1с", *_EXTERNAL_ID)),
        Field("country", _("Country"), v.country, ("страна", "country", "код страны")),
        Field(
            "vat_number",
            _("VAT number"),
            v.text(32),
            ("vat number", "vat", "номер плательщика ндс"),
        ),
        Field(
            "industry",
            _("Industry (OKVED code)"),
            v.text(12),
            (
                "оквэд",
                "okved",
                "код оквэд",
                "основной оквэд",
                "оквэд 2",
                "industry",
                "отрасль",
                "okved code",
                "industry code",
            ),
        ),
        Field("region", _("Region"), v.text(200), ("регион", "region", "субъект рф", "субъект")),
        Field(
            "employees",
            _("Employees"),
            v.positive_int,
            (
                "численность",
                "сотрудников",
                "число сотрудников",
                "среднесписочная численность",
                "employees",
                "headcount",
                "численность сотрудников",
            ),
        ),
        Field(
            "annual_revenue",
            _("Annual revenue, RUB"),
            v.decimal(18, 2),
            (
                "выручка",
                "годовая выручка",
                "выручка руб",
                "выручка за год",
                "annual revenue",
                "annual revenue rub",
                "revenue",
            ),
        ),
        Field(
            "legal_address",
            _("Legal address"),
            v.multiline,
            (
                "юридический адрес",
                "адрес юридический",
                "юр адрес",
                "адрес",
                "legal address",
                "address",
            ),
        ),
        Field(
            "postal_address",
            _("Postal address"),
            v.multiline,
            ("почтовый адрес", "адрес почтовый", "postal address"),
        ),
        Field(
            "office_address",
            _("Office address"),
            v.multiline,
            ("фактический адрес", "адрес фактический", "адрес офиса", "office address"),
        ),
        Field("website", _("Website"), v.website, ("сайт", "веб сайт", "website", "url", "www")),
        Field("email", _("E-mail"), v.email, _EMAIL),
        Field("phone", _("Phone"), v.phone, _PHONE),
        Field(
            "status",
            _("Status"),
            v.choice(_choice_options(CompanyStatus, _COMPANY_STATUS_ALIASES), _hint(CompanyStatus)),
            ("статус", "status", "статус клиента"),
        ),
    ]


_EMAIL = ("email", "e mail", "эл почта", "электронная почта", "почта", "адрес электронной почты")
_PHONE = ("телефон", "phone", "тел", "телефоны", "номер телефона", "phone number", "мобильный")


def contact_fields() -> list[Field]:
    return [
        *_COMPANY_REF,
        Field(
            "external_id", _("External ID"), v.text(64), ("id", "код", "contact id", *_EXTERNAL_ID)
        ),
        Field(
            "full_name",
            _("Full name"),
            v.text(300),
            ("фио", "full name", "контактное лицо", "ф и о", "name", "сотрудник", "контакт"),
            help=_("Surname, first name and patronymic in one column."),
        ),
        Field("last_name", _("Surname"), v.text(100), ("фамилия", "last name", "surname")),
        Field("first_name", _("First name"), v.text(100), ("имя", "first name", "given name")),
        Field(
            "patronymic", _("Patronymic"), v.text(100), ("отчество", "patronymic", "middle name")
        ),
        Field("position", _("Position"), v.text(200), ("должность", "position", "job title")),
        Field("department", _("Department"), v.text(200), ("отдел", "подразделение", "department")),
        Field("email", _("E-mail"), v.email, _EMAIL),
        Field("phone", _("Phone"), v.phone, _PHONE),
        Field(
            "decision_role",
            _("Role in decisions"),
            v.choice(_choice_options(DecisionRole, {}), _hint(DecisionRole)),
            ("роль", "роль в решениях", "role", "role in decisions", "decision role"),
        ),
        Field(
            "gender",
            _("Gender"),
            v.choice(_GENDER, ["м", "ж", "m", "f"]),
            ("пол", "gender", "sex"),
        ),
        Field(
            "language",
            _("Language"),
            v.choice(_LANGUAGE, ["ru", "en"]),
            ("язык", "language", "язык общения"),
        ),
    ]


def contract_fields() -> list[Field]:
    return [
        *_COMPANY_REF,
        Field(
            "number",
            _("Contract number"),
            v.text(64),
            (
                "номер",
                "номер договора",
                "n договора",
                "n",
                "number",
                "contract number",
                "contract no",
            ),
            required=True,
        ),
        Field(
            "title",
            _("Subject"),
            v.text(300),
            ("предмет", "предмет договора", "subject", "title", "наименование договора"),
        ),
        Field(
            "signed_on",
            _("Signed on"),
            v.date,
            ("дата", "дата договора", "дата подписания", "date", "signed", "signed on"),
        ),
        Field(
            "starts_on",
            _("Valid from"),
            v.date,
            ("дата начала", "действует с", "начало действия", "valid from", "start date"),
        ),
        Field(
            "ends_on",
            _("Valid until"),
            v.date,
            ("дата окончания", "действует до", "окончание действия", "valid until", "end date"),
        ),
        Field(
            "value",
            _("Value"),
            v.decimal(18, 2),
            ("сумма", "сумма договора", "стоимость", "value", "amount", "contract value"),
        ),
        Field("currency", _("Currency"), v.currency, ("валюта", "currency", "валюта договора")),
        Field(
            "status",
            _("Status"),
            v.choice(
                _choice_options(Contract.Status, _CONTRACT_STATUS_ALIASES), _hint(Contract.Status)
            ),
            ("статус", "status", "состояние"),
        ),
        Field(
            "offerings",
            _("Services (codes)"),
            v.text(2000),
            ("услуги", "услуга", "services", "offerings", "коды услуг"),
            help=_("Codes or names of services, separated by commas."),
        ),
    ]


def revenue_fields() -> list[Field]:
    return [
        *_COMPANY_REF,
        Field(
            "external_id", _("External ID"), v.text(64), ("id", "номер документа", *_EXTERNAL_ID)
        ),
        Field(
            "date",
            _("Date"),
            v.date,
            ("дата", "date", "дата документа", "дата реализации", "период"),
            required=True,
        ),
        Field(
            "amount",
            _("Amount"),
            v.decimal(16, 2),
            ("сумма", "amount", "выручка", "сумма документа", "сумма с ндс"),
            required=True,
        ),
        Field("currency", _("Currency"), v.currency, ("валюта", "currency", "код валюты")),
        Field(
            "rate",
            _("Exchange rate to RUB"),
            v.decimal(16, 6),
            ("курс", "курс валюты", "rate", "exchange rate", "курс цб"),
        ),
        Field(
            "amount_base",
            _("Amount, RUB"),
            v.decimal(16, 2),
            ("сумма руб", "сумма в рублях", "сумма рубли", "amount rub", "amount base"),
        ),
        Field("cost", _("Cost, RUB"), v.decimal(16, 2), ("себестоимость", "cost", "cost rub")),
        Field(
            "offering",
            _("Service (code or name)"),
            v.text(200),
            ("услуга", "номенклатура", "код услуги", "offering", "service", "service code"),
        ),
        Field(
            "contract",
            _("Contract number"),
            v.text(64),
            ("договор", "номер договора", "contract", "contract number"),
        ),
    ]


def fields_for(kind: str) -> list[Field]:
    builders = {
        Kind.COMPANIES: company_fields,
        Kind.CONTACTS: contact_fields,
        Kind.CONTRACTS: contract_fields,
        Kind.REVENUE: revenue_fields,
    }
    return builders[Kind(kind)]()


def guess_mapping(kind: str, headers: Iterable[str]) -> dict[str, int]:
    """field name → column index, for the columns whose titles we recognise.

    Exact title matches win; then a title that contains a known title as whole words
    ('ИНН покупателя' → INN), longest known title first. Each column is used once."""
    titles = [normalise_title(h) for h in headers]
    fields = fields_for(kind)
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for f in fields:
        for synonym in (f.name.replace("_", " "), *f.synonyms):
            target = normalise_title(synonym)
            index = next((i for i, t in enumerate(titles) if t == target and i not in used), None)
            if index is not None:
                mapping[f.name] = index
                used.add(index)
                break
    candidates: list[tuple[int, str, int]] = []
    for f in fields:
        if f.name in mapping:
            continue
        for synonym in f.synonyms:
            target = normalise_title(synonym)
            for i, t in enumerate(titles):
                if i not in used and re.search(rf"(^| ){re.escape(target)}( |$)", t):
                    candidates.append((len(target), f.name, i))
    for _length, name, index in sorted(candidates, key=lambda c: -c[0]):
        if name not in mapping and index not in used:
            mapping[name] = index
            used.add(index)
    return mapping
