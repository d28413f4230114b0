"""A client's e-mail answer to a campaign, arriving through the service domain's mail ingestion."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import override_settings

from clientdesk.campaigns import services
from clientdesk.campaigns.models import CampaignRecipient
from clientdesk.clients.models import Interaction, Todo
from clientdesk.core.roles import Role
from clientdesk.service import hooks as service_hooks
from clientdesk.service.mail import email_ingest
from clientdesk.service.models import ServiceRequest

from . import smtp
from .factories import make_campaign, new_company, subscribed_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(make_staff, django_capture_on_commit_callbacks):
    """A campaign e-mail that went out through a real SMTP server: (recipient, message)."""
    controller, collector = smtp.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.port,
            CAMPAIGNS_RATE_PER_SECOND=0,
        ):
            company = new_company(account_manager=make_staff(Role.ACCOUNT_MANAGER))
            subscribed_contact(company, email="director@client.ru")
            campaign = make_campaign()
            services.audience_build(campaign=campaign, by=None)
            services.campaign_approve(campaign=campaign, by=make_staff(Role.SUPERVISOR))
            with django_capture_on_commit_callbacks(execute=True):
                services.campaign_schedule(campaign=campaign, by=None)
    finally:
        controller.stop()
    [message] = collector.messages
    return CampaignRecipient.objects.get(campaign=campaign), message


def reply(*, in_reply_to: str = "", references: str = "", message_id: str = "<r1@client.ru>"):
    msg = EmailMessage()
    msg["From"] = "Director <director@client.ru>"
    msg["To"] = "sales@clientdesk.local"
    msg["Subject"] = "Re: Обслуживание оборудования на особых условиях"
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content("Интересно, пришлите договор на три филиала.")
    return msg.as_bytes()


def test_reply_to_a_campaign_email_is_recorded_and_still_opens_a_request(sent):
    recipient, message = sent
    request = email_ingest(reply(in_reply_to=message["Message-ID"]))

    recipient.refresh_from_db()
    assert recipient.replied_at is not None
    todo = Todo.objects.get(source=f"campaigns.reply:{recipient.pk}")
    assert todo.assignee == recipient.company.account_manager
    assert todo.kind == Todo.Kind.FOLLOW_UP and todo.contact_id == recipient.contact_id
    entry = Interaction.objects.get(source=f"campaigns.reply:{recipient.pk}")
    assert "три филиала" in entry.summary
    # The client wrote to us: service answers it as any other message, for the same company.
    assert ServiceRequest.objects.filter(pk=request.pk).exists()
    assert request.company_id == recipient.company_id
    assert request.contact_id == recipient.contact_id


def test_reply_found_through_references_alone(sent):
    recipient, message = sent
    email_ingest(
        reply(in_reply_to="<other@client.ru>", references=f"{message['Message-ID']} <x@client.ru>")
    )
    recipient.refresh_from_db()
    assert recipient.replied_at is not None


def test_unrelated_or_forged_in_reply_to_marks_nothing(sent):
    recipient, _message = sent
    email_ingest(reply(in_reply_to="<unrelated@client.ru>", message_id="<r1@client.ru>"))
    # The token alone is not enough: the whole Message-ID of the campaign e-mail must match.
    email_ingest(reply(in_reply_to=f"<{recipient.token}@evil.example>", message_id="<r2@x>"))

    recipient.refresh_from_db()
    assert recipient.replied_at is None
    assert not Todo.objects.filter(source__startswith="campaigns.reply:").exists()
    assert ServiceRequest.objects.count() == 2


def test_the_same_reply_twice_is_recorded_once(sent):
    recipient, message = sent
    first = email_ingest(reply(in_reply_to=message["Message-ID"]))
    again = email_ingest(reply(in_reply_to=message["Message-ID"]))
    assert again.pk == first.pk
    assert Todo.objects.filter(source=f"campaigns.reply:{recipient.pk}").count() == 1
    assert Interaction.objects.filter(source=f"campaigns.reply:{recipient.pk}").count() == 1


def test_a_failing_handler_does_not_stop_the_mail_or_the_campaign_reply(sent):
    recipient, message = sent

    def broken(msg: EmailMessage) -> bool:
        raise RuntimeError("bug in another domain")

    service_hooks.register_inbound_mail_handler(broken)
    try:
        request = email_ingest(reply(in_reply_to=message["Message-ID"]))
    finally:
        service_hooks.INBOUND_MAIL_HANDLERS.remove(broken)
    assert ServiceRequest.objects.filter(pk=request.pk).exists()
    recipient.refresh_from_db()
    assert recipient.replied_at is not None


def test_campaigns_registers_its_handler_once():
    from clientdesk.campaigns.hooks import campaign_reply, register

    register()
    assert service_hooks.INBOUND_MAIL_HANDLERS.count(campaign_reply) == 1
