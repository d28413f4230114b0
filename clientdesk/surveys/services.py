"""Writes of the surveys domain: building surveys, inviting, answering, following up."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from clientdesk.accounts.models import User
from clientdesk.clients.models import Company, ConsentPurpose, Contact
from clientdesk.clients.selectors import contacts_with_consent, has_consent
from clientdesk.core import audit
from clientdesk.segments.selectors import companies_in, segments_for

from . import answering
from .models import (
    SCALES,
    Answer,
    FollowUp,
    Invitation,
    Question,
    QuestionKind,
    QuestionRole,
    Response,
    ServqualDimension,
    Survey,
    SurveyKind,
    SurveyStatus,
)

ErrorDict = dict[str, list[str]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def response_key(token: str) -> str:
    return hashlib.sha256(f"surveys.response:{token}".encode()).hexdigest()


# --- building --------------------------------------------------------------------------------
@dataclass
class SurveyInput:
    title: str
    title_en: str = ""
    intro: str = ""
    intro_en: str = ""
    goal: str = ""
    kind: str = SurveyKind.RELATIONSHIP
    anonymous: bool = False
    series: str = ""
    wave: int = 1
    link_days: int = 21
    reminder_max: int = 2
    reminder_every_days: int = 5
    detractor_max: int = 6
    csat_low_max: int = 2
    follow_up_hours: int = 48


SURVEY_FIELDS = [f for f in SurveyInput.__dataclass_fields__]


def _survey_validate(data: SurveyInput, survey: Survey | None) -> None:
    errors: ErrorDict = {}
    if not data.title.strip():
        errors["title"] = [_("Give the survey a title respondents will recognise.")]
    if data.kind not in SurveyKind.values:
        errors["kind"] = [_("Choose relationship or transactional.")]
    if not 1 <= data.link_days <= 365:
        errors["link_days"] = [_("A link can be valid from 1 to 365 days.")]
    if not 0 <= data.detractor_max <= 10:
        errors["detractor_max"] = [_("Enter an NPS score from 0 to 10.")]
    if not 0 <= data.csat_low_max <= 5:
        errors["csat_low_max"] = [_("Enter a CSAT score from 0 (never) to 5.")]
    if data.reminder_every_days < 1:
        errors["reminder_every_days"] = [_("Reminders must be at least a day apart.")]
    if data.series.strip():
        clash = Survey.objects.filter(series=data.series.strip(), wave=data.wave)
        if survey is not None:
            clash = clash.exclude(pk=survey.pk)
        if clash.exists():
            errors["wave"] = [_("This series already has a wave with that number.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def survey_create(*, data: SurveyInput, by: User | None) -> Survey:
    _survey_validate(data, None)
    survey = Survey.objects.create(
        **{name: getattr(data, name) for name in SURVEY_FIELDS}, created_by=by
    )
    survey.series = survey.series.strip()
    survey.save(update_fields=["series"])
    audit.record(actor=by, action="surveys.survey_created", target=survey)
    return survey


@transaction.atomic
def survey_update(*, survey: Survey, data: SurveyInput, by: User | None) -> Survey:
    _survey_validate(data, survey)
    before = audit.snapshot(survey, SURVEY_FIELDS)
    for name in SURVEY_FIELDS:
        setattr(survey, name, getattr(data, name))
    survey.save()
    audit.record(
        actor=by,
        action="surveys.survey_updated",
        target=survey,
        changes=audit.diff(before, audit.snapshot(survey, SURVEY_FIELDS)),
    )
    return survey


@dataclass
class QuestionInput:
    kind: str
    text: str
    text_en: str = ""
    code: str = ""
    page: int = 1
    choices: list[dict[str, str]] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    required: bool = False
    role: str = ""
    attribute: str = ""
    dimension: str = ""
    scale: str = ""
    show_if: dict[str, Any] | None = None


def parse_options(text: str) -> list[dict[str, str]]:
    """One option per line; "Russian | English" gives both versions."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        ru, _sep, en = line.partition("|")
        out.append({"label": ru.strip(), "label_en": en.strip()})
    return out


def _check_kind(data: QuestionInput, errors: ErrorDict) -> None:
    if data.kind not in QuestionKind.values:
        errors["kind"] = [_("Choose a question type from the list.")]
    if not data.text.strip():
        errors["text"] = [_("Write the question.")]
    with_options = (QuestionKind.SINGLE, QuestionKind.MULTI, QuestionKind.MATRIX)
    if data.kind in with_options and len(data.choices) < 2:
        errors["choices"] = [_("Give at least two options, one per line.")]
    if data.kind == QuestionKind.MULTI and len(data.choices) > 50:
        errors["choices"] = [_("A multiple-choice question can have at most 50 options.")]
    if data.kind == QuestionKind.MATRIX and not data.rows:
        errors["rows"] = [_("Give the rows of the matrix, one per line.")]


def _check_role(data: QuestionInput, errors: ErrorDict) -> None:
    if data.role not in QuestionRole.values:
        errors["role"] = [_("Choose a role from the list.")]
    elif data.role and data.kind not in SCALES and data.kind != QuestionKind.MATRIX:
        errors["role"] = [_("Only scale questions can take part in this analysis.")]
    if data.role in (QuestionRole.IMPORTANCE, QuestionRole.PERFORMANCE) and not data.attribute:
        errors["attribute"] = [_("Name the service attribute this question is about.")]
    if data.role in (QuestionRole.EXPECTATION, QuestionRole.PERCEPTION) and not data.dimension:
        errors["dimension"] = [_("Choose the SERVQUAL dimension.")]
    if data.dimension and data.dimension not in ServqualDimension.values:
        errors["dimension"] = [_("Choose a SERVQUAL dimension from the list.")]


def _check_condition(
    data: QuestionInput, others: QuerySet[Question], question: Question | None, errors: ErrorDict
) -> None:
    if not data.show_if:
        return
    ref = others.filter(code=data.show_if.get("question")).first()
    if ref is None:
        errors["show_if"] = [_("The condition must refer to the code of another question.")]
    elif question is not None and ref.position >= question.position:
        errors["show_if"] = [_("The condition must refer to an earlier question.")]
    elif data.show_if.get("op") not in {*answering.OPS, answering.CONTAINS}:
        errors["show_if"] = [_("Choose a comparison: <, <=, =, !=, >=, > or contains.")]


def _question_validate(survey: Survey, data: QuestionInput, question: Question | None) -> None:
    errors: ErrorDict = {}
    _check_kind(data, errors)
    _check_role(data, errors)
    others = survey.questions.all()
    if question is not None:
        others = others.exclude(pk=question.pk)
    if data.code and others.filter(code=data.code).exists():
        errors["code"] = [_("Another question already has this code.")]
    _check_condition(data, others, question, errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def question_add(*, survey: Survey, data: QuestionInput, by: User | None) -> Question:
    _question_validate(survey, data, None)
    position = (
        survey.questions.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    question = Question.objects.create(
        survey=survey,
        code=data.code or f"Q{position}",
        position=position,
        page=max(data.page, 1),
        kind=data.kind,
        text=data.text.strip(),
        text_en=data.text_en.strip(),
        choices=data.choices,
        rows=data.rows,
        required=data.required,
        role=data.role,
        attribute=data.attribute.strip(),
        dimension=data.dimension,
        scale=data.scale.strip(),
        show_if=data.show_if or None,
    )
    audit.record(
        actor=by,
        action="surveys.question_added",
        target=survey,
        changes={"question": question.pk, "kind": question.kind},
    )
    return question


@transaction.atomic
def question_delete(*, question: Question, by: User | None) -> None:
    survey = question.survey
    if survey.responses.exists():
        raise ValidationError(_("The survey already has answers: questions can no longer go."))
    audit.record(
        actor=by, action="surveys.question_deleted", target=survey, changes={"code": question.code}
    )
    question.delete()


SERVQUAL_ITEMS: list[tuple[str, str, str]] = [
    (
        ServqualDimension.TANGIBLES,
        "Современное оборудование и опрятный вид офиса",
        "Modern equipment and tidy premises",
    ),
    (
        ServqualDimension.RELIABILITY,
        "Услуги оказываются точно в обещанный срок",
        "Services are delivered exactly when promised",
    ),
    (
        ServqualDimension.RESPONSIVENESS,
        "Сотрудники быстро откликаются на обращения",
        "Staff respond to requests promptly",
    ),
    (
        ServqualDimension.ASSURANCE,
        "Сотрудники компетентны и внушают доверие",
        "Staff are competent and inspire confidence",
    ),
    (
        ServqualDimension.EMPATHY,
        "К нашей компании относятся индивидуально",
        "Our company gets individual attention",
    ),
]


@transaction.atomic
def servqual_template_add(*, survey: Survey, by: User | None, page: int = 2) -> list[Question]:
    """Expectation and perception (7 points) for one item per SERVQUAL dimension."""
    added = []
    for role, prefix, prefix_en in (
        (QuestionRole.EXPECTATION, "Ожидание: ", "Expectation: "),
        (QuestionRole.PERCEPTION, "Оценка: ", "Perception: "),
    ):
        for dimension, text, text_en in SERVQUAL_ITEMS:
            added.append(
                question_add(
                    survey=survey,
                    data=QuestionInput(
                        kind=QuestionKind.LIKERT7,
                        text=prefix + text,
                        text_en=prefix_en + text_en,
                        page=page,
                        role=role,
                        dimension=dimension,
                        attribute=str(dimension),
                        scale=f"servqual_{role}",
                    ),
                    by=by,
                )
            )
    return added


@transaction.atomic
def ipa_attribute_add(
    *, survey: Survey, attribute: str, attribute_en: str = "", page: int = 1, by: User | None
) -> tuple[Question, Question]:
    """Importance and performance (5 points) of one service attribute."""
    if not attribute.strip():
        raise ValidationError({"attribute": [_("Name the service attribute.")]})
    en = attribute_en or attribute
    imp = question_add(
        survey=survey,
        data=QuestionInput(
            kind=QuestionKind.LIKERT5,
            text=f"Насколько для вас важно: {attribute}",
            text_en=f"How important is: {en}",
            page=page,
            role=QuestionRole.IMPORTANCE,
            attribute=attribute,
        ),
        by=by,
    )
    perf = question_add(
        survey=survey,
        data=QuestionInput(
            kind=QuestionKind.LIKERT5,
            text=f"Как вы оцениваете: {attribute}",
            text_en=f"How do you rate: {en}",
            page=page,
            role=QuestionRole.PERFORMANCE,
            attribute=attribute,
        ),
        by=by,
    )
    return imp, perf


@transaction.atomic
def survey_set_status(*, survey: Survey, status: str, by: User | None) -> Survey:
    if status not in SurveyStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status == SurveyStatus.OPEN and not survey.questions.exists():
        raise ValidationError(_("Add at least one question before opening the survey."))
    before = survey.status
    survey.status = status
    now = timezone.now()
    if status == SurveyStatus.OPEN and survey.opened_at is None:
        survey.opened_at = now
    if status == SurveyStatus.CLOSED:
        survey.closed_at = now
    survey.save(update_fields=["status", "opened_at", "closed_at"])
    audit.record(
        actor=by,
        action="surveys.status_changed",
        target=survey,
        changes={"status": [before, status]},
    )
    return survey


@transaction.atomic
def survey_next_wave(*, survey: Survey, by: User | None) -> Survey:
    """The same questionnaire as a new wave of the series, so that trends compare like with like.
    A survey outside any series starts one named after its id."""
    series = survey.series or f"survey-{survey.pk}"
    if not survey.series:
        Survey.objects.filter(pk=survey.pk).update(series=series)
    last = Survey.objects.filter(series=series).order_by("-wave").values_list("wave", flat=True)
    wave = (last.first() or survey.wave) + 1
    data = SurveyInput(**{name: getattr(survey, name) for name in SURVEY_FIELDS})
    data.series, data.wave = series, wave
    new = survey_create(data=data, by=by)
    Question.objects.bulk_create(
        [
            Question(
                survey=new,
                **{
                    f.name: getattr(q, f.name)
                    for f in Question._meta.concrete_fields
                    if f.name not in ("id", "survey")
                },
            )
            for q in survey.questions.all()
        ]
    )
    audit.record(
        actor=by,
        action="surveys.wave_created",
        target=new,
        changes={"from": survey.pk, "wave": wave},
    )
    return new


# --- inviting --------------------------------------------------------------------------------
@dataclass
class AudienceInput:
    """Who receives a relationship survey. Empty lists do not filter."""

    channel: str = "email"  # "email" or "portal"
    rule_segment: int | None = None
    abc: str | None = None
    roles: list[str] = field(default_factory=list)
    size_bands: list[str] = field(default_factory=list)
    industry_sections: list[str] = field(default_factory=list)


INVITE_CHANNELS = ("email", "portal")


def audience(data: AudienceInput) -> QuerySet[Contact]:
    """Contacts matching the audience who agreed to surveys through that channel."""
    companies = companies_in(rule_segment=data.rule_segment, abc=data.abc or None)
    qs = Contact.objects.filter(company__in=companies, left_company=False)
    if data.roles:
        qs = qs.filter(decision_role__in=data.roles)
    if data.size_bands:
        qs = qs.filter(company__size_band__in=data.size_bands)
    if data.industry_sections:
        qs = qs.filter(company__industry__section__in=data.industry_sections)
    if data.channel == "email":
        qs = qs.exclude(email="")
    return contacts_with_consent(qs, ConsentPurpose.SURVEYS, data.channel)


def _link(token: str) -> str:
    from django.conf import settings

    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return base + reverse("surveys:answer", args=[token])


def _send(invitation_id: int, token: str, *, reminder: bool) -> None:
    """E-mail the link (portal invitations appear on the portal instead)."""
    inv = Invitation.objects.select_related("survey", "contact").get(pk=invitation_id)
    if inv.channel != "email" or inv.contact is None or not inv.contact.email:
        return
    with override(inv.language):
        subject = inv.survey.title_in(inv.language)
        if reminder:
            subject = _("Reminder: %(s)s") % {"s": subject}
        body = "\n\n".join(
            p
            for p in (
                inv.survey.intro_in(inv.language),
                _("Your personal link (valid until %(date)s):")
                % {"date": timezone.localtime(inv.expires_at).strftime("%d.%m.%Y")},
                _link(token),
            )
            if p
        )
    send_mail(subject, body, None, [inv.contact.email], fail_silently=False)


def _make_invitation(
    survey: Survey, contact: Contact, *, channel: str, source: str, now: dt.datetime
) -> Invitation:
    return Invitation(
        survey=survey,
        contact=contact,
        company_id=contact.company_id,
        token=new_token(),
        channel=channel,
        language=contact.language or "ru",
        source=source,
        created_at=now,
        expires_at=now + dt.timedelta(days=survey.link_days),
        last_sent_at=now,
    )


def _queue_sends(invitations: Sequence[Invitation]) -> None:
    from .tasks import send_invitations

    ids = [i.pk for i in invitations if i.channel == "email" and i.token]
    for start in range(0, len(ids), 500):
        send_invitations.enqueue(invitation_ids=ids[start : start + 500])


def send_invitation_emails(*, invitation_ids: Sequence[int]) -> int:
    """Sends the first e-mail of each invitation not answered yet; returns how many."""
    sent = 0
    for pk, token in Invitation.objects.filter(
        pk__in=invitation_ids, responded_at__isnull=True, token__isnull=False
    ).values_list("pk", "token"):
        _send(pk, str(token), reminder=False)
        sent += 1
    return sent


@transaction.atomic
def invite(*, survey: Survey, data: AudienceInput, by: User | None) -> int:
    """Invites everyone in the audience not invited to this survey yet; returns how many."""
    if survey.status != SurveyStatus.OPEN:
        raise ValidationError(_("Open the survey before inviting respondents."))
    if data.channel not in INVITE_CHANNELS:
        raise ValidationError({"channel": [_("Invite by e-mail or through the portal.")]})
    already = Invitation.objects.filter(survey=survey, source="").values("contact_id")
    contacts = list(audience(data).exclude(pk__in=already).only("id", "company_id", "language"))
    now = timezone.now()
    created = Invitation.objects.bulk_create(
        [_make_invitation(survey, c, channel=data.channel, source="", now=now) for c in contacts],
        batch_size=1000,
    )
    audit.record(
        actor=by,
        action="surveys.invited",
        target=survey,
        changes={"count": len(created), "channel": data.channel, "roles": data.roles},
    )
    _queue_sends(created)
    return len(created)


@transaction.atomic
def survey_after_request(*, request_id: int) -> Invitation | None:
    """Transactional survey after a request is resolved or a visit finished.

    The service domain calls this; it invites the request's contact to the open transactional
    survey (the newest one) once per request, if the contact agreed to surveys by e-mail."""
    from clientdesk.service.models import ServiceRequest

    request = ServiceRequest.objects.select_related("contact").filter(pk=request_id).first()
    if request is None or request.contact is None or request.company_id is None:
        return None
    survey = (
        Survey.objects.filter(kind=SurveyKind.TRANSACTIONAL, status=SurveyStatus.OPEN)
        .order_by("-opened_at", "-id")
        .first()
    )
    contact = request.contact
    if (
        survey is None
        or not contact.email
        or not has_consent(contact, ConsentPurpose.SURVEYS, "email")
    ):
        return None
    source = f"service.request:{request.pk}"
    existing = Invitation.objects.filter(survey=survey, contact=contact, source=source).first()
    if existing is not None:
        return existing
    invitation = _make_invitation(
        survey, contact, channel="email", source=source, now=timezone.now()
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        return Invitation.objects.get(survey=survey, contact=contact, source=source)
    audit.record(
        actor=None, action="surveys.invited", target=survey, changes={"source": source, "count": 1}
    )
    _queue_sends([invitation])
    return invitation


def invite_after_resolved_requests(*, now: dt.datetime | None = None, days: int = 3) -> int:
    """Transactional surveys without the service domain having to know about surveys: requests
    resolved (or visits finished) since the survey opened, in the last `days`, are invited here.
    survey_after_request keeps it once per request, so overlapping runs are harmless."""
    from clientdesk.service.models import ServiceRequest

    survey = (
        Survey.objects.filter(kind=SurveyKind.TRANSACTIONAL, status=SurveyStatus.OPEN)
        .order_by("-opened_at", "-id")
        .first()
    )
    if survey is None or survey.opened_at is None:
        return 0
    now = now or timezone.now()
    since = max(survey.opened_at, now - dt.timedelta(days=days))
    done = Invitation.objects.filter(survey=survey, source__startswith="service.request:")
    seen = {int(s.rsplit(":", 1)[1]) for s in done.values_list("source", flat=True)}
    ids = ServiceRequest.objects.filter(
        resolved_at__gte=since, resolved_at__lte=now, contact__isnull=False
    ).values_list("pk", flat=True)
    invited = 0
    for pk in ids:
        if pk not in seen and survey_after_request(request_id=pk) is not None:
            invited += 1
    return invited


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Reminds those who have not answered: at most `reminder_max` times, spaced by
    `reminder_every_days`, only while the link is valid and consent stands. Each reminder is
    claimed with a conditional update, so two runners never send the same one twice."""
    now = now or timezone.now()
    candidates = (
        Invitation.objects.filter(
            survey__status=SurveyStatus.OPEN,
            responded_at__isnull=True,
            token__isnull=False,
            expires_at__gt=now,
            channel="email",
            reminders_sent__lt=F("survey__reminder_max"),
        )
        .select_related("survey", "contact")
        .order_by("pk")
    )
    sent = 0
    for inv in candidates.iterator(chunk_size=500):
        if inv.last_sent_at and inv.last_sent_at > now - dt.timedelta(
            days=inv.survey.reminder_every_days
        ):
            continue
        if inv.contact is None or not has_consent(inv.contact, ConsentPurpose.SURVEYS, "email"):
            continue
        claimed = Invitation.objects.filter(
            pk=inv.pk, reminders_sent=inv.reminders_sent, responded_at__isnull=True
        ).update(reminders_sent=F("reminders_sent") + 1, last_sent_at=now)
        if claimed != 1:
            continue  # another runner reminded this one first
        _send(inv.pk, str(inv.token), reminder=True)
        sent += 1
    return sent


# --- answering -------------------------------------------------------------------------------
class LinkError(Exception):
    """The link cannot be used; the message says why in the respondent's words. `gone` tells
    a link that worked once (answered, expired, closed) from one that never existed."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


def invitation_for_token(token: str) -> Invitation:
    inv = Invitation.objects.select_related("survey").filter(token=token).first() if token else None
    if inv is None:
        raise LinkError(_("This link is not valid. Please check that it was copied in full."))
    if inv.responded_at is not None:
        raise LinkError(
            _("Thank you: the answers for this link have already been received."), gone=True
        )
    if inv.expires_at <= timezone.now():
        raise LinkError(_("This link has expired."), gone=True)
    if inv.survey.status != SurveyStatus.OPEN:
        raise LinkError(_("This survey is not collecting answers at the moment."), gone=True)
    return inv


def respondent_attributes(company: Company | None, contact: Contact | None) -> dict[str, str]:
    if company is None:
        return {}
    seg = segments_for([company.pk]).get(company.pk)
    industry = company.industry.section if company.industry_id and company.industry else ""
    region = company.region.code if company.region_id and company.region else ""
    return {
        "segment": seg.cell if seg else "",
        "industry": industry,
        "size_band": company.size_band,
        "region": region,
        "role": contact.decision_role if contact else "",
    }


@transaction.atomic
def response_for(*, invitation: Invitation, token: str, channel: str) -> Response:
    """The response of this link, started on first use and found again afterwards."""
    key = response_key(token)
    found = Response.objects.filter(key=key).first()
    if found is not None:
        return found
    survey = invitation.survey
    contact = (
        Contact.objects.select_related("company__industry", "company__region")
        .filter(pk=invitation.contact_id or 0)
        .first()
    )
    company = contact.company if contact else None
    response = Response.objects.create(
        survey=survey,
        key=key,
        contact=None if survey.anonymous else contact,
        company=None if survey.anonymous else company,
        channel=channel,
        language=invitation.language,
        source=invitation.source,
        **respondent_attributes(company, contact),
    )
    Invitation.objects.filter(pk=invitation.pk).update(started_at=timezone.now())
    return response


def answers_by_code(response: Response) -> dict[str, float]:
    rows = Answer.objects.filter(response=response, item=0, value__isnull=False).values_list(
        "question__code", "value"
    )
    return {code: float(v) for code, v in rows if v is not None}


def _store(response: Response, found: Mapping[answering.Key, answering.Cleaned | None]) -> None:
    keys = list(found)
    if not keys:
        return
    q_ids = {q for q, _row in keys}
    existing = {
        (a.question_id, a.item): a
        for a in Answer.objects.filter(response=response, question_id__in=q_ids)
    }
    new, changed, gone = [], [], []
    for key, cleaned in found.items():
        old = existing.get(key)
        if cleaned is None:
            if old is not None:
                gone.append(old.pk)
            continue
        if old is None:
            new.append(
                Answer(
                    response=response,
                    question_id=key[0],
                    item=key[1],
                    value=cleaned.value,
                    text=cleaned.text,
                )
            )
        elif (old.value, old.text) != (cleaned.value, cleaned.text):
            old.value, old.text = cleaned.value, cleaned.text
            changed.append(old)
    Answer.objects.filter(pk__in=gone).delete()
    Answer.objects.bulk_create(new)
    Answer.objects.bulk_update(changed, ["value", "text"])


def _drop_hidden(response: Response, questions: Iterable[Question]) -> None:
    """Answers to questions that skip logic now hides are removed (the respondent went back
    and changed the answer the condition depends on)."""
    by_code = answers_by_code(response)
    hidden = [q.pk for q in questions if not answering.condition_holds(q.show_if, by_code)]
    if hidden:
        Answer.objects.filter(response=response, question_id__in=hidden).delete()


@dataclass
class PageResult:
    errors: dict[str, str]
    page: int  # the page to show next
    submitted: bool = False
    revealed: bool = False  # new questions appeared on this page: show it again


@transaction.atomic
def page_save(
    *,
    response: Response,
    page: int,
    data: Mapping[str, Sequence[str]],
    action: str,
    invitation: Invitation | None = None,
) -> PageResult:
    """Saves the answers posted on one page (always, even when some are invalid, so that
    nothing typed is lost) and moves to the next or previous page, or submits.

    `action` is "save", "next", "back" or "submit"."""
    if response.submitted_at is not None:
        return PageResult({}, page, True)
    questions = list(response.survey.questions.all())
    pages = sorted({q.page for q in questions}) or [1]
    page = page if page in pages else pages[0]
    by_code = answers_by_code(response)
    on_page = [q for q in questions if q.page == page]
    strict = action in ("next", "submit")
    # Conditions on earlier pages are known; on this page they use what was just posted.
    shown = answering.visible(on_page, {**by_code, **_posted_values(on_page, data)})
    # Questions this page's own answers have just revealed were not on the form the respondent
    # saw (there is no script to show them): the page comes back with them instead of moving on.
    before = {q.pk for q in answering.visible(on_page, by_code)}
    revealed = [
        q
        for q in shown
        if q.pk not in before
        and not any(
            v.strip()
            for name, values in data.items()
            if name == answering.field_name(q) or name.startswith(answering.field_name(q) + "_")
            for v in values
        )
    ]
    found, errors = answering.read_page(shown, data, enforce_required=strict)
    _store(response, found)
    _drop_hidden(response, questions)
    index = pages.index(page)
    next_page = page
    if revealed and action in ("next", "submit"):
        errors = {**errors, **{answering.field_name(q): "" for q in revealed}}
    if not errors:
        if action == "next" and index + 1 < len(pages):
            next_page = pages[index + 1]
        elif action == "back" and index > 0:
            next_page = pages[index - 1]
    elif action == "back" and index > 0:
        next_page = pages[index - 1]
    response.page = next_page
    response.save(update_fields=["page", "updated_at"])
    errors = {k: v for k, v in errors.items() if v}
    if action == "submit" and not errors and not (revealed and strict):
        missing = _missing_required(response, questions)
        if missing:
            return PageResult({"__all__": missing[1]}, missing[0])
        response_submit(response=response, invitation=invitation)
        return PageResult({}, page, True)
    return PageResult(errors, next_page, revealed=bool(revealed and strict))


def _posted_values(
    questions: Sequence[Question], data: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    out = {}
    for q in questions:
        try:
            cleaned = answering.clean(q, list(data.get(answering.field_name(q), [])))
        except answering.AnswerError:
            continue
        if cleaned is not None and cleaned.value is not None:
            out[q.code] = cleaned.value
    return out


def _missing_required(response: Response, questions: list[Question]) -> tuple[int, str] | None:
    by_code = answers_by_code(response)
    answered = set(Answer.objects.filter(response=response).values_list("question_id", flat=True))
    for q in answering.visible(questions, by_code):
        if q.required and q.pk not in answered:
            return q.page, _("Question %(code)s on page %(page)s still needs an answer.") % {
                "code": q.code,
                "page": q.page,
            }
    return None


@transaction.atomic
def response_submit(
    *, response: Response, invitation: Invitation | None = None, at: dt.datetime | None = None
) -> Response:
    now = at or timezone.now()
    response.submitted_at = now
    response.save(update_fields=["submitted_at", "updated_at"])
    if invitation is not None:
        changes: dict[str, Any] = {"responded_at": now}
        if response.survey.anonymous:
            changes["token"] = None  # from here on the response cannot be traced to the person
        Invitation.objects.filter(pk=invitation.pk).update(**changes)
    follow_up_for(response=response)
    return response


# --- the closed loop -------------------------------------------------------------------------
def _trigger(response: Response) -> tuple[str, float] | None:
    survey = response.survey
    rows = Answer.objects.filter(
        response=response, question__kind__in=[QuestionKind.NPS, QuestionKind.CSAT], item=0
    ).values_list("question__kind", "value")
    for kind, value in rows:
        if value is None:
            continue
        if kind == QuestionKind.NPS and value <= survey.detractor_max:
            return FollowUp.Reason.DETRACTOR, float(value)
        if kind == QuestionKind.CSAT and value <= survey.csat_low_max:
            return FollowUp.Reason.LOW_CSAT, float(value)
    return None


@transaction.atomic
def follow_up_for(*, response: Response) -> FollowUp | None:
    """A detractor or a low CSAT opens a service request for the account manager, once.

    Anonymous responses cannot be followed up: nobody knows whom to call."""
    if response.company_id is None or FollowUp.objects.filter(response=response).exists():
        return None
    trigger = _trigger(response)
    if trigger is None:
        return None
    from clientdesk.service.models import Priority
    from clientdesk.service.services import RequestInput, request_assign, request_create

    reason, score = trigger
    company = Company.objects.select_related("account_manager").get(pk=response.company_id)
    contact = response.contact
    survey = response.survey
    label = FollowUp.Reason(reason).label
    with override("ru"):
        subject = _("Survey follow-up: %(reason)s (%(score)s) — %(survey)s") % {
            "reason": str(label).lower(),
            "score": f"{score:g}",
            "survey": survey.title,
        }
    text = "\n".join(
        a
        for a in Answer.objects.filter(response=response)
        .exclude(text="")
        .values_list("text", flat=True)
    )
    request = request_create(
        data=RequestInput(
            company=company,
            contact=contact,
            channel="portal" if response.channel == Response.Channel.PORTAL else "email",
            subject=subject,
            body=text,
            priority=Priority.HIGH,
            topic="survey follow-up",
            source="survey",
        ),
        by=None,
    )
    if company.account_manager is not None and company.account_manager.is_active:
        request_assign(request=request, to=company.account_manager, by=None)
    follow_up = FollowUp.objects.create(
        response=response,
        survey=survey,
        company=company,
        reason=reason,
        score=score,
        request=request,
        due_at=timezone.now() + dt.timedelta(hours=survey.follow_up_hours),
    )
    audit.record(
        actor=None,
        action="surveys.follow_up_created",
        target=survey,
        changes={"response": response.pk, "request": request.pk, "reason": reason},
    )
    return follow_up
