import pytest
from django.urls import reverse

from clientdesk.campaigns import services
from clientdesk.campaigns.models import CampaignRecipient
from clientdesk.clients.models import Consent, Interaction, Todo
from clientdesk.core.roles import Role

from .factories import consent, make_campaign, new_company, subscribed_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient(make_staff):
    manager = make_staff(Role.ACCOUNT_MANAGER)
    contact = subscribed_contact(new_company(account_manager=manager))
    campaign = make_campaign()
    services.audience_build(campaign=campaign, by=None)
    row = CampaignRecipient.objects.get(campaign=campaign, contact=contact)
    CampaignRecipient.objects.filter(pk=row.pk).update(state="sent")
    row.refresh_from_db()
    return row


def test_unsubscribe_link_works_without_login_and_at_once(client, recipient):
    url = reverse("campaigns:unsubscribe", args=[recipient.token])
    page = client.get(url)
    assert page.status_code == 200
    # Showing the page changes nothing: link scanners must not unsubscribe people.
    assert Consent.objects.filter(contact=recipient.contact, withdrawn_at__isnull=True).exists()
    response = client.post(url)
    assert response.status_code == 200
    assert b"unsubscribed" in response.content
    withdrawn = Consent.objects.get(contact=recipient.contact)
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawal_source == "email"
    # The next campaign leaves the person out, and says why.
    campaign = make_campaign(name="Следующая")
    services.audience_build(campaign=campaign, by=None)
    row = CampaignRecipient.objects.get(campaign=campaign, contact=recipient.contact)
    assert (row.state, row.reason) == ("excluded", "withdrawn")


def test_unsubscribe_excludes_pending_sends_of_other_campaigns(client, recipient):
    other = make_campaign(name="Другая")
    services.audience_build(campaign=other, by=None)
    client.post(
        reverse("campaigns:unsubscribe", args=[recipient.token]),
        {"List-Unsubscribe": "One-Click"},
    )
    row = CampaignRecipient.objects.get(campaign=other, contact=recipient.contact)
    assert (row.state, row.reason) == ("excluded", "withdrawn")


def test_unsubscribe_withdraws_only_the_channel_when_consents_are_per_channel(client, make_staff):
    contact = subscribed_contact(new_company(), "email")
    sms = consent(contact, "sms")
    campaign = make_campaign()
    services.audience_build(campaign=campaign, by=None)
    row = CampaignRecipient.objects.get(campaign=campaign, contact=contact)
    client.post(reverse("campaigns:unsubscribe", args=[row.token]))
    sms.refresh_from_db()
    assert sms.withdrawn_at is None
    assert contact.consents.get(channel="email").withdrawn_at is not None


def test_unknown_token_is_404(client):
    assert client.get(reverse("campaigns:unsubscribe", args=["nope"])).status_code == 404
    assert client.get(reverse("campaigns:click", args=["nope", 0])).status_code == 404


def test_open_pixel_and_click_are_recorded(client, recipient):
    response = client.get(reverse("campaigns:open", args=[recipient.token]))
    assert response["Content-Type"] == "image/gif"
    response = client.get(reverse("campaigns:click", args=[recipient.token, 0]))
    assert response.status_code == 302
    assert response["Location"] == "https://example.com/offer"
    recipient.refresh_from_db()
    assert recipient.opened_at and recipient.clicked_at
    # A click is a response: the account manager gets a follow-up, once.
    client.get(reverse("campaigns:click", args=[recipient.token, 0]))
    todos = Todo.objects.filter(company=recipient.company, kind="follow_up")
    assert todos.count() == 1
    assert todos.get().assignee == recipient.company.account_manager


def test_click_never_redirects_outside_the_message(client, recipient):
    assert client.get(reverse("campaigns:click", args=[recipient.token, 1])).status_code == 404
    response = client.get(
        reverse("campaigns:click", args=[recipient.token, 0]) + "?next=https://evil.example"
    )
    assert response["Location"] == "https://example.com/offer"


def test_reply_goes_on_the_timeline_and_creates_a_follow_up(recipient):
    services.recipient_replied(recipient=recipient, summary="Интересно, пришлите договор")
    entry = Interaction.objects.get(source=f"campaigns.reply:{recipient.pk}")
    assert entry.direction == "in"
    todo = Todo.objects.get(source=f"campaigns.reply:{recipient.pk}")
    assert todo.assignee == recipient.company.account_manager
