"""Portal roles, deactivation, subsidiaries and the company switcher, documents, settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientdesk.clients.models import Channel, Company, Consent, Contract, GroupRole
from clientdesk.clients.selectors import has_consent
from clientdesk.core.roles import Role
from clientdesk.portal import services
from clientdesk.portal.models import PortalAccount, SharedDocument
from clientdesk.service.models import ServiceRequest
from clientdesk.service.services import RequestInput, request_create, request_reply
from clientdesk.service.tests.factories import new_company

from .helpers import Firms, as_user, contact_of, make_firms

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 contract"


@pytest.fixture
def firms(make_staff, make_portal_user) -> Firms:
    return make_firms(make_staff, make_portal_user)


def team_post(user, **data) -> int:
    return as_user(user).post(reverse("portal:team"), data).status_code


# --- roles -----------------------------------------------------------------------------------
def test_admin_promotes_and_demotes_a_member(firms: Firms) -> None:
    member = firms.a_member.portal_account
    assert team_post(firms.a_admin, action="role", account=member.pk, role="admin") == 302
    member.refresh_from_db()
    assert member.role == "admin"
    assert team_post(firms.a_admin, action="role", account=member.pk, role="member") == 302
    member.refresh_from_db()
    assert member.role == "member"


def test_last_admin_cannot_be_demoted_or_deactivated(firms: Firms) -> None:
    admin = firms.a_admin.portal_account
    client = as_user(firms.a_admin)
    response = client.post(
        reverse("portal:team"),
        {"action": "role", "account": admin.pk, "role": "member"},
        follow=True,
    )
    assert "without a portal administrator" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == "admin"
    # Staff neither: the rule is the company's, not the page's.
    staff = as_user(firms.kam_a)
    staff.post(
        reverse("portal:staff_company", args=[firms.a.pk]),
        {"action": "deactivate", "account": admin.pk},
    )
    firms.a_admin.refresh_from_db()
    assert firms.a_admin.is_active


def test_deactivated_member_loses_the_portal_at_once(firms: Firms) -> None:
    member_client = as_user(firms.a_member)
    assert member_client.get(reverse("portal:requests")).status_code == 200
    assert (
        team_post(firms.a_admin, action="deactivate", account=firms.a_member.portal_account.pk)
        == 302
    )
    firms.a_member.refresh_from_db()
    assert not firms.a_member.is_active
    assert member_client.get(reverse("portal:requests")).status_code in (302, 403)


def test_member_cannot_manage_and_other_company_ids_are_404(firms: Firms) -> None:
    member = firms.a_member.portal_account
    assert team_post(firms.a_member, action="role", account=member.pk, role="admin") == 403
    # B's admin posting A's account id.
    assert team_post(firms.b_admin, action="deactivate", account=member.pk) == 404
    assert team_post(firms.b_admin, action="role", account=member.pk, role="admin") == 404
    firms.a_member.refresh_from_db()
    member.refresh_from_db()
    assert firms.a_member.is_active and member.role == "member"


# --- subsidiaries ----------------------------------------------------------------------------
def _group(firms: Firms) -> tuple[Company, Company]:
    Company.objects.filter(pk=firms.a.pk).update(group_role=GroupRole.HOLDING)
    sub = new_company(legal_name="ООО Альфа-Юг", parent=firms.a, group_role=GroupRole.SUBSIDIARY)
    return sub, new_company(legal_name="ООО Чужая")


def test_staff_grant_only_real_subsidiaries(firms: Firms) -> None:
    sub, stranger = _group(firms)
    account = firms.a_member.portal_account
    url = reverse("portal:staff_company", args=[firms.a.pk])
    kam = as_user(firms.kam_a)
    kam.post(url, {"action": "grant", "account": account.pk, "company": stranger.pk})
    kam.post(url, {"action": "grant", "account": account.pk, "company": firms.b.pk})
    assert not account.extra_companies.exists()
    kam.post(url, {"action": "grant", "account": account.pk, "company": sub.pk})
    assert list(account.extra_companies.all()) == [sub]
    # The portal admin cannot grant subsidiaries (staff only).
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        services.extra_company_grant(account=account, company=sub, by=firms.a_admin)


def test_switching_company_scopes_every_list_and_object(firms: Firms) -> None:
    sub, _stranger = _group(firms)
    account = firms.a_member.portal_account
    services.extra_company_grant(account=account, company=sub, by=firms.kam_a)
    own = request_create(
        data=RequestInput(company=firms.a, channel=Channel.PORTAL, subject="Головной офис"), by=None
    )
    theirs = request_create(
        data=RequestInput(company=sub, channel=Channel.PORTAL, subject="Филиал юг"), by=None
    )
    client = as_user(firms.a_member)
    body = client.get(reverse("portal:requests")).content.decode()
    assert "Головной офис" in body and "Филиал юг" in body
    assert client.post(reverse("portal:switch_company"), {"company": sub.pk}).status_code == 302
    body = client.get(reverse("portal:requests")).content.decode()
    assert "Филиал юг" in body and "Головной офис" not in body
    assert client.get(reverse("portal:request", args=[own.pk])).status_code == 404
    assert client.get(reverse("portal:request", args=[theirs.pk])).status_code == 200
    # A new request is filed for the company being viewed.
    client.post(reverse("portal:request_new") + "?other=1", {"subject": "Из филиала"})
    assert ServiceRequest.objects.get(subject="Из филиала").company == sub
    # A company that is not one's own: 404, and nothing changes.
    assert client.post(reverse("portal:switch_company"), {"company": firms.b.pk}).status_code == 404
    # Withdrawn access falls back to the own company, never to everything.
    services.extra_company_revoke(account=account, company=sub, by=firms.kam_a)
    assert client.get(reverse("portal:request", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("portal:request", args=[own.pk])).status_code == 200


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(choice=st.sampled_from(["", "own", "sub", "other"]))
def test_isolation_holds_whatever_company_is_chosen(firms: Firms, choice: str) -> None:
    sub, _stranger = _group(firms)
    account = PortalAccount.objects.get(pk=firms.a_member.portal_account.pk)
    account.extra_companies.add(sub)
    ids = {"": None, "own": firms.a.pk, "sub": sub.pk, "other": firms.b.pk}
    try:
        services.current_company_set(account=account, company_id=ids[choice])
    except Exception:
        assert choice == "other"
    b_request = request_create(
        data=RequestInput(company=firms.b, channel=Channel.PORTAL, subject="Бета"), by=None
    )
    client = as_user(firms.a_member)
    assert client.get(reverse("portal:request", args=[b_request.pk])).status_code == 404
    assert "Бета" not in client.get(reverse("portal:requests")).content.decode()


# --- documents -------------------------------------------------------------------------------
def _upload(firms: Firms, company: Company, **extra: Any) -> Any:
    data = {
        "action": "document",
        "kind": "contract",
        "title": "Договор 2027",
        "file": SimpleUploadedFile('../../etc/"dog".pdf', PDF),
        "visible_in_portal": "on",
        **extra,
    }
    return as_user(firms.kam_a if company == firms.a else firms.kam_b).post(
        reverse("portal:staff_company", args=[company.pk]), data
    )


def test_staff_upload_and_portal_download_with_safe_headers(firms: Firms) -> None:
    contract = Contract.objects.create(company=firms.a, number="Д-7")
    assert _upload(firms, firms.a, contract=contract.pk).status_code == 302
    document = SharedDocument.objects.get()
    assert document.contract == contract and document.content_type == "application/pdf"
    assert "/" not in document.original_name and '"' not in document.original_name
    response = as_user(firms.a_member).get(reverse("portal:document", args=[document.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\r" not in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]


def test_documents_are_scoped_hidden_ones_are_not_shown(
    firms: Firms, django_assert_max_num_queries
) -> None:
    _upload(firms, firms.a)
    _upload(firms, firms.b, title="Бета: акт", kind="act")
    _upload(firms, firms.a, title="Черновик", **{"visible_in_portal": ""})
    a_doc = SharedDocument.objects.get(company=firms.a, title="Договор 2027")
    hidden = SharedDocument.objects.get(title="Черновик")
    assert not hidden.visible_in_portal
    client = as_user(firms.b_admin)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("portal:documents")).content.decode()
    assert "Бета: акт" in body and "Договор 2027" not in body
    assert client.get(reverse("portal:document", args=[a_doc.pk])).status_code == 404
    member = as_user(firms.a_member)
    assert "Черновик" not in member.get(reverse("portal:documents")).content.decode()
    assert member.get(reverse("portal:document", args=[hidden.pk])).status_code == 404
    # Staff who do not manage A cannot fetch it either.
    assert (
        as_user(firms.kam_b).get(reverse("portal:staff_document", args=[a_doc.pk])).status_code
        == 404
    )


def test_disguised_or_oversized_file_is_refused(firms: Firms, settings) -> None:
    response = _upload(firms, firms.a, file=SimpleUploadedFile("x.pdf", b"<html><script>"))
    assert response.status_code == 200 and "cannot be attached" in response.content.decode()
    settings.SERVICE_ATTACHMENT_MAX_BYTES = 5
    response = _upload(firms, firms.a)
    assert response.status_code == 200 and "can be attached" in response.content.decode()
    assert not SharedDocument.objects.exists()


def test_contract_of_another_company_is_refused(firms: Firms) -> None:
    foreign = Contract.objects.create(company=firms.b, number="Б-1")
    response = _upload(firms, firms.a, contract=foreign.pk)
    assert response.status_code == 200 and not SharedDocument.objects.exists()


# --- preferences and consents ----------------------------------------------------------------
def test_notification_preferences_are_saved_and_reply_mail_honours_them(
    firms: Firms, make_staff, django_capture_on_commit_callbacks
) -> None:
    client = as_user(firms.a_member)
    assert client.get(reverse("portal:preferences")).status_code == 200
    client.post(reverse("portal:preferences"), {"action": "notifications", "status_change": "on"})
    account = PortalAccount.objects.get(user=firms.a_member)
    assert not account.notify_request_reply and account.notify_status_change
    agent = make_staff(Role.CALL_OPERATOR)
    contact = account.contact
    portal_request = request_create(
        data=RequestInput(
            company=firms.a, contact=contact, channel=Channel.PORTAL, subject="Вопрос"
        ),
        by=firms.a_member,
    )
    with django_capture_on_commit_callbacks(execute=True):
        request_reply(request=portal_request, body="Ответ", by=agent)
    assert mail.outbox == []
    # A request that came by e-mail is answered by e-mail whatever the portal settings.
    email_request = request_create(
        data=RequestInput(
            company=firms.a, contact=contact, channel=Channel.EMAIL, subject="Письмо"
        ),
        by=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        request_reply(request=email_request, body="Ответ", by=agent)
    assert len(mail.outbox) == 1


def test_consents_are_given_and_withdrawn_through_the_registry(firms: Firms) -> None:
    contact = contact_of(firms.a_member)
    client = as_user(firms.a_member)
    client.post(
        reverse("portal:preferences"),
        {"action": "consents", "marketing__email": "on", "surveys__phone": "on"},
    )
    assert has_consent(contact, "marketing", "email") and has_consent(contact, "surveys", "phone")
    assert not has_consent(contact, "marketing", "sms")
    assert set(Consent.objects.values_list("source", flat=True)) == {"portal"}
    client.post(reverse("portal:preferences"), {"action": "consents", "surveys__phone": "on"})
    assert not has_consent(contact, "marketing", "email")
    withdrawn = Consent.objects.get(purpose="marketing", channel="email")
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawal_source == "portal"


def test_general_consent_is_split_when_one_channel_is_withdrawn(firms: Firms) -> None:
    from clientdesk.clients.services import consent_give

    contact = contact_of(firms.a_member)
    consent_give(contact=contact, purpose="marketing", source="paper", by=None)
    client = as_user(firms.a_member)
    page = client.get(reverse("portal:preferences")).content.decode()
    assert 'name="marketing__sms" checked' in page or 'name="marketing__sms"' in page
    client.post(
        reverse("portal:preferences"),
        {"action": "consents", "marketing__email": "on", "marketing__phone": "on"},
    )
    assert has_consent(contact, "marketing", "email") and has_consent(contact, "marketing", "phone")
    assert not has_consent(contact, "marketing", "sms")


def test_staff_get_403_on_new_portal_pages(firms: Firms, make_staff) -> None:
    staff = as_user(make_staff(Role.ADMIN))
    for name in ("portal:team", "portal:documents", "portal:preferences"):
        assert staff.get(reverse(name)).status_code == 403, name


def test_anonymous_is_sent_to_login_from_new_pages() -> None:
    for name in ("portal:team", "portal:documents", "portal:preferences", "portal:staff_index"):
        assert Client().get(reverse(name)).status_code == 302, name


def test_staff_company_page_query_count_does_not_grow_with_rows(
    firms: Firms, make_portal_user, django_assert_max_num_queries
) -> None:
    for i in range(6):
        make_portal_user(firms.a)
        _upload(firms, firms.a, title=f"Акт {i}", kind="act")
    client = as_user(firms.kam_a)
    url = reverse("portal:staff_company", args=[firms.a.pk])
    with django_assert_max_num_queries(20):
        body = client.get(url).content.decode()
    assert "Акт 5" in body and body.count('value="deactivate"') >= 6


def test_status_changes_are_e_mailed_formally_unless_switched_off(
    firms: Firms, make_staff, django_capture_on_commit_callbacks
) -> None:
    from django.utils import translation

    from clientdesk.service.models import Status
    from clientdesk.service.services import request_change_status, request_resolve

    account = PortalAccount.objects.get(user=firms.a_member)
    contact = contact_of(firms.a_member)
    contact.language, contact.gender = "ru", "m"
    contact.save(update_fields=["language", "gender"])
    agent = make_staff(Role.CALL_OPERATOR)
    portal_request = request_create(
        data=RequestInput(
            company=firms.a, contact=contact, channel=Channel.PORTAL, subject="Счёт за май"
        ),
        by=firms.a_member,
    )
    with django_capture_on_commit_callbacks(execute=True):
        request_change_status(request=portal_request, to="in_progress", by=agent)
    assert mail.outbox == []  # taken into work: nothing to tell
    with django_capture_on_commit_callbacks(execute=True):
        request_resolve(request=portal_request, by=agent, comment="Счёт исправлен")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    subject = str(sent.subject)
    assert sent.to == [contact.email] and str(portal_request.number) in subject
    with translation.override("ru"):
        resolved = str(Status.RESOLVED.label)
    assert subject.endswith(f"Ваше обращение: {resolved}")
    assert sent.body.startswith("Уважаемый ") and "Счёт исправлен" in sent.body
    assert f"/portal/requests/{portal_request.pk}/" in sent.body
    # Switched off in the portal: no e-mail for the next change.
    PortalAccount.objects.filter(pk=account.pk).update(notify_status_change=False)
    with django_capture_on_commit_callbacks(execute=True):
        request_change_status(request=portal_request, to="closed", by=agent)
    assert len(mail.outbox) == 1


def test_status_e_mail_reads_as_a_formal_russian_letter(
    firms: Firms, make_staff, django_capture_on_commit_callbacks
) -> None:
    from clientdesk.service.services import request_change_status

    contact = contact_of(firms.a_member)
    contact.language, contact.gender, contact.patronymic = "ru", "f", "Петровна"
    contact.first_name = "Анна"
    contact.save(update_fields=["language", "gender", "patronymic", "first_name"])
    agent = make_staff(Role.CALL_OPERATOR)
    portal_request = request_create(
        data=RequestInput(company=firms.a, contact=contact, channel=Channel.PORTAL, subject="Акт"),
        by=firms.a_member,
    )
    request_change_status(request=portal_request, to="in_progress", by=agent)
    with django_capture_on_commit_callbacks(execute=True):
        request_change_status(request=portal_request, to="waiting", by=agent)
    body = mail.outbox[0].body
    assert body.startswith("Уважаемая Анна Петровна!")
    assert f"Статус Вашего обращения {portal_request.number} «Акт» изменён" in body
    assert "нужны сведения от Вас" in body and "С уважением," in body
