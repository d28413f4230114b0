import pytest
from django.utils import timezone

from clientdesk.campaigns import services
from clientdesk.campaigns.models import CampaignRecipient
from clientdesk.clients.models import DecisionRole
from clientdesk.segments.models import RuleSegment

from .factories import consent, make_campaign, new_company, new_contact, subscribed_contact

pytestmark = pytest.mark.django_db


def _rows(campaign):
    return {
        (r.contact_id, r.channel): (r.state, r.reason)
        for r in CampaignRecipient.objects.filter(campaign=campaign)
    }


def test_every_excluded_contact_has_its_reason(make_staff):
    company = new_company()
    ok = subscribed_contact(company, decision_role=DecisionRole.DECISION_MAKER)
    never = new_contact(company=company, decision_role=DecisionRole.DECISION_MAKER)
    withdrawn = new_contact(company=company, decision_role=DecisionRole.DECISION_MAKER)
    consent(withdrawn, withdrawn_at=timezone.now())
    left = subscribed_contact(company, left_company=True, decision_role=DecisionRole.DECISION_MAKER)
    erased = subscribed_contact(
        company, erased_at=timezone.now(), decision_role=DecisionRole.DECISION_MAKER
    )
    accountant = subscribed_contact(company, decision_role=DecisionRole.ACCOUNTANT)
    no_mail = subscribed_contact(company, email="", decision_role=DecisionRole.DECISION_MAKER)
    sms_only = subscribed_contact(company, "sms", decision_role=DecisionRole.DECISION_MAKER)
    same_mail = subscribed_contact(
        company, email=ok.email, decision_role=DecisionRole.DECISION_MAKER
    )
    campaign = make_campaign(decision_roles=[DecisionRole.DECISION_MAKER])
    services.audience_build(campaign=campaign, by=None)
    rows = _rows(campaign)
    assert rows[(ok.pk, "email")] == ("pending", "")
    assert rows[(never.pk, "email")] == ("excluded", "no_consent")
    assert rows[(withdrawn.pk, "email")] == ("excluded", "withdrawn")
    assert rows[(left.pk, "email")] == ("excluded", "left_company")
    assert rows[(erased.pk, "email")] == ("excluded", "erased")
    assert rows[(accountant.pk, "email")] == ("excluded", "role")
    assert rows[(no_mail.pk, "email")] == ("excluded", "no_address")
    assert rows[(sms_only.pk, "email")] == ("excluded", "no_consent")
    assert rows[(same_mail.pk, "email")] == ("excluded", "duplicate")


def test_preferred_channel_is_honoured_when_usable():
    company = new_company()
    prefers_sms = subscribed_contact(company, phone="+79161234567", preferred_channel="sms")
    prefers_sms_no_phone = subscribed_contact(company, preferred_channel="sms")
    campaign = make_campaign(channels=["email", "sms"])
    services.audience_build(campaign=campaign, by=None)
    rows = _rows(campaign)
    assert rows[(prefers_sms.pk, "sms")] == ("pending", "")
    assert rows[(prefers_sms.pk, "email")] == ("excluded", "preference")
    # Its preferred channel is unusable: the person still hears from us by e-mail.
    assert rows[(prefers_sms_no_phone.pk, "email")] == ("pending", "")
    assert rows[(prefers_sms_no_phone.pk, "sms")] == ("excluded", "no_address")


def test_audience_follows_a_rule_segment(make_staff):
    inside = new_company(size_band="large")
    outside = new_company(size_band="small")
    a = subscribed_contact(inside)
    b = subscribed_contact(outside)
    segment = RuleSegment.objects.create(
        name="Крупные",
        owner=make_staff(),
        rules={
            "match": "all",
            "conditions": [{"field": "size_band", "op": "in", "value": ["large"]}],
        },
    )
    campaign = make_campaign(audience={"rule_segment": segment.pk})
    services.audience_build(campaign=campaign, by=None)
    rows = _rows(campaign)
    assert (a.pk, "email") in rows
    assert (b.pk, "email") not in rows


def test_rebuilding_keeps_the_account_managers_notes(make_staff):
    manager = make_staff()
    contact = subscribed_contact(new_company(account_manager=manager))
    campaign = make_campaign()
    services.audience_build(campaign=campaign, by=None)
    row = CampaignRecipient.objects.get(campaign=campaign, contact=contact)
    services.recipient_note(recipient=row, note="Позвоню после отправки.", by=manager)
    services.audience_build(campaign=campaign, by=None)
    assert CampaignRecipient.objects.get(campaign=campaign, contact=contact).note == (
        "Позвоню после отправки."
    )


def test_changing_the_filters_drops_the_built_list():
    subscribed_contact(new_company())
    campaign = make_campaign()
    services.audience_build(campaign=campaign, by=None)
    data = services.CampaignInput(
        name=campaign.name,
        content=campaign.content,
        facts=campaign.facts,
        channels=campaign.channels,
        cta_url=campaign.cta_url,
        decision_roles=[DecisionRole.ACCOUNTANT],
    )
    services.campaign_update(campaign=campaign, data=data, by=None)
    campaign.refresh_from_db()
    assert campaign.audience_built_at is None
    assert not CampaignRecipient.objects.filter(campaign=campaign, state="pending").exists()


def test_newsletters_switched_off_in_the_portal_exclude_the_person(make_portal_user):
    from clientdesk.portal.models import PortalAccount

    company = new_company()
    refused = subscribed_contact(company)
    gone_user = subscribed_contact(company)
    keeps = subscribed_contact(company)
    for contact, active in ((refused, True), (gone_user, False)):
        user = make_portal_user(company)
        user.is_active = active
        user.save(update_fields=["is_active"])
        PortalAccount.objects.filter(user=user).update(contact=contact, notify_newsletters=False)
    campaign = make_campaign(channels=["email", "portal"])
    services.audience_build(campaign=campaign, by=None)
    rows = _rows(campaign)
    assert rows[(refused.pk, "email")] == ("excluded", "opted_out")
    assert rows[(refused.pk, "portal")] == ("excluded", "opted_out")
    # A deactivated account no longer speaks for the person; others are untouched.
    assert rows[(gone_user.pk, "email")] == ("pending", "")
    assert rows[(keeps.pk, "email")] == ("pending", "")
