from __future__ import annotations

import factory

from clientdesk.clients.models import Channel
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
