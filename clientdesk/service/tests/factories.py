from __future__ import annotations

from typing import Any, cast

import factory

from clientdesk.clients.models import Channel, Company, Contact
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory
from clientdesk.service.models import Agent, Service, Skill, Unit


class UnitFactory(factory.django.DjangoModelFactory[Unit]):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"unit{n}")
    name = factory.Sequence(lambda n: f"Отдел {n}")
    name_en = factory.Sequence(lambda n: f"Unit {n}")


class SkillFactory(factory.django.DjangoModelFactory[Skill]):
    class Meta:
        model = Skill

    code = factory.Sequence(lambda n: f"skill{n}")
    name = factory.Sequence(lambda n: f"Навык {n}")


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"svc{n}")
    name = factory.Sequence(lambda n: f"Услуга {n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")
    channels = factory.LazyFunction(
        lambda: [Channel.VISIT, Channel.PHONE, Channel.EMAIL, Channel.PORTAL]
    )
    documents_required = "Паспорт\nДоверенность"
    documents_required_en = "Passport\nPower of attorney"
    standard_minutes = 480
    unit = factory.SubFactory(UnitFactory)


def make_agent(user, unit, skills=(), capacity=30) -> Agent:
    agent = Agent.objects.create(user=user, capacity=capacity)
    agent.units.add(unit)
    agent.skills.add(*skills)
    return agent


# Typed shortcuts: factory_boy's call returns the factory type as far as mypy can tell.
def new_company(**kwargs: Any) -> Company:
    return cast(Company, CompanyFactory(**kwargs))


def new_contact(**kwargs: Any) -> Contact:
    return cast(Contact, ContactFactory(**kwargs))


def new_unit(**kwargs: Any) -> Unit:
    return cast(Unit, UnitFactory(**kwargs))


def new_service(**kwargs: Any) -> Service:
    return cast(Service, ServiceFactory(**kwargs))


def new_skill(**kwargs: Any) -> Skill:
    return cast(Skill, SkillFactory(**kwargs))
