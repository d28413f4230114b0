import datetime as dt
import email.header

import pytest
from django.test import override_settings
from django.utils import timezone

from clientdesk.campaigns import sending, services
from clientdesk.campaigns.models import Campaign, CampaignRecipient, PortalNotice, SmsMessage
from clientdesk.clients.models import Interaction
from clientdesk.core.roles import Role

from . import smtp
from .factories import make_campaign, new_company, subscribed_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_server():
    controller, collector = smtp.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=controller.port,
        CAMPAIGNS_RATE_PER_SECOND=0,
    ):
        yield collector
    controller.stop()


def _subject(message):
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def _ready_campaign(make_staff, n=5, **kwargs):
    manager = make_staff(Role.ACCOUNT_MANAGER)
    company = new_company(account_manager=manager)
    contacts = [subscribed_contact(company) for _ in range(n)]
    campaign = make_campaign(**kwargs)
    services.audience_build(campaign=campaign, by=None)
    services.campaign_approve(campaign=campaign, by=make_staff(Role.SUPERVISOR))
    return campaign, contacts


def test_campaign_goes_out_through_a_real_smtp_server(
    make_staff, smtp_server, django_capture_on_commit_callbacks
):
    campaign, contacts = _ready_campaign(make_staff, n=3)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs after commit
        services.campaign_schedule(campaign=campaign, by=None)
    assert len(smtp_server.messages) == 3
    message = smtp_server.messages[0]
    assert _subject(message) == "Обслуживание оборудования на особых условиях"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert {m["To"] for m in smtp_server.messages} == {c.email for c in contacts}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    assert {r.state for r in rows} == {"sent"}
    assert {r.message_id for r in rows} == {m["Message-ID"] for m in smtp_server.messages}
    # Each send is on the contact's timeline.
    entries = Interaction.objects.filter(source__startswith="campaigns.recipient:")
    assert {e.contact_id for e in entries} == {c.pk for c in contacts}
    assert {e.direction for e in entries} == {"out"}


def test_unapproved_or_edited_campaign_is_not_sent(make_staff, smtp_server):
    campaign, _ = _ready_campaign(make_staff, n=2)
    services.campaign_schedule(
        campaign=campaign, send_at=timezone.now() + dt.timedelta(hours=1), by=None
    )
    email_variant = campaign.variants.get(kind="email", language="ru")
    services.variant_update(variant=email_variant, subject="Новая тема", body="", by=None)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, send_at=timezone.now()
    )
    report = sending.send_campaign(campaign_id=campaign.pk)
    assert report.sent == 0
    assert smtp_server.messages == []
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_resume_after_a_crash_sends_nothing_twice(make_staff, smtp_server):
    campaign, _contacts = _ready_campaign(make_staff, n=10)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, send_at=timezone.now()
    )
    # First worker: sends 4 and "dies" (stops without cleaning up) ...
    first = sending.send_campaign(campaign_id=campaign.pk, batch_size=4, max_messages=4)
    assert first.sent == 4
    # ... with one message in flight (accepted by SMTP, not yet marked sent) and a claimed
    # batch it never started: exactly what a SIGKILL leaves behind.
    rows = list(CampaignRecipient.objects.filter(campaign=campaign, state="pending"))
    in_flight, claimed = rows[0], rows[1:3]
    long_ago = timezone.now() - dt.timedelta(hours=1)
    CampaignRecipient.objects.filter(pk=in_flight.pk).update(
        state="sending", claim_id="dead", claimed_at=long_ago
    )
    CampaignRecipient.objects.filter(pk__in=[r.pk for r in claimed]).update(
        state="claimed", claim_id="dead", claimed_at=long_ago
    )
    second = sending.send_campaign(campaign_id=campaign.pk)
    assert (second.released, second.unknown) == (2, 1)
    assert second.sent == 5
    received = [m["To"] for m in smtp_server.messages]
    assert len(received) == len(set(received)) == 9
    in_flight.refresh_from_db()
    assert in_flight.state == "unknown"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE


def test_two_workers_never_claim_the_same_row(make_staff):
    campaign, _ = _ready_campaign(make_staff, n=6)
    a = sending._claim(campaign, "a", 4)
    b = sending._claim(campaign, "b", 4)
    assert len(a) == 4 and len(b) == 2
    assert not {r.pk for r in a} & {r.pk for r in b}


def test_throttle_spaces_messages():
    throttle = sending.Throttle(1000)
    throttle.wait()
    first = throttle.next_at
    throttle.wait()
    assert throttle.next_at - first == pytest.approx(0.001)


def test_sms_and_portal_notices(make_staff, django_capture_on_commit_callbacks):
    company = new_company()
    contact = subscribed_contact(company, phone="+79161234567")
    campaign = make_campaign(channels=["sms", "portal"], respect_preference=False)
    services.audience_build(campaign=campaign, by=None)
    services.campaign_approve(campaign=campaign, by=make_staff(Role.SUPERVISOR))
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_schedule(campaign=campaign, by=None)
    sms = SmsMessage.objects.get(phone="+79161234567")
    assert sms.encoding == "UCS-2" and sms.segments >= 2
    assert "15\u00a0%" in sms.text
    notice = PortalNotice.objects.get(company=company, contact=contact)
    assert notice.title == "Обслуживание оборудования на особых условиях"


def test_contact_who_unsubscribed_after_the_build_is_skipped(
    make_staff, smtp_server, django_capture_on_commit_callbacks
):
    campaign, contacts = _ready_campaign(make_staff, n=2)
    contacts[0].consents.update(withdrawn_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_schedule(campaign=campaign, by=None)
    assert [m["To"] for m in smtp_server.messages] == [contacts[1].email]
    row = CampaignRecipient.objects.get(campaign=campaign, contact=contacts[0])
    assert (row.state, row.reason) == ("excluded", "withdrawn")


def test_periodic_job_restarts_only_senders_that_died(make_staff):
    campaign, _ = _ready_campaign(make_staff, n=1)
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SENDING, send_at=now, heartbeat_at=now
    )
    assert list(sending.due_campaigns()) == []  # a live sender is beating
    Campaign.objects.filter(pk=campaign.pk).update(heartbeat_at=now - dt.timedelta(minutes=5))
    assert list(sending.due_campaigns()) == [campaign.pk]
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, send_at=now + dt.timedelta(hours=1)
    )
    assert list(sending.due_campaigns()) == []


def test_pause_stops_the_sender_and_keeps_the_rest_pending(make_staff, smtp_server):
    campaign, _ = _ready_campaign(make_staff, n=4)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
    report = sending.send_campaign(campaign_id=campaign.pk)
    assert report.sent == 0 and smtp_server.messages == []
    assert CampaignRecipient.objects.filter(campaign=campaign, state="pending").count() == 4


def test_unknown_rows_are_resent_only_on_request(make_staff, smtp_server):
    campaign, _ = _ready_campaign(make_staff, n=2)
    row = CampaignRecipient.objects.filter(campaign=campaign).first()
    assert row is not None
    CampaignRecipient.objects.filter(pk=row.pk).update(state="unknown")
    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled", send_at=timezone.now())
    sending.send_campaign(campaign_id=campaign.pk)
    assert len(smtp_server.messages) == 1
    campaign.refresh_from_db()
    assert services.campaign_resend_unknown(campaign=campaign, by=None) == 1
    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled")
    sending.send_campaign(campaign_id=campaign.pk)
    assert len(smtp_server.messages) == 2
