from __future__ import annotations

import factory
from stdnum.ru import inn as inn_module

from clientdesk.clients.models import Company, CompanyStatus, Contact


def valid_inn(n: int) -> str:
    """A 10-digit organisation INN with a correct check digit, distinct for each n."""
    body = f"77{n:07d}"[-9:]
    return body + inn_module.calc_company_check_digit(body)


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    legal_name = factory.Sequence(lambda n: f'ООО "Компания {n}"')
    short_name = factory.Sequence(lambda n: f"Компания {n}")
    inn = factory.Sequence(valid_inn)
    kpp = "770101001"
    status = CompanyStatus.ACTIVE
    search_name = factory.LazyAttribute(lambda c: c.legal_name.lower())


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    company = factory.SubFactory(CompanyFactory)
    last_name = "Петров"
    first_name = "Пётр"
    patronymic = "Петрович"
    position = "Генеральный директор"
    email = factory.Sequence(lambda n: f"person{n}@example.ru")
    search_name = factory.LazyAttribute(
        lambda c: f"{c.last_name} {c.first_name} {c.patronymic}".lower()
    )
