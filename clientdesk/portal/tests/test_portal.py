from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientdesk.accounts.models import User
from clientdesk.campaigns.models import PortalNotice
from clientdesk.clients.models import Channel, Company
from clientdesk.core.roles import Role
from clientdesk.knowledge.models import ArticleStatus, SuggestionEvent, Visibility
from clientdesk.knowledge.services import ArticleInput, article_save
from clientdesk.service.models import Attachment, RequestMessage, ServiceRequest, Status
from clientdesk.service.services import (
    RequestInput,
    request_create,
    request_note,
    request_reply,
)
from clientdesk.service.tests.factories import new_company, new_service

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 test"


def open_request(
    company: Company, subject: str = "Нет связи", *, by: User | None = None
) -> ServiceRequest:
    return request_create(
        data=RequestInput(
            company=company,
            channel=Channel.PORTAL,
            subject=subject,
            body="Описание",
            attachments=[("scan.pdf", io.BytesIO(PDF), len(PDF))],
        ),
        by=by,
    )


@dataclass
class World:
    a: Company
    b: Company
    alice: User  # portal user of company A
    bob: User  # portal user of company B
    a_request: ServiceRequest
    b_request: ServiceRequest
    a_attachment: Attachment
    b_attachment: Attachment


@pytest.fixture
def world(make_portal_user, make_staff) -> World:
    a, b = new_company(legal_name="ООО Альфа"), new_company(legal_name="ООО Бета")
    alice, bob = make_portal_user(a), make_portal_user(b)
    a_request, b_request = open_request(a, "Альфа: нет связи"), open_request(b, "Бета: счёт")
    return World(
        a=a,
        b=b,
        alice=alice,
        bob=bob,
        a_request=a_request,
        b_request=b_request,
        a_attachment=a_request.attachments.get(),
        b_attachment=b_request.attachments.get(),
    )


def as_user(user: User) -> Client:
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


# --- isolation -------------------------------------------------------------------------------
def object_urls(w: World) -> list[str]:
    return [
        reverse("portal:request", args=[w.a_request.pk]),
        reverse("portal:attachment", args=[w.a_attachment.pk]),
    ]


def test_other_company_gets_404_for_every_object_url(world: World) -> None:
    bob = as_user(world.bob)
    for url in object_urls(world):
        assert bob.get(url).status_code == 404, url
    # A reply posted to a guessed id neither succeeds nor leaves a trace.
    assert bob.post(object_urls(world)[0], {"body": "чужое"}).status_code == 404
    assert not world.a_request.messages.filter(body_html__contains="чужое").exists()


def test_own_company_objects_open(world: World) -> None:
    alice = as_user(world.alice)
    for url in object_urls(world):
        assert alice.get(url).status_code == 200, url


def test_lists_show_nothing_of_other_companies(world: World) -> None:
    bob = as_user(world.bob)
    for url in [reverse("portal:home"), reverse("portal:requests")]:
        body = bob.get(url).content.decode()
        assert "Бета: счёт" in body
        assert "Альфа" not in body and str(world.a_request.number) not in body


def test_extra_company_is_visible_only_when_granted(world: World) -> None:
    # A is a subsidiary of B's group: still invisible to B's user until granted.
    Company.objects.filter(pk=world.a.pk).update(parent=world.b, group_role="subsidiary")
    bob = as_user(world.bob)
    url = reverse("portal:request", args=[world.a_request.pk])
    assert bob.get(url).status_code == 404
    world.bob.portal_account.extra_companies.add(world.a)
    assert bob.get(url).status_code == 200
    # A grant of a company that is not a subsidiary or branch (it left the group) opens nothing.
    Company.objects.filter(pk=world.a.pk).update(parent=None, group_role="")
    assert bob.get(url).status_code == 404


def test_staff_get_403_on_every_portal_page(world: World, make_staff) -> None:
    staff = as_user(make_staff(Role.ADMIN))
    urls = [
        reverse("portal:home"),
        reverse("portal:company"),
        reverse("portal:requests"),
        reverse("portal:request_new"),
        reverse("portal:suggest"),
        *object_urls(world),
    ]
    for url in urls:
        assert staff.get(url).status_code == 403, url


def test_anonymous_is_sent_to_login(world: World) -> None:
    response = Client().get(reverse("portal:requests"))
    assert response.status_code == 302 and "login" in response["Location"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    offset=st.integers(min_value=-3, max_value=6), kind=st.sampled_from(["request", "attachment"])
)
def test_guessed_ids_never_open_other_company_objects(world: World, offset: int, kind: str) -> None:
    model = ServiceRequest if kind == "request" else Attachment
    company_of = (lambda o: o.company_id) if kind == "request" else (lambda o: o.request.company_id)
    base = world.a_request.pk if kind == "request" else world.a_attachment.pk
    pk = max(base + offset, 1)
    obj = model.objects.filter(pk=pk).first()
    status = as_user(world.bob).get(reverse(f"portal:{kind}", args=[pk])).status_code
    bob_company = world.bob.portal_account.company_id
    if obj is None or company_of(obj) != bob_company:
        assert status == 404
    else:
        assert status == 200


# --- the request page ------------------------------------------------------------------------
def test_internal_notes_and_their_files_are_never_shown(world: World, make_staff) -> None:
    agent = make_staff(Role.CALL_OPERATOR)
    request_note(request=world.a_request, body="Клиент должник, не спешить", by=agent)
    request_reply(request=world.a_request, body="Проверяем линию", by=agent, send_email=False)
    body = (
        as_user(world.alice)
        .get(reverse("portal:request", args=[world.a_request.pk]))
        .content.decode()
    )
    assert "Проверяем линию" in body
    assert "должник" not in body


def test_attachment_of_a_note_is_404_for_the_client(world: World, make_staff) -> None:
    agent = make_staff(Role.CALL_OPERATOR)
    note = request_note(request=world.a_request, body="внутреннее", by=agent)
    world.a_attachment.message = note
    world.a_attachment.save()
    alice = as_user(world.alice)
    assert alice.get(reverse("portal:attachment", args=[world.a_attachment.pk])).status_code == 404


def test_client_replies_with_file_and_waiting_request_resumes(world: World) -> None:
    ServiceRequest.objects.filter(pk=world.a_request.pk).update(status=Status.WAITING)
    alice = as_user(world.alice)
    response = alice.post(
        reverse("portal:request", args=[world.a_request.pk]),
        {"body": "Вот доверенность", "file": SimpleUploadedFile("dov.pdf", PDF)},
    )
    assert response.status_code == 302
    message = world.a_request.messages.order_by("-id")[0]
    assert message.kind == RequestMessage.Kind.CLIENT and message.channel == Channel.PORTAL
    assert message.attachments.get().original_name == "dov.pdf"
    world.a_request.refresh_from_db()
    assert world.a_request.status == Status.IN_PROGRESS


def test_reply_with_a_disguised_file_is_refused_with_a_reason(world: World) -> None:
    alice = as_user(world.alice)
    response = alice.post(
        reverse("portal:request", args=[world.a_request.pk]),
        {"body": "файл", "file": SimpleUploadedFile("x.pdf", b"<html><script>")},
    )
    assert response.status_code == 200
    assert "cannot be attached" in response.content.decode()
    assert world.a_request.messages.count() == 1


def test_empty_reply_is_refused(world: World) -> None:
    response = as_user(world.alice).post(
        reverse("portal:request", args=[world.a_request.pk]), {"body": " "}
    )
    assert response.status_code == 200 and "Write a message" in response.content.decode()


def test_request_list_query_count(world: World, django_assert_max_num_queries) -> None:
    company = world.alice.portal_account.company
    for i in range(10):
        open_request(company, f"Вопрос {i}")
    alice = as_user(world.alice)
    with django_assert_max_num_queries(8):
        assert alice.get(reverse("portal:requests")).status_code == 200


def test_home_shows_company_open_requests_and_own_notices(world: World) -> None:
    company = world.alice.portal_account.company
    PortalNotice.objects.create(company=company, title="Плановые работы 12 марта", body="Ночью")
    PortalNotice.objects.create(company=world.b, title="Чужое уведомление", body="-")
    body = as_user(world.alice).get(reverse("portal:home")).content.decode()
    assert "ООО Альфа" in body and "Плановые работы" in body and "Альфа: нет связи" in body
    assert "Чужое уведомление" not in body


# --- a new request with suggestions ----------------------------------------------------------
def test_new_request_shows_documents_first_and_creates_request(world: World) -> None:
    service = new_service(name="Переоформление договора")
    alice = as_user(world.alice)
    page = alice.get(reverse("portal:request_new"), {"service": service.pk}).content.decode()
    document = "Доверенность" if "Доверенность" in page else "Power of attorney"
    assert page.index(document) < page.index('name="subject"')
    assert 'hx-trigger="keyup changed delay:400ms"' in page
    form_id = SuggestionEvent.objects.get(kind=SuggestionEvent.Kind.FORM).form_id
    response = alice.post(
        reverse("portal:request_new") + f"?service={service.pk}",
        {"subject": "Сменился директор", "body": "Нужно доп. соглашение", "form_id": form_id},
    )
    created = ServiceRequest.objects.get(subject="Сменился директор")
    assert response["Location"] == reverse("portal:request", args=[created.pk])
    assert created.company == world.alice.portal_account.company
    assert created.channel == Channel.PORTAL and created.service == service
    assert SuggestionEvent.objects.filter(form_id=form_id, kind="created").exists()


def test_service_not_offered_on_portal_is_404(world: World) -> None:
    service = new_service(channels=[Channel.VISIT], in_person_required=True)
    assert (
        as_user(world.alice).get(reverse("portal:request_new"), {"service": service.pk}).status_code
        == 404
    )


def test_suggestions_record_shown_and_opened_and_deflection(world: World) -> None:
    for slug, visibility in [("dov", Visibility.PORTAL), ("dov-staff", Visibility.STAFF)]:
        article_save(
            data=ArticleInput(
                slug=slug,
                title="Доверенность на представителя",
                body="Что указать в доверенности.",
                visibility=visibility,
                status=ArticleStatus.PUBLISHED,
            ),
            by=None,
        )
    service = new_service()
    alice = as_user(world.alice)
    alice.get(reverse("portal:request_new"), {"service": service.pk})
    form_id = SuggestionEvent.objects.get(kind="form").form_id
    html = alice.get(
        reverse("portal:suggest"),
        {"subject": "нужна доверенностью", "form_id": form_id},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "/kb/dov/?suggested=" in html and "dov-staff" not in html
    assert SuggestionEvent.objects.filter(form_id=form_id, kind="shown").count() == 1
    assert (
        alice.get(reverse("knowledge:article", args=["dov"]), {"suggested": form_id}).status_code
        == 200
    )
    assert SuggestionEvent.objects.filter(form_id=form_id, kind="opened").count() == 1
    from clientdesk.knowledge.selectors import deflection

    assert deflection().deflected == 1


def test_forged_form_id_of_another_user_records_nothing(world: World) -> None:
    service = new_service()
    as_user(world.alice).get(reverse("portal:request_new"), {"service": service.pk})
    form_id = SuggestionEvent.objects.get(kind="form").form_id
    article_save(
        data=ArticleInput(slug="x", title="Счёт", body="Счёт.", visibility=Visibility.PUBLIC,
                          status=ArticleStatus.PUBLISHED),
        by=None,
    )  # fmt: skip
    as_user(world.bob).get(reverse("knowledge:article", args=["x"]), {"suggested": form_id})
    assert not SuggestionEvent.objects.filter(kind="opened").exists()


# --- company details -------------------------------------------------------------------------
def test_profile_change_goes_to_the_account_manager_as_a_request(world: World, make_staff) -> None:
    manager = make_staff(Role.ACCOUNT_MANAGER)
    Company.objects.filter(pk=world.a.pk).update(account_manager=manager, phone="+74951234567")
    response = as_user(world.alice).post(
        reverse("portal:company"),
        {
            "phone": "8 (495) 765-43-21",
            "office_address": "Москва, ул. Тверская, 1",
            "comment": "Переехали",
        },
    )
    assert response.status_code == 302
    created = ServiceRequest.objects.get(topic="profile-change")
    assert created.company_id == world.a.pk and created.assignee == manager
    text = created.messages.get().body_html
    assert "+74951234567" in text and "+74957654321" in text and "Тверская" in text
    world.a.refresh_from_db()
    assert world.a.phone == "+74951234567"  # the client proposes, staff decide


def test_profile_change_refuses_bad_phone_and_empty_proposal(world: World) -> None:
    alice = as_user(world.alice)
    response = alice.post(reverse("portal:company"), {"phone": "12"})
    assert response.status_code == 200 and "has-error" in response.content.decode()
    response = alice.post(reverse("portal:company"), {"comment": "просто так"})
    assert "at least one field" in response.content.decode()
    assert not ServiceRequest.objects.filter(topic="profile-change").exists()


def test_company_page_shows_only_own_company(world: World) -> None:
    body = as_user(world.bob).get(reverse("portal:company")).content.decode()
    assert "ООО Бета" in body and "ООО Альфа" not in body


def test_catalogue_first_then_other_question_form(world: World) -> None:
    new_service(name="Подключение интернета", name_en="Internet connection")
    alice = as_user(world.alice)
    page = alice.get(reverse("portal:request_new")).content.decode()
    assert "Internet connection" in page and 'name="subject"' not in page
    page = alice.get(reverse("portal:request_new"), {"other": "1"}).content.decode()
    assert 'name="subject"' in page
    response = alice.post(reverse("portal:request_new"), {"subject": " "})
    assert response.status_code == 200 and 'name="subject"' in response.content.decode()
    assert (
        not ServiceRequest.objects.filter(company=world.a).exclude(pk=world.a_request.pk).exists()
    )


def test_request_page_query_count_does_not_grow_with_the_thread(
    world: World, make_staff, django_assert_max_num_queries
) -> None:
    agent = make_staff(Role.CALL_OPERATOR)
    for i in range(8):
        request_reply(
            request=world.a_request,
            body=f"Ответ {i}",
            by=agent,
            send_email=False,
            attachments=[(f"r{i}.pdf", io.BytesIO(PDF), len(PDF))],
        )
    alice = as_user(world.alice)
    url = reverse("portal:request", args=[world.a_request.pk])
    with django_assert_max_num_queries(10):
        body = alice.get(url).content.decode()
    assert "Ответ 7" in body and "r7.pdf" in body
