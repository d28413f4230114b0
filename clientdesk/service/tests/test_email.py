"""E-mail in (threading, triage, sanitising) and out (through a real SMTP server on loopback)."""

from __future__ import annotations

import socket
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from clientdesk.clients.models import Channel, ContactPoint
from clientdesk.core.roles import Role
from clientdesk.service import services
from clientdesk.service.mail import email_ingest
from clientdesk.service.models import RequestMessage, ServiceRequest, Status

from .factories import new_contact

pytestmark = pytest.mark.django_db


def raw_email(
    *,
    sender: str,
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str = "",
    html: bool = False,
) -> bytes:
    headers = [
        f"From: Client <{sender}>",
        "To: service@clientdesk.local",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        f"Content-Type: text/{'html' if html else 'plain'}; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


@pytest.fixture
def known_contact():
    contact = new_contact(email="buh@client.ru")
    ContactPoint.objects.create(contact=contact, kind="email", value="buh@client.ru")
    return contact


def test_email_from_a_known_contact_opens_a_request_for_its_company(known_contact) -> None:
    request = email_ingest(
        raw_email(
            sender="Buh@Client.ru", subject="Нужен акт сверки", body="Пришлите", message_id="<a@x>"
        )
    )
    assert request.company == known_contact.company and request.contact == known_contact
    assert request.channel == Channel.EMAIL and request.reply_to_email == "buh@client.ru"


def test_unknown_sender_lands_in_triage_without_company() -> None:
    request = email_ingest(
        raw_email(sender="who@nowhere.ru", subject="Вопрос", body="?", message_id="<b@x>")
    )
    assert request.company is None and request.is_open


def test_html_is_sanitised_and_the_same_message_is_ingested_once(known_contact) -> None:
    raw = raw_email(
        sender="buh@client.ru",
        subject="HTML",
        body='<p>Текст<script>steal()</script><img src=x onerror="a()"></p>',
        message_id="<c@x>",
        html=True,
    )
    first = email_ingest(raw)
    assert email_ingest(raw) == first
    body = first.messages.get().body_html
    assert "script" not in body and "steal" not in body and "onerror" not in body
    assert "Текст" in body


def test_reply_by_headers_joins_the_request_and_reopens_it(known_contact) -> None:
    request = email_ingest(
        raw_email(sender="buh@client.ru", subject="Счёт", body="1", message_id="<d@x>")
    )
    services.request_resolve(request=request, by=None)
    again = email_ingest(
        raw_email(
            sender="other@elsewhere.ru",
            subject="Re: whatever",
            body="не решено",
            message_id="<e@x>",
            in_reply_to="<d@x>",
        )
    )
    assert again == request
    request.refresh_from_db()
    assert request.status == Status.REOPENED and request.messages.count() == 2


def test_number_in_subject_threads_only_for_the_same_client(known_contact) -> None:
    request = email_ingest(
        raw_email(sender="buh@client.ru", subject="Счёт", body="1", message_id="<f@x>")
    )
    same = email_ingest(
        raw_email(
            sender="buh@client.ru", subject=f"[{request.number}] ещё", body="2", message_id="<g@x>"
        )
    )
    stranger = email_ingest(
        raw_email(
            sender="evil@x.ru", subject=f"[{request.number}] дайте", body="3", message_id="<h@x>"
        )
    )
    assert same == request
    assert stranger != request and stranger.company is None


def test_message_about_a_closed_request_opens_a_linked_new_one(known_contact) -> None:
    request = email_ingest(
        raw_email(sender="buh@client.ru", subject="Счёт", body="1", message_id="<i@x>")
    )
    services.request_resolve(request=request, by=None)
    services.request_change_status(request=request, to=Status.CLOSED, by=None)
    new = email_ingest(
        raw_email(
            sender="buh@client.ru",
            subject="Re: Счёт",
            body="2",
            message_id="<j@x>",
            in_reply_to="<i@x>",
        )
    )
    assert new != request and new.repeat_of == request


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted"


@pytest.fixture
def smtp_server(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def test_reply_goes_out_through_smtp_with_threading_headers(
    smtp_server, known_contact, make_staff, django_capture_on_commit_callbacks
) -> None:
    request = email_ingest(
        raw_email(
            sender="buh@client.ru", subject="Акт", body="Пришлите", message_id="<k@client.ru>"
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.request_reply(
            request=request, body="<p>Высылаем <b>акт</b></p>", by=make_staff(Role.CALL_OPERATOR)
        )
    assert len(smtp_server.messages) == 1
    sent = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[0])
    assert f"[{request.number}]" in str(sent["Subject"])
    assert str(sent["Message-ID"]).strip() == reply.email_message_id
    assert str(sent["In-Reply-To"]).strip() == "<k@client.ru>"
    assert "<k@client.ru>" in str(sent["References"])
    assert str(sent["To"]) == "buh@client.ru"
    plain = sent.get_body(preferencelist=("plain",))
    assert plain is not None and "Высылаем" in plain.get_content()
    # The client's answer to our e-mail comes back into the same request.
    answer = email_ingest(
        raw_email(
            sender="buh@client.ru",
            subject=f"Re: {sent['Subject']}",
            body="Спасибо",
            message_id="<l@client.ru>",
            in_reply_to=reply.email_message_id,
        )
    )
    assert answer == request


def test_internal_note_is_never_emailed(known_contact, make_staff) -> None:
    from django.core import mail

    request = email_ingest(
        raw_email(sender="buh@client.ru", subject="Акт", body="1", message_id="<m@x>")
    )
    services.request_note(request=request, body="клиент трудный", by=make_staff(Role.CALL_OPERATOR))
    assert mail.outbox == []
    assert request.messages.filter(kind=RequestMessage.Kind.NOTE).count() == 1


def test_ingest_command_reads_standard_input(known_contact, monkeypatch, capsys) -> None:
    import io
    import sys

    from django.core.management import call_command

    raw = raw_email(sender="buh@client.ru", subject="CLI", body="1", message_id="<n@x>")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("ingest_email")
    number = capsys.readouterr().out.strip()
    assert ServiceRequest.objects.get(number=number).subject == "CLI"
