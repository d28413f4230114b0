"""Staff pages of the campaigns domain. Marketers (CAMPAIGNS_EDIT) write campaigns and case
studies; approvers (CAMPAIGNS_APPROVE) read them and approve; account managers (CLIENTS_VIEW)
see the touches of their own clients, add notes to scheduled sends and record replies."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientdesk.clients.models import Channel
from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm
from clientdesk.segments import selectors as segment_selectors

from .. import charts, drift, pdf, rendering, selectors, services
from ..forms import (
    ApproveForm,
    CampaignForm,
    CaseStudyForm,
    NoteForm,
    ReplyForm,
    ScheduleForm,
    VariantForm,
)
from ..models import Campaign, CampaignRecipient, CaseStudy, ExclusionReason, Variant
from ..sending import SendContext, render_for

if TYPE_CHECKING:
    from clientdesk.accounts.models import User

PAGE = 50
LETTERS_MAX = 500
View = Callable[..., HttpResponse]


def require_any_perm(*perms: Perm) -> Callable[[View], View]:
    """Staff with at least one of `perms` (the campaign pages serve authors and approvers)."""

    def decorator(view: View) -> View:
        @require_perm()
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(has_perm(request.user, p) for p in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_perms = perms  # type: ignore[attr-defined]
        return wrapped

    return decorator


can_read = require_any_perm(Perm.CAMPAIGNS_EDIT, Perm.CAMPAIGNS_APPROVE)


def _user(request: HttpRequest) -> User:
    """The signed-in staff member (every view here is behind `require_perm`)."""
    return cast("User", request.user)


def _errors(request: HttpRequest, exc: ValidationError, form: Any = None) -> None:
    if form is not None and hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
        return
    for message in exc.messages:
        messages.error(request, message)


# --- campaigns ------------------------------------------------------------------------------
@can_read
def campaign_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = Paginator(selectors.campaign_list(status=status), PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/list.html",
        {
            "title": _("Campaigns"),
            "page": page,
            "status": status,
            "statuses": Campaign.Status.choices,
            "query": f"status={status}" if status else "",
            "can_edit": has_perm(request.user, Perm.CAMPAIGNS_EDIT),
        },
    )


@require_perm(Perm.CAMPAIGNS_EDIT)
def campaign_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    campaign = selectors.campaign_get(pk) if pk else None
    segments = segment_selectors.rule_segments_visible(request.user)
    if request.method == "POST":
        form = CampaignForm(request.POST, segments=segments)
        if form.is_valid():
            try:
                if campaign is None:
                    campaign = services.campaign_create(data=form.to_input(), by=_user(request))
                else:
                    services.campaign_update(
                        campaign=campaign, data=form.to_input(), by=_user(request)
                    )
            except ValidationError as exc:
                _errors(request, exc, form)
            else:
                messages.success(request, _("Campaign saved."))
                return redirect("campaigns:detail", pk=campaign.pk)
    else:
        initial = CampaignForm.initial_from(campaign) if campaign else {"channels": ["email"]}
        form = CampaignForm(initial=initial, segments=segments)
    return render(
        request,
        "campaigns/edit.html",
        {
            "title": campaign.name if campaign else _("New campaign"),
            "form": form,
            "campaign": campaign,
        },
    )


@can_read
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    variants = list(campaign.variants.all())
    for variant in variants:
        variant.text = rendering.variant_text(campaign, variant)  # type: ignore[attr-defined]
        variant.subject_shown = rendering.variant_subject(campaign, variant)  # type: ignore[attr-defined]
    approval = services.valid_approval(campaign)
    return render(
        request,
        "campaigns/detail.html",
        {
            "title": campaign.name,
            "campaign": campaign,
            "variants": variants,
            "facts": [
                (f, drift.format_fact(f, "ru"), drift.format_fact(f, "en")) for f in campaign.facts
            ],
            "approval": approval,
            "last_approval": campaign.approvals.select_related("approved_by").first(),
            "drifting": any(v.drift for v in variants),
            "summary": selectors.audience_summary(campaign),
            "reasons": dict(ExclusionReason.choices),
            "first_recipient": campaign.recipients.filter(
                state__in=["pending", "sent"], channel=Channel.EMAIL
            ).first(),
            "approve_form": ApproveForm(),
            "schedule_form": ScheduleForm(),
            "can_edit": has_perm(request.user, Perm.CAMPAIGNS_EDIT),
            "can_approve": has_perm(request.user, Perm.CAMPAIGNS_APPROVE),
            "editable": campaign.status in services.EDITABLE,
            "unknown": campaign.recipients.filter(state=CampaignRecipient.State.UNKNOWN).count(),
        },
    )


@require_perm(Perm.CAMPAIGNS_EDIT)
def variant_edit(request: HttpRequest, pk: int, variant_pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    variant = get_object_or_404(Variant, pk=variant_pk, campaign=campaign)
    if request.method == "POST":
        form = VariantForm(request.POST)
        if form.is_valid():
            try:
                services.variant_update(
                    variant=variant,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    by=_user(request),
                )
            except ValidationError as exc:
                _errors(request, exc, form)
            else:
                if variant.drift:
                    messages.warning(request, _("Saved, but the text differs from the master."))
                else:
                    messages.success(request, _("Variant saved; it matches the master."))
                return redirect("campaigns:detail", pk=campaign.pk)
    else:
        form = VariantForm(
            initial={"subject": variant.subject, "body": rendering.variant_text(campaign, variant)}
        )
    return render(
        request,
        "campaigns/variant.html",
        {"title": str(variant), "campaign": campaign, "variant": variant, "form": form},
    )


@require_POST
@require_perm(Perm.CAMPAIGNS_APPROVE)
def campaign_approve(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            services.campaign_approve(
                campaign=campaign,
                by=_user(request),
                accept_drift=form.cleaned_data["accept_drift"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Approved. This exact version may now be sent."))
    return redirect("campaigns:detail", pk=pk)


@can_read
def audience(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    if request.method == "POST":
        if not has_perm(request.user, Perm.CAMPAIGNS_EDIT):
            raise PermissionDenied
        try:
            counts = services.audience_build(campaign=campaign, by=_user(request))
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request,
                _("Audience built: %(n)s to send, %(x)s excluded.")
                % {
                    "n": counts.get("pending", 0),
                    "x": sum(v for k, v in counts.items() if k != "pending"),
                },
            )
        return redirect("campaigns:audience", pk=pk)
    state = request.GET.get("state", "")
    reason = request.GET.get("reason", "")
    qs = selectors.recipients(campaign, state=state, reason=reason)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/audience.html",
        {
            "title": _("Audience of %(name)s") % {"name": campaign.name},
            "campaign": campaign,
            "page": page,
            "summary": selectors.audience_summary(campaign),
            "reasons": ExclusionReason.choices,
            "states": CampaignRecipient.State.choices,
            "state": state,
            "reason": reason,
            "query": "&".join(f"{k}={v}" for k, v in (("state", state), ("reason", reason)) if v),
            "can_edit": has_perm(request.user, Perm.CAMPAIGNS_EDIT),
        },
    )


@require_POST
@require_perm(Perm.CAMPAIGNS_EDIT)
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.campaign_schedule(
                campaign=campaign, send_at=form.cleaned_data["send_at"], by=_user(request)
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Scheduled."))
    return redirect("campaigns:detail", pk=pk)


@require_POST
@can_read
def campaign_pause(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    try:
        services.campaign_pause(campaign=campaign, by=_user(request))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Paused: nothing more goes out until it is scheduled again."))
    return redirect("campaigns:detail", pk=pk)


@require_POST
@require_perm(Perm.CAMPAIGNS_EDIT)
def campaign_resend_unknown(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    count = services.campaign_resend_unknown(campaign=campaign, by=_user(request))
    messages.warning(
        request,
        _("%(n)s interrupted message(s) queued again; schedule the campaign to send them.")
        % {"n": count},
    )
    return redirect("campaigns:detail", pk=pk)


@can_read
def preview(request: HttpRequest, pk: int, recipient_pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    recipient = get_object_or_404(
        CampaignRecipient.objects.select_related("contact", "company__account_manager"),
        pk=recipient_pk,
        campaign=campaign,
    )
    ctx = SendContext.load(campaign)
    ctx.figures = rendering.client_figures([recipient.company_id], recipient.language)
    rendered = render_for(recipient, ctx)
    return render(
        request,
        "campaigns/preview.html",
        {
            "title": _("Preview"),
            "campaign": campaign,
            "recipient": recipient,
            "rendered": rendered,
        },
    )


RESULT_METRICS = (
    ("delivered", gettext_lazy("Delivered")),
    ("opened", gettext_lazy("Opened")),
    ("clicked", gettext_lazy("Clicked")),
    ("replied", gettext_lazy("Replied")),
    ("unsubscribed", gettext_lazy("Unsubscribed")),
    ("companies_with_requests", gettext_lazy("Companies with requests")),
    ("companies_with_deals", gettext_lazy("Companies with deals")),
)


@can_read
def results(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    data = selectors.results(campaign)
    metrics = [(m, str(label)) for m, label in RESULT_METRICS]
    channel_labels = {str(k): str(v) for k, v in Channel.choices}
    return render(
        request,
        "campaigns/results.html",
        {
            "title": _("Results of %(name)s") % {"name": campaign.name},
            "campaign": campaign,
            "metrics": metrics,
            "by_channel": data["channel"],
            "by_segment": data["segment"],
            "channel_labels": channel_labels,
            "channel_chart": charts.grouped_bars(
                data["channel"], metrics, title=_("Results by channel"), labels=channel_labels
            ),
            "segment_chart": charts.grouped_bars(
                data["segment"], metrics, title=_("Results by segment")
            ),
        },
    )


@require_perm(Perm.CAMPAIGNS_EDIT)
def letters_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(pk)
    rows = list(
        selectors.recipients(campaign, channel=Channel.LETTER)
        .filter(state__in=["pending", "sent"])
        .select_related("company__account_manager", "company__industry")[:LETTERS_MAX]
    )
    ctx = SendContext.load(campaign)
    ctx.figures = rendering.client_figures({r.company_id for r in rows})
    response = HttpResponse(pdf.letters(rows, ctx), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letters-{campaign.pk}.pdf"'
    return response


# --- case studies ---------------------------------------------------------------------------
@require_perm(Perm.CAMPAIGNS_EDIT)
def case_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.case_studies(), PAGE).get_page(request.GET.get("page"))
    return render(request, "campaigns/case_list.html", {"title": _("Case studies"), "page": page})


@require_perm(Perm.CAMPAIGNS_EDIT)
def case_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    case = get_object_or_404(CaseStudy, pk=pk) if pk else None
    if request.method == "POST":
        form = CaseStudyForm(request.POST)
        if form.is_valid():
            try:
                services.case_study_save(data=form.to_input(), by=_user(request), case=case)
            except ValidationError as exc:
                _errors(request, exc, form)
            else:
                messages.success(request, _("Case study saved."))
                return redirect("campaigns:case_list")
    else:
        initial: dict[str, Any] = {}
        if case is not None:
            initial = {
                "title_ru": case.title_ru,
                "body_ru": case.body_ru,
                "title_en": case.title_en,
                "body_en": case.body_en,
                "sections": case.sections,
                "industries": list(case.industries.all()),
                "offerings": list(case.offerings.all()),
                "is_active": case.is_active,
            }
        form = CaseStudyForm(initial=initial)
    return render(
        request,
        "campaigns/case_edit.html",
        {"title": case.title_ru if case else _("New case study"), "form": form},
    )


# --- the account manager --------------------------------------------------------------------
@require_perm(Perm.KEY_ACCOUNTS)
def touches(request: HttpRequest) -> HttpResponse:
    scheduled = request.GET.get("scheduled") == "1"
    qs = selectors.touches_for(request.user, scheduled_only=scheduled)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/touches.html",
        {
            "title": _("Campaign touches of my clients"),
            "page": page,
            "scheduled": scheduled,
            "query": "scheduled=1" if scheduled else "",
            "note_form": NoteForm(),
            "reply_form": ReplyForm(),
        },
    )


@require_POST
@require_perm(Perm.CLIENTS_VIEW)
def touch_note(request: HttpRequest, recipient_pk: int) -> HttpResponse:
    recipient = selectors.touch_for(request.user, recipient_pk)
    form = NoteForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.recipient_note(
                recipient=recipient,
                note=form.cleaned_data["note"],
                by=_user(request),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "campaigns/_touch_row.html",
            {"r": recipient, "error": error, "note_form": NoteForm(), "reply_form": ReplyForm()},
            status=200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Note added to the message."))
    return redirect("campaigns:touches")


@require_POST
@require_perm(Perm.CLIENTS_VIEW)
def touch_reply(request: HttpRequest, recipient_pk: int) -> HttpResponse:
    recipient = selectors.touch_for(request.user, recipient_pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        services.recipient_replied(
            recipient=recipient,
            summary=form.cleaned_data["summary"],
            by=_user(request),
        )
        messages.success(request, _("Reply recorded on the timeline."))
    return redirect("campaigns:touches")


@require_perm(Perm.CLIENTS_VIEW)
def talking_points_pdf(request: HttpRequest, recipient_pk: int) -> HttpResponse:
    if has_perm(request.user, Perm.CAMPAIGNS_EDIT):
        recipient = get_object_or_404(
            CampaignRecipient.objects.select_related("campaign", "contact", "company"),
            pk=recipient_pk,
        )
    else:
        recipient = selectors.touch_for(request.user, recipient_pk)
    ctx = SendContext.load(recipient.campaign)
    ctx.figures = rendering.client_figures([recipient.company_id], recipient.language)
    response = HttpResponse(pdf.talking_points(recipient, ctx), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="talking-points-{recipient.pk}.pdf"'
    return response
