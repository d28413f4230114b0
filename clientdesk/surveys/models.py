"""Satisfaction research: surveys, their questions, invitations, responses and follow-ups.

Storage is built for analysis at scale: one `Answer` row per (response, question, matrix row)
with a numeric `value` (a scale point, a choice number or a bit mask of choices), so that the
analysis reads one column per question with an aggregate query. The respondent's coarse
attributes (segment, industry, size, role, channel) are copied onto `Response` when it starts:
the cross-tabulations need no joins, and anonymous responses keep them without the person.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import Company, Contact


class SurveyKind(models.TextChoices):
    RELATIONSHIP = "relationship", _("Relationship (periodic)")
    TRANSACTIONAL = "transactional", _("Transactional (after a request or visit)")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Collecting answers")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro = models.TextField(_("introduction for respondents"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    goal = models.TextField(
        _("goal of the research"), blank=True, help_text=_("Opens the research report.")
    )
    kind = models.CharField(
        _("kind"), max_length=14, choices=SurveyKind.choices, default=SurveyKind.RELATIONSHIP
    )
    status = models.CharField(
        _("status"), max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    anonymous = models.BooleanField(
        _("anonymous"),
        default=False,
        help_text=_("Responses keep the segment, industry, size and role, but not the person."),
    )
    # Waves of one study share a series; trends compare them.
    series = models.CharField(_("series"), max_length=60, blank=True, db_index=True)
    wave = models.PositiveSmallIntegerField(_("wave"), default=1)
    link_days = models.PositiveSmallIntegerField(_("link valid, days"), default=21)
    reminder_max = models.PositiveSmallIntegerField(_("reminders at most"), default=2)
    reminder_every_days = models.PositiveSmallIntegerField(_("remind every, days"), default=5)
    detractor_max = models.PositiveSmallIntegerField(
        _("follow up NPS of at most"), default=6, help_text=_("0-6 are detractors.")
    )
    csat_low_max = models.PositiveSmallIntegerField(_("follow up CSAT of at most"), default=2)
    follow_up_hours = models.PositiveSmallIntegerField(_("follow-up SLA, hours"), default=48)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "wave"], condition=~models.Q(series=""), name="survey_wave_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def title_in(self, language: str | None = None) -> str:
        return (
            self.title_en if (language or get_language()) == "en" and self.title_en else self.title
        )

    def intro_in(self, language: str | None = None) -> str:
        return (
            self.intro_en if (language or get_language()) == "en" and self.intro_en else self.intro
        )


class QuestionKind(models.TextChoices):
    LIKERT5 = "likert5", _("Likert scale, 5 points")
    LIKERT7 = "likert7", _("Likert scale, 7 points")
    NPS = "nps", _("Net Promoter Score (0-10)")
    CSAT = "csat", _("Customer satisfaction (1-5)")
    CES = "ces", _("Customer effort (1-7)")
    SINGLE = "single", _("Single choice")
    MULTI = "multi", _("Multiple choice")
    MATRIX = "matrix", _("Matrix (rows on one scale)")
    TEXT = "text", _("Open text")


# The points of each scale kind; single/multi/matrix use their own choices.
SCALES: dict[str, list[int]] = {
    QuestionKind.LIKERT5: [1, 2, 3, 4, 5],
    QuestionKind.LIKERT7: [1, 2, 3, 4, 5, 6, 7],
    QuestionKind.NPS: list(range(11)),
    QuestionKind.CSAT: [1, 2, 3, 4, 5],
    QuestionKind.CES: [1, 2, 3, 4, 5, 6, 7],
}
ORDINAL_KINDS = frozenset(SCALES) | {QuestionKind.MATRIX}


class QuestionRole(models.TextChoices):
    """What the analysis does with a question beyond its own distribution."""

    NONE = "", _("—")
    OVERALL = "overall", _("Overall satisfaction (outcome of driver analysis)")
    IMPORTANCE = "importance", _("Importance of an attribute")
    PERFORMANCE = "performance", _("Performance on an attribute")
    EXPECTATION = "expectation", _("SERVQUAL expectation")
    PERCEPTION = "perception", _("SERVQUAL perception")


class ServqualDimension(models.TextChoices):
    TANGIBLES = "tangibles", _("Tangibles")
    RELIABILITY = "reliability", _("Reliability")
    RESPONSIVENESS = "responsiveness", _("Responsiveness")
    ASSURANCE = "assurance", _("Assurance")
    EMPATHY = "empathy", _("Empathy")


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(
        _("code"), max_length=20, help_text=_("Short name used in skip logic and imports (Q1).")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    page = models.PositiveSmallIntegerField(_("page"), default=1)
    kind = models.CharField(_("type"), max_length=8, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    text_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    # [{"label": "...", "label_en": "..."}]; an option's value is its position, from 1.
    choices = models.JSONField(_("options"), default=list, blank=True)
    rows = models.JSONField(_("matrix rows"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    role = models.CharField(
        _("role in analysis"), max_length=12, choices=QuestionRole.choices, blank=True
    )
    attribute = models.CharField(
        _("service attribute"),
        max_length=100,
        blank=True,
        help_text=_("Pairs importance with performance, expectation with perception."),
    )
    dimension = models.CharField(
        _("SERVQUAL dimension"), max_length=16, choices=ServqualDimension.choices, blank=True
    )
    scale = models.CharField(
        _("multi-item scale"),
        max_length=60,
        blank=True,
        help_text=_("Items of one scale share this name; the report gives its Cronbach's alpha."),
    )
    # {"question": "Q3", "op": "<=", "value": 6}: shown only when the condition holds.
    show_if = models.JSONField(_("show if"), null=True, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.text}"

    def text_in(self, language: str | None = None) -> str:
        return self.text_en if (language or get_language()) == "en" and self.text_en else self.text

    def options_in(self, language: str | None = None) -> list[tuple[int, str]]:
        lang = language or get_language()
        if self.kind in SCALES:
            return [(v, str(v)) for v in SCALES[self.kind]]
        points = self.choices if self.kind != QuestionKind.MATRIX else self.choices or []
        return [
            (i, (c.get("label_en") if lang == "en" and c.get("label_en") else c.get("label", "")))
            for i, c in enumerate(points, start=1)
        ]

    def rows_in(self, language: str | None = None) -> list[tuple[int, str]]:
        lang = language or get_language()
        return [
            (i, (r.get("label_en") if lang == "en" and r.get("label_en") else r.get("label", "")))
            for i, r in enumerate(self.rows, start=1)
        ]

    @property
    def is_ordinal(self) -> bool:
        return self.kind in ORDINAL_KINDS


class Invitation(models.Model):
    """A personal link. The token is unguessable (32 random bytes) and unique; an anonymous
    survey clears it when the answers are submitted, so the response cannot be traced back."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, null=True)
    channel = models.CharField(_("channel"), max_length=12, default="email")
    language = models.CharField(_("language"), max_length=2, default="ru")
    # "service.request:42" for a transactional survey; keeps it one invitation per event.
    source = models.CharField(_("source"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("invited"), default=timezone.now)
    expires_at = models.DateTimeField(_("link valid until"))
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "contact", "source"],
                condition=models.Q(contact__isnull=False),
                name="invitation_once_per_contact_and_event",
            )
        ]
        indexes = [models.Index(fields=["survey", "responded_at"])]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact or '—'}"


class Response(models.Model):
    class Channel(models.TextChoices):
        LINK = "link", _("Personal link")
        PORTAL = "portal", _("Client portal")
        PAPER = "paper", _("Paper (imported)")
        PHONE = "phone", _("Phone interview (imported)")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # sha256 of the token: one response per token, found again when the respondent returns.
    key = models.CharField(max_length=64, unique=True, null=True, editable=False)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=2, default="ru")
    source = models.CharField(_("source"), max_length=80, blank=True)
    # Coarse attributes for cross-tabulation, copied when the response starts.
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    industry = models.CharField(_("industry"), max_length=12, blank=True)
    size_band = models.CharField(_("size"), max_length=10, blank=True)
    role = models.CharField(_("role in decisions"), max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=8, blank=True)
    page = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "submitted_at"]),
            # Covers the cross-tabulation read: grouped by these without sorting a million rows.
            models.Index(
                fields=[
                    "survey",
                    "segment",
                    "industry",
                    "size_band",
                    "role",
                    "channel",
                    "submitted_at",
                ],
                name="response_attributes",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.survey}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    item = models.PositiveSmallIntegerField(default=0)  # matrix row, 0 otherwise
    # Every answer but text is a whole number: a scale point, an option number, or a bit mask
    # of the options ticked in a multiple choice (hence 64 bits).
    value = models.BigIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "item"], name="answer_once_per_item"
            )
        ]
        # The analysis reads one question at a time; covering the values keeps that read
        # sequential instead of one table page per answer (see columns.py).
        indexes = [
            models.Index(
                fields=["question", "item", "response", "value"], name="answer_by_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value if self.value is not None else self.text[:30]}"


class FollowUp(models.Model):
    """The closed loop: a detractor or a low CSAT opened work for the account manager."""

    class Reason(models.TextChoices):
        DETRACTOR = "detractor", _("Detractor")
        LOW_CSAT = "low_csat", _("Low satisfaction")

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="follow_up")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="follow_ups")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    score = models.FloatField(_("score"))
    request = models.ForeignKey(
        "service.ServiceRequest",
        verbose_name=_("service request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.company}"

    def outcome(self) -> dict[str, Any]:
        request = self.request
        if request is None:
            return {"status": "", "label": _("no request")}
        return {"status": request.status, "label": request.get_status_display()}


class ColumnSnapshot(models.Model):
    """The analysis columns of a survey up to `cutoff`, kept so that a large survey is not
    re-read answer by answer for every report (see clientdesk/surveys/columns.py)."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="+")
    cutoff = models.DateTimeField()
    n = models.PositiveIntegerField()
    columns = models.JSONField(default=list)  # [[question id, item], ...]
    labels = models.JSONField(default=dict)  # attribute -> labels of its codes
    data = models.BinaryField()
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("analysis snapshot")
        verbose_name_plural = _("analysis snapshots")

    def __str__(self) -> str:
        return f"{self.survey_id} @ {self.cutoff:%Y-%m-%d %H:%M}"
