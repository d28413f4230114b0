import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clientdesk.campaigns import drift, rendering, services
from clientdesk.campaigns.models import CampaignRecipient, CaseStudy, Variant
from clientdesk.campaigns.sending import SendContext, render_for
from clientdesk.clients.models import Industry
from clientdesk.core.roles import Role

from .factories import FACTS, make_campaign, new_company, new_contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Цена 1 500 000 руб., скидка 15 %, до 15.01.2027", "ru"),
        ("Цена 1,5 млн руб., скидка 15%, до 15 января 2027 г.", "ru"),
        ("Price RUB 1,500,000, 15% off until 15 January 2027", "en"),
        ("Price 1.5 million roubles, 15 per cent off until January 15, 2027", "en"),
    ],
)
def test_figures_are_normalised_whatever_their_spelling(text, language):
    assert drift.check(text, FACTS, language) == []


def test_changed_figure_is_reported_as_missing_and_extra():
    findings = drift.check("Цена 1 500 000 руб., скидка 20 %, до 15.01.2027", FACTS)
    assert {"kind": "missing", "fact": "Скидка", "found": "15\u00a0%"} in findings
    assert {"kind": "extra", "fact": "", "found": "20 %"} in findings


def test_same_number_with_another_unit_is_different():
    findings = drift.check("Цена 1 500 000 руб., скидка 15 руб., до 15.01.2027", FACTS)
    assert findings == [{"kind": "different", "fact": "Скидка", "found": "15 руб."}]


def test_every_channel_variant_is_rendered_from_the_master_without_drift():
    campaign = make_campaign(channels=["email", "sms", "portal", "letter"])
    kinds = {(v.kind, v.language) for v in campaign.variants.all()}
    assert kinds == {(k, lang) for k in Variant.Kind.values for lang in ("ru", "en")}
    for variant in campaign.variants.all():
        assert variant.drift == [], (variant, rendering.variant_text(campaign, variant))
    sms = campaign.variants.get(kind="sms", language="ru")
    assert "1\u00a0500\u00a0000\u00a0руб." in rendering.variant_text(campaign, sms)


def test_sms_with_a_changed_figure_is_flagged_and_blocks_approval(make_staff):
    approver = make_staff(Role.SUPERVISOR)
    campaign = make_campaign(channels=["email", "sms"])
    sms = campaign.variants.get(kind="sms", language="ru")
    services.variant_update(
        variant=sms,
        subject="",
        body="Обслуживание: цена 1 500 000 руб., скидка 20 %, до 15.01.2027",
        by=None,
    )
    sms.refresh_from_db()
    assert [f["kind"] for f in sms.drift] == ["extra"]
    assert sms.drift[0]["found"] == "20 %"
    with pytest.raises(ValidationError):
        services.campaign_approve(campaign=campaign, by=approver)
    approval = services.campaign_approve(campaign=campaign, by=approver, accept_drift=True)
    assert approval.accepted_drift[0]["variant"] == "sms/ru"


def test_edit_after_approval_voids_it(make_staff):
    approver = make_staff(Role.SUPERVISOR)
    campaign = make_campaign()
    services.campaign_approve(campaign=campaign, by=approver)
    assert services.valid_approval(campaign) is not None
    email = campaign.variants.get(kind="email", language="ru")
    text = rendering.variant_text(campaign, email) + "\n\nP.S. Ждём вас."
    services.variant_update(variant=email, subject="", body=text, by=None)
    assert services.valid_approval(campaign) is None
    services.campaign_approve(campaign=campaign, by=approver)
    assert services.valid_approval(campaign) is not None
    data = services.CampaignInput(
        name=campaign.name, content=campaign.content, facts=[*campaign.facts[:2]],
        channels=campaign.channels, cta_url=campaign.cta_url,
    )  # fmt: skip
    services.campaign_update(campaign=campaign, data=data, by=None)
    assert services.valid_approval(campaign) is None


def test_marketer_cannot_approve(make_staff):
    campaign = make_campaign()
    with pytest.raises(PermissionDenied):
        services.campaign_approve(campaign=campaign, by=make_staff(Role.MARKETER))


def test_bad_facts_are_explained():
    with pytest.raises(ValidationError) as err:
        make_campaign(facts=[{"name": "Дата", "value": "15.01.2027", "unit": "date"}])
    assert "YYYY-MM-DD" in str(err.value)


def test_personalised_email_has_salutation_figures_case_and_signature(make_staff):
    manager = make_staff(Role.ACCOUNT_MANAGER, first_name="Ольга", last_name="Смирнова")
    industry = Industry.objects.create(code="10.11", section="C", name="Переработка мяса")
    company = new_company(account_manager=manager, industry=industry)
    contact = new_contact(
        company=company, first_name="Анна", patronymic="Сергеевна", last_name="Иванова",
        position="Главный бухгалтер",
    )  # fmt: skip
    fits = CaseStudy.objects.create(
        title_ru="Мясокомбинат", body_ru="Экономия 2,4 млн руб. в год", sections="C"
    )
    other = CaseStudy.objects.create(title_ru="Ритейл", body_ru="Экономия 10 %", sections="G")
    campaign = make_campaign()
    campaign.case_studies.set([fits, other])
    recipient = CampaignRecipient.objects.create(
        campaign=campaign, contact=contact, company=company, channel="email",
        address=contact.email, note="Буду рад встрече на следующей неделе.",
    )  # fmt: skip
    ctx = SendContext.load(campaign)
    rendered = render_for(recipient, ctx)
    assert rendered.text.startswith("Уважаемая Анна Сергеевна!")
    assert "Мясокомбинат" in rendered.text and "Ритейл" not in rendered.text
    assert "Ольга Смирнова" in rendered.text
    assert "Буду рад встрече" in rendered.text
    assert "1\u00a0500\u00a0000\u00a0руб." in rendered.text
    assert f"/campaigns/t/c/{recipient.token}/0/" in rendered.html
    assert rendered.headers["List-Unsubscribe"].endswith(f"/campaigns/u/{recipient.token}/>")
    assert "<script" not in rendered.html
    recipient.language = "en"
    english = render_for(recipient, ctx)
    assert english.text.startswith("Dear Ms Иванова,")
    assert "RUB 1,500,000" in english.text


def test_letter_is_a_pdf_addressed_in_the_dative():
    from clientdesk.campaigns import pdf

    company = new_company(short_name="Вектор", postal_address="Москва, ул. Ленина, 1")
    contact = new_contact(company=company, position="Генеральный директор")
    campaign = make_campaign(channels=["letter"])
    recipient = CampaignRecipient.objects.create(
        campaign=campaign, contact=contact, company=company, channel="letter",
        address=company.postal_address,
    )  # fmt: skip
    assert pdf.addressee(recipient)[:3] == ["Генеральному директору", "Вектор", "Петрову П. П."]
    data = pdf.letters([recipient], SendContext.load(campaign))
    assert data.startswith(b"%PDF")
