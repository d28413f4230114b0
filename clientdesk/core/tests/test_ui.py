"""The page shell: no third-party hosts, two languages, error pages, labelled form fields."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import override_settings
from django.urls import reverse

from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db

# Attributes through which a page makes the browser fetch something by itself.
FETCHING = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}


class PageScan(HTMLParser):
    """Collects what the page loads and whether each form field has a label."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.inside_label = 0
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag in FETCHING and a.get(FETCHING[tag]):
            self.fetched.append(a[FETCHING[tag]] or "")
        if tag == "label":
            self.inside_label += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        if tag in {"input", "select", "textarea"} and a.get("type") not in {
            "hidden",
            "submit",
            "button",
        }:
            self.fields.append({**a, "_tag": tag, "_wrapped": "1" if self.inside_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.inside_label:
            self.inside_label -= 1

    def unlabelled(self) -> list[str]:
        return [
            str(f.get("name") or f["_tag"])
            for f in self.fields
            if not (
                f.get("_wrapped")
                or f.get("aria-label")
                or f.get("aria-labelledby")
                or (f.get("id") and f["id"] in self.label_for)
            )
        ]


def scan(response) -> PageScan:
    page = PageScan()
    page.feed(response.content.decode())
    return page


@pytest.fixture
def pages(client, make_staff, make_portal_user, login_as):
    """(name, response) of the pages the shell provides, each seen by the user it is for."""

    def collect():
        seen = [
            ("login", client.get(reverse("accounts:login"))),
            ("password reset", client.get(reverse("accounts:password_reset"))),
            ("404 anonymous", client.get("/no-such-page/")),
        ]
        login_as(make_staff(Role.CALL_OPERATOR))
        seen += [
            ("home", client.get(reverse("core:home"))),
            ("profile", client.get(reverse("accounts:profile"))),
            ("password change", client.get(reverse("accounts:password_change"))),
            ("403", client.get(reverse("core:audit"))),
        ]
        login_as(make_staff(Role.SUPERVISOR))
        seen.append(("audit", client.get(reverse("core:audit"))))
        login_as(make_portal_user())
        seen.append(("portal", client.get(reverse("portal:home"))))
        return seen

    return collect


def test_pages_load_nothing_from_other_hosts(pages) -> None:
    for name, response in pages():
        page = scan(response)
        assert page.fetched, f"{name}: expected at least the stylesheet"
        external = [u for u in page.fetched if re.match(r"^(https?:)?//", u)]
        assert external == [], f"{name} loads {external}"
        assert "/static/clientdesk/app.css" in page.fetched, name


def test_every_form_field_has_a_label(pages) -> None:
    for name, response in pages():
        assert scan(response).unlabelled() == [], name


def test_language_follows_accept_language(client) -> None:
    url = reverse("accounts:login")
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert scan(english).html_lang == "en"
    assert "Username" in english.content.decode()
    russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    assert scan(russian).html_lang == "ru"
    assert "Имя пользователя" in russian.content.decode()
    # Russian is the product's default for a browser that states no preference (the test
    # settings make English the default, so the product's own default is restored here).
    with override_settings(LANGUAGE_CODE="ru"):
        assert scan(client.get(url)).html_lang == "ru"


def test_language_switch_sticks_for_later_pages(client) -> None:
    login = reverse("accounts:login")
    response = client.post(
        reverse("set_language"), {"language": "en", "next": login}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 302
    assert response["Location"] == login
    assert scan(client.get(login, HTTP_ACCEPT_LANGUAGE="ru")).html_lang == "en"

    client.post(reverse("set_language"), {"language": "ru", "next": login})
    assert scan(client.get(login, HTTP_ACCEPT_LANGUAGE="en")).html_lang == "ru"


def test_language_switch_is_offered_on_every_page(client) -> None:
    html = client.get(reverse("accounts:login")).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'value="en"' in html and 'value="ru"' in html


def test_403_page_keeps_the_layout_and_the_users_menu(make_staff, login_as) -> None:
    response = login_as(make_staff(Role.CALL_OPERATOR)).get(reverse("core:audit"))
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'class="topbar"' in html and 'id="main"' in html
    assert f'href="{reverse("clients:company_list")}"' in html  # the menu is still there
    assert f'href="{reverse("core:audit")}"' not in html


def test_404_page_keeps_the_layout(client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert 'class="topbar"' in response.content.decode()


def test_portal_user_gets_the_403_page_on_staff_pages(make_portal_user, login_as) -> None:
    response = login_as(make_portal_user()).get(reverse("core:home"))
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]


def test_500_page_needs_no_database(rf) -> None:
    from clientdesk.core.views import error_500

    response = error_500(rf.get("/clients/"))
    assert response.status_code == 500
    assert "/static/clientdesk/app.css" in response.content.decode()


def test_menu_marks_the_current_page(make_staff, login_as) -> None:
    html = login_as(make_staff(Role.SUPERVISOR)).get(reverse("core:audit")).content.decode()
    assert f'<a href="{reverse("core:audit")}" aria-current="page">' in html


def test_label_check_catches_a_bare_field() -> None:
    page = PageScan()
    page.feed(
        '<label for="id_a">A</label><input id="id_a" name="a">'
        '<label>B <input name="b"></label><input name="c" aria-label="C">'
        '<input name="d"><input type="hidden" name="e">'
    )
    assert page.unlabelled() == ["d"]
