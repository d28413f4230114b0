"""Signing in and out, lockout after failed attempts, password change and reset."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PASSWORD = "pw"  # the factories' password


def sign_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_login_page_renders_with_labelled_fields(client) -> None:
    html = client.get(LOGIN).content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html


def test_staff_login_lands_on_home_and_is_audited(client, make_staff) -> None:
    user = make_staff(Role.CALL_OPERATOR)
    response = sign_in(client, user.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.get(reverse("core:home")).status_code == 200
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == user
    assert event.ip_address == "127.0.0.1"


def test_login_honours_a_safe_next_and_ignores_a_foreign_one(client, make_staff) -> None:
    user = make_staff(Role.SUPERVISOR)
    response = sign_in(client, user.username, next=reverse("core:audit"))
    assert response["Location"] == reverse("core:audit")
    client.logout()
    response = sign_in(client, user.username, next="https://evil.example/")
    assert response["Location"] == reverse("core:home")


def test_login_sets_the_users_interface_language(client, make_staff) -> None:
    user = make_staff(Role.CALL_OPERATOR, language="en")
    response = sign_in(client, user.username)
    assert response.cookies["django_language"].value == "en"


def test_portal_user_lands_on_the_portal(client, make_portal_user) -> None:
    user = make_portal_user()
    response = sign_in(client, user.username)
    assert response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_staff) -> None:
    user = make_staff()
    response = sign_in(client, user.username, "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_five_failures_lock_the_username_even_for_the_right_password(client, make_staff) -> None:
    user = make_staff()
    for _ in range(4):
        assert sign_in(client, user.username, "wrong").status_code == 200
    locked = sign_in(client, user.username, "wrong")
    assert locked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert "Too many failed sign-in attempts" in locked.content.decode()

    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_lockout_of_one_username_leaves_others_alone(client, make_staff) -> None:
    victim, colleague = make_staff(), make_staff()
    for _ in range(5):
        sign_in(client, victim.username, "wrong")
    assert sign_in(client, colleague.username).status_code == 302


def test_logout_is_post_only_and_audited(client, make_staff) -> None:
    user = make_staff()
    sign_in(client, user.username)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="auth.logout").actor == user


def test_password_change_keeps_the_session_and_the_new_password_works(client, make_staff) -> None:
    user = make_staff()
    sign_in(client, user.username)
    url = reverse("accounts:password_change")
    form = client.get(url).content.decode()
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'<label for="id_{name}">' in form

    too_short = client.post(
        url, {"old_password": PASSWORD, "new_password1": "x", "new_password2": "x"}
    )
    assert too_short.status_code == 200
    assert too_short.context["form"].errors["new_password2"]

    new = "Sp1ral-Staircase-42"
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response["Location"] == reverse("accounts:profile")
    assert client.get(reverse("accounts:profile")).status_code == 200  # still signed in
    assert AuditEvent.objects.filter(action="auth.password_change", actor=user).exists()

    client.post(reverse("accounts:logout"))
    assert sign_in(client, user.username, PASSWORD).status_code == 200
    assert sign_in(client, user.username, new).status_code == 302


def test_portal_user_changes_password_and_returns_to_the_portal(client, make_portal_user) -> None:
    user = make_portal_user()
    sign_in(client, user.username)
    new = "Sp1ral-Staircase-42"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response["Location"] == reverse("portal:home")


def test_password_change_needs_a_signed_in_user(client) -> None:
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def _reset_link(client, email: str) -> str:
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    match = re.search(
        r"https?://testserver(/accounts/password/reset/\S+/)", str(mail.outbox[0].body)
    )
    assert match, mail.outbox[0].body
    return match.group(1)


def test_password_reset_mail_sets_a_new_password_once(client, make_staff) -> None:
    user = make_staff(email="ivanov@example.com")
    link = _reset_link(client, "ivanov@example.com")
    assert mail.outbox[0].to == ["ivanov@example.com"]
    assert user.username in mail.outbox[0].body

    # Django swaps the token for a session key and redirects to a token-free URL.
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    new = "Sp1ral-Staircase-42"
    done = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert AuditEvent.objects.filter(action="auth.password_reset", actor=user).exists()

    assert sign_in(client, user.username, new).status_code == 302
    client.post(reverse("accounts:logout"))

    # The token was bound to the old password hash: the same link no longer works.
    reused = client.get(link, follow=True)
    assert reused.context["validlink"] is False
    assert "no longer valid" in reused.content.decode()


def test_password_reset_link_expires(client, make_staff, settings) -> None:
    make_staff(email="petrov@example.com")
    link = _reset_link(client, "petrov@example.com")
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert client.get(link, follow=True).context["validlink"] is False


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(
    client, make_staff
) -> None:
    make_staff(email="known@example.com")
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []
