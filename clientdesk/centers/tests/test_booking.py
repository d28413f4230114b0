"""Appointments end to end at the service level: moving, cancelling, the e-mails (language,
documents, calendar file), reminders claimed once, consent, and the audit helper."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientdesk.centers import notifications, services
from clientdesk.centers.models import Appointment, Ticket
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.clients.models import Consent, ConsentPurpose
from clientdesk.core import audit
from clientdesk.core.models import AuditEvent
from clientdesk.service.tests.factories import new_company, new_contact

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY = dt.date(2026, 3, 2)
BEFORE = dt.datetime(2026, 3, 1, 12, 0, tzinfo=MSK)
NINE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=MSK)


@pytest.fixture
def center_with_one_desk():
    center = new_center(week={"mon": ["09:00-11:00"]}, address="Москва, ул. Тверская, 1")
    group = new_group(center, handling_minutes=20)
    new_desk(center, "1")
    return center, group


@pytest.fixture
def client_person():
    company = new_company()
    return company, new_contact(company=company, email="ivanova@example.ru", gender="f")


def _book(center, group, company, contact, at=NINE, **kwargs):
    return services.appointment_book(
        center=center,
        service=group.service,
        starts_at=at,
        company=company,
        contact=contact,
        now=BEFORE,
        **kwargs,
    )


def test_reschedule_moves_to_a_free_place_and_rechecks_capacity(
    center_with_one_desk, client_person
) -> None:
    center, group = center_with_one_desk
    company, contact = client_person
    first = _book(center, group, company, contact)
    other = _book(center, group, company, contact, at=NINE + dt.timedelta(minutes=20))
    # The 09:20 place is taken (one desk): moving there is refused, nothing changes.
    with pytest.raises(ValidationError, match="taken"):
        services.appointment_reschedule(
            appointment=first, starts_at=other.starts_at, by=None, now=BEFORE
        )
    with pytest.raises(ValidationError, match="already at this time"):
        services.appointment_reschedule(appointment=first, starts_at=NINE, by=None, now=BEFORE)
    moved = services.appointment_reschedule(
        appointment=first, starts_at=NINE + dt.timedelta(minutes=40), by=None, now=BEFORE
    )
    assert moved.starts_at == NINE + dt.timedelta(minutes=40) and moved.revision == 1
    # The freed 09:00 place can be booked by someone else now.
    _book(center, group, company, contact)
    event = AuditEvent.objects.get(action="centers.appointment_rescheduled")
    old, new = (dt.datetime.fromisoformat(v) for v in event.changes["starts_at"])
    assert (old, new) == (NINE, NINE + dt.timedelta(minutes=40))


def test_cancelled_or_checked_in_appointment_cannot_be_moved(
    center_with_one_desk, client_person
) -> None:
    center, group = center_with_one_desk
    booked = _book(center, group, *client_person)
    services.appointment_cancel(appointment=booked, by=None, reason="Не успеваем")
    with pytest.raises(ValidationError, match="Only a booked"):
        services.appointment_reschedule(
            appointment=booked, starts_at=NINE + dt.timedelta(minutes=20), by=None, now=BEFORE
        )
    assert AuditEvent.objects.get(action="centers.appointment_cancelled").changes == {
        "reason": "Не успеваем"
    }


def test_booking_refuses_a_contact_of_another_company_and_far_future(
    center_with_one_desk, client_person
) -> None:
    center, group = center_with_one_desk
    company, _contact = client_person
    stranger = new_contact()
    with pytest.raises(ValidationError, match="works for another company"):
        _book(center, group, company, stranger)
    with pytest.raises(ValidationError, match="at most 60 days ahead"):
        _book(center, group, company, None, at=NINE + dt.timedelta(days=70))
    assert not Appointment.objects.exists()


def test_check_in_on_another_day_is_refused(center_with_one_desk, client_person) -> None:
    center, group = center_with_one_desk
    booked = _book(center, group, *client_person)
    with pytest.raises(ValidationError, match=r"02\.03\.2026"):
        services.appointment_check_in(appointment=booked, at=NINE - dt.timedelta(days=1))
    assert not Ticket.objects.exists()


def test_confirmation_in_russian_lists_documents_and_carries_a_calendar_file(
    center_with_one_desk, client_person, django_capture_on_commit_callbacks
) -> None:
    center, group = center_with_one_desk
    company, contact = client_person
    with django_capture_on_commit_callbacks(execute=True):
        booked = _book(center, group, company, contact)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ivanova@example.ru"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Паспорт" in message.body and "Доверенность" in message.body  # contact reads Russian
    assert "Passport" not in message.body
    assert group.service.name in message.subject
    assert "09:00" in message.body and str(booked.pk) in message.body
    name, content, mimetype = message.attachments[0]
    assert name == "appointment.ics" and mimetype.startswith("text/calendar")
    assert "DTSTART:20260302T060000Z" in content  # 09:00 Moscow is 06:00 UTC
    assert "DTEND:20260302T062000Z" in content  # a standard visit of 20 minutes
    assert f"UID:appointment-{booked.pk}@" in content and "METHOD:PUBLISH" in content
    assert all(len(line.encode()) <= 75 for line in content.split("\r\n"))


def test_english_contact_gets_english_and_move_and_cancel_are_confirmed(
    center_with_one_desk, django_capture_on_commit_callbacks
) -> None:
    center, group = center_with_one_desk
    company = new_company()
    contact = new_contact(company=company, email="smith@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        booked = _book(center, group, company, contact)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(
            appointment=booked, starts_at=NINE + dt.timedelta(minutes=40), by=None, now=BEFORE
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=booked, by=None)
    subjects = [m.subject for m in mail.outbox]
    assert [s.split(":")[0] for s in subjects] == [
        "Appointment confirmed",
        "Appointment moved",
        "Appointment cancelled",
    ]
    assert "Passport" in mail.outbox[0].body and "09:40" in mail.outbox[1].body
    cancel_ics = mail.outbox[2].attachments[0][1]
    assert "METHOD:CANCEL" in cancel_ics and "SEQUENCE:2" in cancel_ics
    assert "STATUS:CANCELLED" in cancel_ics


def test_nothing_is_sent_without_an_address_or_to_an_erased_person(
    center_with_one_desk, django_capture_on_commit_callbacks
) -> None:
    center, group = center_with_one_desk
    company = new_company()
    silent = new_contact(company=company, email="")
    erased = new_contact(company=company, email="gone@example.ru", erased_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        _book(center, group, company, silent)
        _book(center, group, company, erased, at=NINE + dt.timedelta(minutes=20))
        _book(center, group, company, None, at=NINE + dt.timedelta(minutes=40))
    assert mail.outbox == []


# --- reminders -------------------------------------------------------------------------------
def test_reminder_goes_once_the_day_before_and_again_after_a_move(
    center_with_one_desk, client_person, django_capture_on_commit_callbacks
) -> None:
    center, group = center_with_one_desk
    booked = _book(center, group, *client_person)
    too_early = NINE - dt.timedelta(hours=30)
    day_before = NINE - dt.timedelta(hours=20)
    assert services.appointment_remind_due(now=too_early) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.appointment_remind_due(now=day_before) == 1
        # A second runner (or the next run) finds nothing left to claim.
        assert services.appointment_remind_due(now=day_before) == 0
    assert len(mail.outbox) == 1
    assert "Паспорт" in mail.outbox[0].body
    booked.refresh_from_db()
    assert booked.reminded_at == day_before
    assert AuditEvent.objects.filter(action="centers.appointment_reminded").count() == 1
    # Moved well ahead of the new time: the reminder is due again for the new time.
    services.appointment_reschedule(
        appointment=booked,
        starts_at=NINE + dt.timedelta(days=7),
        by=None,
        now=day_before,
    )
    assert services.appointment_remind_due(now=NINE + dt.timedelta(days=6, hours=1)) == 1


def test_no_reminder_for_a_booking_made_shortly_before_or_cancelled(
    center_with_one_desk, client_person
) -> None:
    center, group = center_with_one_desk
    company, contact = client_person
    late_now = NINE - dt.timedelta(hours=3)
    services.appointment_book(
        center=center,
        service=group.service,
        starts_at=NINE,
        company=company,
        contact=contact,
        now=late_now,
    )
    cancelled = _book(center, group, company, contact, at=NINE + dt.timedelta(minutes=20))
    services.appointment_cancel(appointment=cancelled, by=None)
    assert services.appointment_remind_due(now=late_now + dt.timedelta(hours=1)) == 0


def test_reminder_respects_a_withdrawn_service_consent(
    center_with_one_desk, client_person, django_capture_on_commit_callbacks
) -> None:
    center, group = center_with_one_desk
    company, contact = client_person
    Consent.objects.create(
        contact=contact,
        purpose=ConsentPurpose.SERVICE,
        channel="email",
        given_at=BEFORE - dt.timedelta(days=100),
        withdrawn_at=BEFORE - dt.timedelta(days=1),
        source=Consent.Source.EMAIL,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _book(center, group, company, contact)  # the confirmation still goes: it is transactional
        services.appointment_remind_due(now=NINE - dt.timedelta(hours=20))
    assert len(mail.outbox) == 1 and "Reminder" not in mail.outbox[0].subject


def test_reminder_task_is_periodic_and_claims(center_with_one_desk) -> None:
    from clientdesk.centers.tasks import remind_appointments
    from clientdesk.core.tasks import registered

    assert registered()[remind_appointments.name].every is not None


# --- the audit helper for raw inserts --------------------------------------------------------
def test_columns_for_raw_insert_match_what_record_writes(make_staff) -> None:
    user = make_staff()
    names, values = audit.columns_for_raw_insert(
        actor=user, action="centers.ticket_issued", target_model=Ticket, changes={"x": 1}
    )
    columns = [n.strip('"`') for n in names]
    assert "target_id" not in columns and "target_repr" not in columns and "id" not in columns
    row = dict(zip(columns, values, strict=True))
    assert row["actor_id"] == user.pk and row["action"] == "centers.ticket_issued"
    assert row["target_type_id"] is not None and row["at"] is not None


def test_recipient_falls_back_to_the_portal_user_who_booked(
    center_with_one_desk, make_portal_user
) -> None:
    center, group = center_with_one_desk
    company = new_company()
    user = make_portal_user(company=company)
    user.email = "portal@example.ru"
    user.save()
    booked = _book(center, group, company, None, by=user)
    recipient = notifications.recipient_of(booked)
    assert recipient is not None and recipient.address == "portal@example.ru"


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_overfill_a_slot() -> None:
    import threading
    import time

    from django.db import OperationalError, connection

    center = new_center(week={"mon": ["09:00-11:00"]})
    group = new_group(center, handling_minutes=20)
    new_desk(center, "1")
    new_desk(center, "2")  # two places per slot
    booked: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def client() -> None:
        try:
            start.wait()
            while True:
                try:
                    appointment = services.appointment_book(
                        center=center, service=group.service, starts_at=NINE, now=BEFORE
                    )
                    booked.append(appointment.pk)
                    return
                except ValidationError as exc:
                    refused.append(" ".join(exc.messages))
                    return
                except OperationalError as exc:  # SQLite shared-cache memory: retry, as a user
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.001)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(booked) == 2 and len(refused) == 6
    assert all("taken" in r for r in refused)
    assert Appointment.objects.filter(starts_at=NINE).count() == 2
