"""Issue 7, "done means": a portal user's whole journey in headless Chromium.

Accept the invitation from the e-mail, set a password, sign in, read a knowledge-base article,
open a request with a file attached, book a visit to a service center, receive the staff's
reply — and a user of a second company sees none of it (lists) and gets 404 for its addresses.

The live server runs in this process with the locmem e-mail backend, so the invitation link is
taken from `mail.outbox`. Screenshots of every step: /tmp/shots/journey_*.png (outside the
repository). Timeouts are generous (a loaded machine); nothing here asserts a duration.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clientdesk.accounts.models import User
from clientdesk.centers import selectors as center_selectors
from clientdesk.centers.models import Appointment, ServiceCenter
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.clients.models import Channel, Company, Contact
from clientdesk.core.roles import Role
from clientdesk.core.tests.browser import sign_in
from clientdesk.knowledge.models import Article, ArticleStatus, Visibility
from clientdesk.knowledge.services import ArticleInput, article_save
from clientdesk.portal import services as portal_services
from clientdesk.portal.models import DocumentKind, SharedDocument
from clientdesk.service import services as service_services
from clientdesk.service.models import Attachment, Service, ServiceRequest
from clientdesk.service.tests.factories import new_company, new_contact, new_service

from .helpers import TOKEN_IN_LINK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Lantern-Orbit-58"
EVERY_DAY = {day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SUBJECT = "Reconciliation statement for the third quarter"
REPLY = "The reconciliation statement is signed and attached to your account."


@dataclass
class World:
    kam: User
    alpha: Company
    olga: Contact  # invited, has no account yet
    beta_user: User
    center: ServiceCenter
    visit: Service  # booked at the center
    statement: Service  # asked for in the portal
    article: Article
    document: SharedDocument  # shared with Alpha


def _world(make_staff: Any, make_portal_user: Any) -> World:
    kam = make_staff(Role.ACCOUNT_MANAGER, first_name="Irina")
    alpha = new_company(legal_name="ООО Альфа", short_name="Альфа", account_manager=kam)
    beta = new_company(legal_name="ООО Бета", short_name="Бета", account_manager=make_staff())
    olga = new_contact(
        company=alpha,
        first_name="Olga",
        last_name="Petrova",
        patronymic="Ivanovna",
        email="olga@alfa.ru",
        language="en",
    )
    beta_user = make_portal_user(beta)
    account = beta_user.portal_account
    account.contact = new_contact(company=beta, email="boss@beta.ru", language="en")
    account.save()

    center = new_center(name="Центр на Тверской", week=EVERY_DAY)
    visit = new_service(
        name="Подписание договора",
        name_en="Signing the contract",
        channels=[Channel.VISIT],
        in_person_required=True,
    )
    new_group(center, "A", service=visit, handling_minutes=30)
    new_desk(center, "1", services=(visit,))
    statement = new_service(
        name="Акт сверки",
        name_en="Reconciliation statement",
        channels=[Channel.PORTAL, Channel.EMAIL],
    )
    article = article_save(
        data=ArticleInput(
            slug="reconciliation-statement",
            title="Как получить акт сверки",
            title_en="How to get a reconciliation statement",
            body="Акт сверки готовится за три рабочих дня.",
            body_en="A reconciliation statement takes three working days.",
            visibility=Visibility.PORTAL,
            status=ArticleStatus.PUBLISHED,
        ),
        by=None,
    )
    document = portal_services.document_upload(
        company=alpha,
        data=portal_services.DocumentInput(
            kind=DocumentKind.ACT,
            title="Act of services for October",
            name="act-october.pdf",
            stream=io.BytesIO(PDF),
            size=len(PDF),
        ),
        by=kam,
    )
    return World(kam, alpha, olga, beta_user, center, visit, statement, article, document)


def _first_free_slot(center: ServiceCenter, service: Service) -> dt.datetime:
    """The first free time from tomorrow on (the calendar may close a day)."""
    today = timezone.now().astimezone(center.tz).date()
    for ahead in range(1, 15):
        slots = center_selectors.day_slots(center, service, today + dt.timedelta(days=ahead))
        if slots:
            return slots[0].starts_at
    raise AssertionError("the test center has no free time in the next two weeks")


def _invitation_path() -> str:
    match = TOKEN_IN_LINK.search(str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(0)


def _status(page: Any, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return int(response.status)


def test_portal_journey_and_the_other_company_sees_none_of_it(
    open_page: Callable[[], Any],
    shot: Callable[[Any, str], Path],
    make_staff: Any,
    make_portal_user: Any,
    tmp_path: Path,
) -> None:
    w = _world(make_staff, make_portal_user)

    # --- the invitation e-mail ----------------------------------------------------------------
    portal_services.invitation_create(
        company=w.alpha,
        data=portal_services.InvitationInput(contact=w.olga, email="olga@alfa.ru"),
        by=w.kam,
    )
    assert mail.outbox[-1].to == ["olga@alfa.ru"]
    page = open_page()
    page.goto(_invitation_path())
    assert page.locator("h1").inner_text() == "Welcome to the client portal"
    assert "olga@alfa.ru" in page.locator("main").inner_text()
    shot(page, "journey_01_invitation")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/portal/")
    shot(page, "journey_02_portal_home")

    # --- signing out and in again with the new password -------------------------------------
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")
    sign_in(page, "olga@alfa.ru", NEW_PASSWORD, landing="**/portal/")

    # --- the knowledge base -----------------------------------------------------------------
    page.goto("/kb/")
    shot(page, "journey_03_kb_index")
    page.get_by_role("link", name="How to get a reconciliation statement").click()
    page.wait_for_url(f"**/kb/{w.article.slug}/")
    assert "three working days" in page.locator("article").inner_text()
    page.get_by_label("Yes").check()
    page.locator("#kb-feedback").get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your answer.").wait_for()
    shot(page, "journey_04_article")
    w.article.refresh_from_db()
    assert (w.article.helpful_yes, w.article.view_count) == (1, 1)

    # --- a new request with a file ----------------------------------------------------------
    page.goto("/portal/requests/new/")
    shot(page, "journey_05_request_services")
    page.get_by_role("link", name="Reconciliation statement").click()
    page.locator("#id_subject").fill(SUBJECT)
    page.locator("#id_subject").press("End")  # htmx asks for suggestions on keyup
    # The knowledge base is suggested while the subject is typed (htmx).
    page.locator("#suggestions").get_by_text("How to get a reconciliation statement").wait_for()
    page.locator("#id_body").fill("Please send the statement for July to September.")
    upload = tmp_path / "our-figures.pdf"
    upload.write_bytes(PDF)
    page.locator("#id_file").set_input_files(str(upload))
    shot(page, "journey_06_request_form")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(r"/portal/requests/\d+/$"))
    created = ServiceRequest.objects.get(company=w.alpha)
    attachment = Attachment.objects.get(request=created)
    assert (created.subject, created.service, attachment.original_name) == (
        SUBJECT,
        w.statement,
        "our-figures.pdf",
    )
    assert page.locator(".attachments").get_by_role("link", name="our-figures.pdf").is_visible()
    shot(page, "journey_07_request_sent")

    # --- booking a visit ----------------------------------------------------------------------
    starts_at = _first_free_slot(w.center, w.visit)
    page.goto("/portal/appointments/new/")
    page.locator("#id_service").select_option(label="Signing the contract")
    page.locator("#id_center").select_option(label=w.center.name)
    page.locator("#id_day").fill(starts_at.date().isoformat())
    # The free times arrive with htmx once service, center and day are chosen.
    page.locator("#slots input[name=starts_at]").first.wait_for()
    shot(page, "journey_08_booking_slots")
    slot = page.locator(f'input[name=starts_at][value="{starts_at.isoformat()}"]')
    slot.check()
    shot(page, "journey_08_booking_chosen")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url(re.compile(r"/portal/appointments/\d+/$"))
    booked = Appointment.objects.get(company=w.alpha)
    assert (booked.starts_at, booked.service, booked.contact) == (starts_at, w.visit, w.olga)
    assert booked.source == Appointment.Source.PORTAL
    shot(page, "journey_09_appointment")

    # --- the staff reply ----------------------------------------------------------------------
    sent_before = len(mail.outbox)
    service_services.request_reply(request=created, body=REPLY, by=w.kam)
    reply_mail = [m for m in mail.outbox[sent_before:] if "olga@alfa.ru" in m.to]
    assert len(reply_mail) == 1 and REPLY in reply_mail[0].body
    page.goto(f"/portal/requests/{created.pk}/")
    reply = page.locator("article.message-reply")
    assert REPLY in reply.inner_text() and "Our reply" in reply.inner_text()
    shot(page, "journey_10_reply")

    # Alpha's own lists show what was done and shared.
    page.goto("/portal/appointments/")
    assert page.locator(f'a[href="/portal/appointments/{booked.pk}/"]').count() >= 1
    page.goto("/portal/documents/")
    assert page.get_by_role("link", name=w.document.title).is_visible()
    shot(page, "journey_11_documents")

    # --- another company's user sees none of it -----------------------------------------------
    other = open_page()
    sign_in(other, w.beta_user.username, landing="**/portal/")
    other.goto("/portal/requests/")
    text = other.locator("main").inner_text()
    assert SUBJECT not in text and created.number not in text
    shot(other, "journey_12_other_requests")
    other.goto("/portal/appointments/")
    assert other.locator(f'a[href="/portal/appointments/{booked.pk}/"]').count() == 0
    assert "Signing the contract" not in other.locator("main").inner_text()
    shot(other, "journey_13_other_appointments")
    other.goto("/portal/documents/")
    assert w.document.title not in other.locator("main").inner_text()
    shot(other, "journey_14_other_documents")
    for path in [
        reverse("portal:request", args=[created.pk]),
        reverse("portal:attachment", args=[attachment.pk]),
        reverse("portal:appointment", args=[booked.pk]),
        reverse("portal:document", args=[w.document.pk]),
    ]:
        assert _status(other, path) == 404, path
    shot(other, "journey_15_other_404")
