"""Invitations: who may invite, the e-mail, the link (hashed, single use, expiring), accepting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientdesk.accounts.models import User
from clientdesk.core.roles import Role
from clientdesk.portal.models import Invitation, PortalAccount
from clientdesk.portal.services import token_hash

from .helpers import Firms, as_user, last_token, make_firms

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Lantern-Orbit-58"


@pytest.fixture
def firms(make_staff, make_portal_user) -> Firms:
    return make_firms(make_staff, make_portal_user)


def invite(client: Client, url: str, firms: Firms, capture, **extra: str):
    data = {"action": "invite", "contact": firms.a_contact.pk, "role": "member", **extra}
    with capture(execute=True):
        return client.post(url, data)


def staff_url(firms: Firms) -> str:
    return reverse("portal:staff_company", args=[firms.a.pk])


# --- who may invite --------------------------------------------------------------------------
def test_kam_invites_a_contact_of_own_company_and_mail_goes_after_commit(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    response = invite(
        as_user(firms.kam_a), staff_url(firms), firms, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "olga@alfa.ru" and invitation.state == "open"
    assert invitation.created_by == firms.kam_a
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olga@alfa.ru"]
    # Formal, in the contact's language (Russian here), with the link.
    token = last_token()
    assert invitation.token_hash == token_hash(token) and token not in invitation.token_hash
    assert len(token) >= 40


def test_invitation_mail_is_in_the_contacts_language(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    firms.a_contact.language = "en"
    firms.a_contact.gender = "f"
    firms.a_contact.save()
    invite(as_user(firms.kam_a), staff_url(firms), firms, django_capture_on_commit_callbacks)
    body = mail.outbox[0].body
    assert body.startswith("Dear Ольга Ивановна,")
    assert "Yours sincerely" in body and firms.kam_a.display_name in body


def test_kam_of_another_company_gets_404_and_other_roles_403(
    firms: Firms, make_staff, django_capture_on_commit_callbacks
) -> None:
    assert as_user(firms.kam_b).get(staff_url(firms)).status_code == 404
    response = invite(
        as_user(firms.kam_b), staff_url(firms), firms, django_capture_on_commit_callbacks
    )
    assert response.status_code == 404
    assert as_user(make_staff(Role.CALL_OPERATOR)).get(staff_url(firms)).status_code == 403
    assert as_user(make_staff(Role.MARKETER)).get(staff_url(firms)).status_code == 403
    assert as_user(firms.a_admin).get(staff_url(firms)).status_code == 403
    # A supervisor manages every company's portal.
    assert as_user(make_staff(Role.SUPERVISOR)).get(staff_url(firms)).status_code == 200
    assert not Invitation.objects.exists() and not mail.outbox


def test_company_admin_invites_for_own_company_member_gets_403(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    url = reverse("portal:team")
    assert as_user(firms.a_member).get(url).status_code == 403
    assert (
        invite(as_user(firms.a_member), url, firms, django_capture_on_commit_callbacks).status_code
        == 403
    )
    response = invite(as_user(firms.a_admin), url, firms, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Invitation.objects.get().company == firms.a


def test_admin_cannot_invite_a_contact_of_another_company(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    response = invite(
        as_user(firms.b_admin),
        reverse("portal:team"),
        firms,
        django_capture_on_commit_callbacks,
    )
    # A's contact is not among B's choices: a form error, nothing created.
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert not Invitation.objects.exists()


def test_team_page_lists_only_own_company(firms: Firms, django_assert_max_num_queries) -> None:
    other = Invitation.objects.create(
        company=firms.b,
        contact=firms.b_contact,
        email="someone@beta.ru",
        role="member",
        token_hash="x" * 64,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    client = as_user(firms.a_admin)
    with django_assert_max_num_queries(14):
        body = client.get(reverse("portal:team")).content.decode()
    assert firms.a_member.email in body
    assert firms.b_admin.email not in body and other.email not in body


def test_staff_index_lists_managed_companies_only(
    firms: Firms, django_assert_max_num_queries
) -> None:
    client = as_user(firms.kam_a)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("portal:staff_index")).content.decode()
    assert "ООО Альфа" in body and "ООО Бета" not in body


def test_bad_email_is_refused_with_a_clear_message(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    response = invite(
        as_user(firms.kam_a),
        staff_url(firms),
        firms,
        django_capture_on_commit_callbacks,
        email="nope",
    )
    assert response.status_code == 200 and "e-mail" in response.content.decode()
    assert not Invitation.objects.exists()


# --- the link --------------------------------------------------------------------------------
def _invited(firms: Firms, capture) -> tuple[Invitation, str]:
    invite(as_user(firms.kam_a), staff_url(firms), firms, capture)
    return Invitation.objects.get(), last_token()


def test_accepting_creates_portal_user_logs_in_and_spends_the_link(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    invitation, token = _invited(firms, django_capture_on_commit_callbacks)
    url = reverse("portal:invitation_accept", args=[token])
    client = Client()
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    user = User.objects.get(username="olga@alfa.ru")
    assert user.kind == User.Kind.PORTAL and user.role == "" and user.check_password(GOOD_PASSWORD)
    account = PortalAccount.objects.get(user=user)
    assert account.company == firms.a and account.contact == firms.a_contact
    assert account.role == "member"
    assert client.get(reverse("portal:home")).status_code == 200
    invitation.refresh_from_db()
    assert invitation.state == "accepted" and invitation.account == account
    # Second use of the same link.
    again = Client().post(url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert again.status_code == 410
    assert User.objects.filter(username="olga@alfa.ru").count() == 1


def test_weak_or_mismatched_password_is_refused(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    _invitation, token = _invited(firms, django_capture_on_commit_callbacks)
    url = reverse("portal:invitation_accept", args=[token])
    response = Client().post(url, {"new_password1": GOOD_PASSWORD, "new_password2": "other-Pass-1"})
    assert response.status_code == 200 and "differ" in response.content.decode()
    response = Client().post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and "too common" in response.content.decode()
    assert not User.objects.filter(username="olga@alfa.ru").exists()


def test_expired_link_is_refused(
    firms: Firms, django_capture_on_commit_callbacks, settings
) -> None:
    invitation, token = _invited(firms, django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    url = reverse("portal:invitation_accept", args=[token])
    response = Client().post(url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not User.objects.filter(username="olga@alfa.ru").exists()


def test_expiry_is_configurable(firms: Firms, django_capture_on_commit_callbacks, settings) -> None:
    settings.PORTAL_INVITATION_DAYS = 2
    invitation, _token = _invited(firms, django_capture_on_commit_callbacks)
    left = invitation.expires_at - timezone.now()
    assert dt.timedelta(days=1, hours=23) < left <= dt.timedelta(days=2)


def test_resend_replaces_the_link_and_revoke_kills_it(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    invitation, old = _invited(firms, django_capture_on_commit_callbacks)
    kam = as_user(firms.kam_a)
    with django_capture_on_commit_callbacks(execute=True):
        kam.post(staff_url(firms), {"action": "resend", "invitation": invitation.pk})
    new = last_token()
    assert new != old and len(mail.outbox) == 2
    assert Client().get(reverse("portal:invitation_accept", args=[old])).status_code == 404
    assert Client().get(reverse("portal:invitation_accept", args=[new])).status_code == 200
    kam.post(staff_url(firms), {"action": "revoke", "invitation": invitation.pk})
    assert Client().get(reverse("portal:invitation_accept", args=[new])).status_code == 410


def test_other_companys_admin_cannot_revoke_by_guessing_the_id(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    invitation, _token = _invited(firms, django_capture_on_commit_callbacks)
    response = as_user(firms.b_admin).post(
        reverse("portal:team"), {"action": "revoke", "invitation": invitation.pk}
    )
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.state == "open"


def test_guessed_tokens_are_404_then_throttled_with_429(
    firms: Firms, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TOKEN_GUESS_LIMIT = 3
    _invitation, token = _invited(firms, django_capture_on_commit_callbacks)
    guesser = Client()
    for i in range(3):
        url = reverse(
            "portal:invitation_accept", args=[f"guess{i}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]
        )
        assert guesser.get(url).status_code == 404
    blocked = guesser.get(reverse("portal:invitation_accept", args=[token]))
    assert blocked.status_code == 429
    assert "Too many" in blocked.content.decode()
    # Localised: the page follows the visitor's language.
    ru = guesser.get(reverse("portal:invitation_accept", args=[token]), HTTP_ACCEPT_LANGUAGE="ru")
    assert ru.status_code == 429 and '<html lang="ru">' in ru.content.decode()


def test_existing_username_cannot_be_invited(
    firms: Firms, django_capture_on_commit_callbacks
) -> None:
    User.objects.create(username="olga@alfa.ru", kind=User.Kind.PORTAL)
    response = invite(
        as_user(firms.kam_a), staff_url(firms), firms, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert not Invitation.objects.exists()
