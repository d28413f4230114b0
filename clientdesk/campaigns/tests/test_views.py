import pytest
from django.urls import reverse

from clientdesk.campaigns import services
from clientdesk.campaigns.models import Campaign, CampaignRecipient, CaseStudy
from clientdesk.core.roles import Role

from .factories import campaign_input, make_campaign, new_company, subscribed_contact

pytestmark = pytest.mark.django_db


def _post_data(**overrides):
    data = {
        "name": "Осенняя акция",
        "subject_ru": "Скидка на обслуживание",
        "key_points_ru": "Выезд в день обращения\nОдин договор",
        "conditions_ru": "",
        "cta_ru": "Ответьте на письмо",
        "facts": "Скидка | 15 | % | Discount",
        "cta_url": "https://example.com/a",
        "channels": ["email", "sms"],
        "respect_preference": "on",
        "rate_per_second": "0",
        "follow_up_days": "30",
    }
    data.update(overrides)
    return data


def test_marketer_creates_a_campaign_with_variants(make_staff, login_as):
    client = login_as(make_staff(Role.MARKETER))
    response = client.post(reverse("campaigns:create"), _post_data())
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.facts == [{"name": "Скидка", "value": "15", "unit": "%", "name_en": "Discount"}]
    assert campaign.variants.count() == 3  # e-mail, SMS, talking points (Russian only)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert page.status_code == 200
    assert "15\u00a0%" in page.content.decode()


def test_bad_fact_is_shown_on_the_form(make_staff, login_as):
    client = login_as(make_staff(Role.MARKETER))
    response = client.post(reverse("campaigns:create"), _post_data(facts="Дата | завтра | date"))
    assert response.status_code == 200
    assert "YYYY-MM-DD" in response.content.decode()
    assert not Campaign.objects.exists()


def test_analyst_gets_403_on_campaign_pages(make_staff, login_as):
    campaign = make_campaign()
    client = login_as(make_staff(Role.ANALYST))
    assert client.get(reverse("campaigns:list")).status_code == 403
    assert client.get(reverse("campaigns:create")).status_code == 403
    assert (
        client.post(reverse("campaigns:edit", args=[campaign.pk]), _post_data()).status_code == 403
    )
    assert client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == 403


def test_portal_user_gets_403(make_portal_user, login_as):
    campaign = make_campaign()
    client = login_as(make_portal_user())
    for url in (
        reverse("campaigns:list"),
        reverse("campaigns:detail", args=[campaign.pk]),
        reverse("campaigns:touches"),
    ):
        assert client.get(url).status_code == 403


def test_marketer_cannot_approve_but_supervisor_can(make_staff, login_as, client):
    campaign = make_campaign()
    url = reverse("campaigns:approve", args=[campaign.pk])
    login_as(make_staff(Role.MARKETER))
    assert client.post(url).status_code == 403
    assert services.valid_approval(campaign) is None
    login_as(make_staff(Role.SUPERVISOR))
    assert client.post(url).status_code == 302
    assert services.valid_approval(campaign) is not None
    # The approver reads the campaign but cannot edit it.
    assert client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == 200
    assert client.get(reverse("campaigns:edit", args=[campaign.pk])).status_code == 403


def test_list_page_query_count_does_not_grow(make_staff, login_as, django_assert_max_num_queries):
    client = login_as(make_staff(Role.MARKETER))
    for n in range(3):
        campaign = make_campaign(name=f"Кампания {n}")
        subscribed_contact(new_company())
        services.audience_build(campaign=campaign, by=None)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("campaigns:list"))
    assert response.status_code == 200
    for n in range(5):
        make_campaign(name=f"Ещё {n}")
    with django_assert_max_num_queries(8):
        client.get(reverse("campaigns:list"))


def test_pages_of_a_sent_campaign_render(make_staff, login_as):
    campaign = make_campaign(channels=["email", "letter"])
    contact = subscribed_contact(new_company(postal_address="Москва"))
    services.audience_build(campaign=campaign, by=None)
    row = CampaignRecipient.objects.filter(campaign=campaign, contact=contact).first()
    assert row is not None
    CampaignRecipient.objects.filter(campaign=campaign).update(state="sent")
    client = login_as(make_staff(Role.MARKETER))
    for url in (
        reverse("campaigns:audience", args=[campaign.pk]),
        reverse("campaigns:audience", args=[campaign.pk]) + "?reason=no_consent",
        reverse("campaigns:results", args=[campaign.pk]),
        reverse("campaigns:preview", args=[campaign.pk, row.pk]),
        reverse("campaigns:case_list"),
        reverse("campaigns:case_create"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    results = client.get(reverse("campaigns:results", args=[campaign.pk])).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in results
    letters = client.get(reverse("campaigns:letters_pdf", args=[campaign.pk]))
    assert letters.content.startswith(b"%PDF")


def test_case_study_needs_figures(make_staff, login_as):
    client = login_as(make_staff(Role.MARKETER))
    response = client.post(
        reverse("campaigns:case_create"), {"title_ru": "Завод", "body_ru": "Всё стало лучше"}
    )
    assert response.status_code == 200
    assert not CaseStudy.objects.exists()
    client.post(
        reverse("campaigns:case_create"),
        {
            "title_ru": "Завод",
            "body_ru": "Простои сократились на 30 %",
            "sections": "c",
            "is_active": "on",
        },
    )
    assert CaseStudy.objects.get().sections == "C"


def test_account_manager_sees_only_own_clients_touches_and_adds_a_note(make_staff, login_as):
    mine, theirs = make_staff(), make_staff()
    my_contact = subscribed_contact(new_company(account_manager=mine))
    their_contact = subscribed_contact(new_company(account_manager=theirs))
    campaign = make_campaign()
    services.audience_build(campaign=campaign, by=None)
    my_row = CampaignRecipient.objects.get(contact=my_contact)
    their_row = CampaignRecipient.objects.get(contact=their_contact)
    client = login_as(mine)
    page = client.get(reverse("campaigns:touches")).content.decode()
    assert my_contact.full_name in page and f"touch-{their_row.pk}" not in page
    response = client.post(
        reverse("campaigns:touch_note", args=[my_row.pk]),
        {"note": "Анна, обсудим на встрече в четверг."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    my_row.refresh_from_db()
    assert my_row.note == "Анна, обсудим на встрече в четверг."
    # A colleague's client is not reachable, not even by guessing the id.
    response = client.post(reverse("campaigns:touch_note", args=[their_row.pk]), {"note": "x"})
    assert response.status_code == 404
    # A note may not contradict the approved figures.
    response = client.post(
        reverse("campaigns:touch_note", args=[my_row.pk]),
        {"note": "Для вас скидка 25 %!"},
        HTTP_HX_REQUEST="true",
    )
    assert "25 %" in response.content.decode()
    my_row.refresh_from_db()
    assert "25" not in my_row.note
    pdf = client.get(reverse("campaigns:talking_points", args=[my_row.pk]))
    assert pdf.content.startswith(b"%PDF")
    assert client.get(reverse("campaigns:talking_points", args=[their_row.pk])).status_code == 404


def test_note_on_a_sent_message_is_refused(make_staff):
    manager = make_staff()
    contact = subscribed_contact(new_company(account_manager=manager))
    campaign = services.campaign_create(data=campaign_input(), by=None)
    services.audience_build(campaign=campaign, by=None)
    row = CampaignRecipient.objects.get(contact=contact)
    CampaignRecipient.objects.filter(pk=row.pk).update(state="sent")
    row.refresh_from_db()
    with pytest.raises(Exception, match="already gone out"):
        services.recipient_note(recipient=row, note="Поздно", by=manager)


def test_account_manager_touches_page_query_count(
    make_staff, login_as, django_assert_max_num_queries
):
    manager = make_staff()
    for _ in range(2):
        campaign = make_campaign()
        for _ in range(3):
            subscribed_contact(new_company(account_manager=manager))
        services.audience_build(campaign=campaign, by=None)
    client = login_as(manager)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("campaigns:touches")).status_code == 200


def test_detail_page_flags_a_drifting_variant_for_the_approver(make_staff, login_as):
    campaign = make_campaign(channels=["email", "sms"])
    sms = campaign.variants.get(kind="sms", language="ru")
    services.variant_update(
        variant=sms, subject="", body="Скидка 20 % до 15.01.2027, цена 1,5 млн руб.", by=None
    )
    client = login_as(make_staff(Role.SUPERVISOR))
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert "Not in the master: 20 %" in page
    assert 'name="accept_drift"' in page
    response = client.post(reverse("campaigns:approve", args=[campaign.pk]), follow=True)
    assert services.valid_approval(campaign) is None
    assert "differ from the master" in response.content.decode()
    client.post(reverse("campaigns:approve", args=[campaign.pk]), {"accept_drift": "on"})
    assert services.valid_approval(campaign) is not None


def test_call_operator_has_no_campaign_touches_page(make_staff, login_as):
    from clientdesk.core.roles import Role

    client = login_as(make_staff(Role.CALL_OPERATOR))
    assert client.get(reverse("campaigns:touches")).status_code == 403
