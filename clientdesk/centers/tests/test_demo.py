from __future__ import annotations

import pytest

from clientdesk.centers.demo import load_demo
from clientdesk.centers.models import ServiceCenter, Ticket, TicketState
from clientdesk.service.tests.factories import new_service

pytestmark = pytest.mark.django_db


def test_demo_makes_two_centers_with_a_day_of_gapless_tickets_and_runs_twice() -> None:
    for _ in range(3):
        new_service()
    load_demo(seed=1)
    load_demo(seed=1)
    assert ServiceCenter.objects.count() == 2
    states = set(Ticket.objects.values_list("state", flat=True))
    assert {TicketState.WAITING, TicketState.DONE, TicketState.CALLED} <= states
    for center in ServiceCenter.objects.all():
        for letter in {t.letter for t in Ticket.objects.filter(center=center)}:
            numbers = sorted(
                Ticket.objects.filter(center=center, letter=letter).values_list("number", flat=True)
            )
            assert numbers == list(range(1, len(numbers) + 1))


def test_demo_books_appointments_in_every_state_without_mail(make_staff) -> None:
    from django.core import mail

    from clientdesk.centers.models import Appointment
    from clientdesk.service.tests.factories import new_company, new_contact

    for _ in range(3):
        new_service()
    for _ in range(5):
        new_contact(company=new_company())
    make_staff(username="call")
    load_demo(seed=2)
    count = Appointment.objects.count()
    assert count > 10
    states = set(Appointment.objects.values_list("state", flat=True))
    assert {Appointment.State.BOOKED, Appointment.State.CANCELLED} <= states
    assert Appointment.objects.filter(source=Appointment.Source.STAFF).exists()
    load_demo(seed=2)
    assert Appointment.objects.count() == count
    assert mail.outbox == []
