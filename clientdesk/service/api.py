"""API of the service domain (mounted under /api/v1/):

- GET  requests/                 open and closed requests, cursor-paginated, newest first;
                                 filters: status, open, assignee (id or "me"), team, company,
                                 service, channel, priority, breached
- POST requests/                 open a request {company, contact?, service?, channel?,
                                 priority?, subject, body?, topic?, attachments?}
- GET  requests/{id}/            one request with its client-visible messages (and notes)
- POST requests/{id}/status/     {status, comment?, first_contact?}
- POST requests/{id}/reply/      {body, attachments?}  — a reply the client sees, e-mailed
                                 after commit (multipart/form-data to attach files)
- POST requests/{id}/notes/      {body}  — an internal note
- POST requests/{id}/assign/     {assignee: user id or null}
- POST requests/{id}/classify/   {avoidable_reason: code or null, topic?, priority?}
- POST calls/incoming/           {phone, call_id?} — telephony: who is calling, with open requests
- POST calls/{id}/finish/        {duration, outcome, request?, note?}

Input serializers are allow-lists: a field not listed is refused with a validation error, so a
client cannot set the number, SLA dates or breach flags, whatever it sends.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clientdesk.accounts.models import User
from clientdesk.clients.models import Channel, Company, Contact
from clientdesk.core.api import BigListPagination
from clientdesk.core.permissions import HasPerm
from clientdesk.core.roles import Perm

from . import services
from .models import (
    AvoidableReason,
    CallLog,
    Priority,
    RequestMessage,
    Service,
    ServiceRequest,
    Status,
)
from .views import actor


class AllowListSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare instead of silently ignoring them."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [
                            _("This field cannot be set here (allowed: %(f)s).")
                            % {"f": ", ".join(self.fields)}
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class MessageSerializer(serializers.ModelSerializer[RequestMessage]):
    author = serializers.CharField(source="author.display_name", default=None)

    class Meta:
        model = RequestMessage
        fields = ["id", "kind", "author", "from_email", "channel", "body_html", "created_at"]
        read_only_fields = fields


class RequestSerializer(serializers.ModelSerializer[ServiceRequest]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "number",
            "url",
            "company",
            "contact",
            "service",
            "channel",
            "priority",
            "status",
            "subject",
            "topic",
            "assignee",
            "team",
            "created_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "first_response_due",
            "resolution_due",
            "first_response_breached",
            "resolution_breached",
            "sla_paused_minutes",
            "first_contact_resolution",
            "repeat_of",
            "is_repeat_visit",
            "avoidable_reason",
        ]
        read_only_fields = fields

    def get_url(self, obj: ServiceRequest) -> str:
        return reverse("service:request_detail", args=[obj.pk])


class RequestDetailSerializer(RequestSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "messages"]
        read_only_fields = fields


class RequestCreateSerializer(AllowListSerializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.filter(merged_into__isnull=True)
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    subject = serializers.CharField(max_length=300)
    body = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    topic = serializers.CharField(required=False, allow_blank=True, max_length=100)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10, allow_empty=True
    )


def _uploads(files: list[Any]) -> list[tuple[str, Any, int | None]]:
    """Files as the services take them; size and type are checked there, as for any upload."""
    return [(f.name or "file", f, f.size) for f in files]


class RequestQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    open = serializers.BooleanField(required=False, allow_null=True, default=None)
    assignee = serializers.CharField(required=False, max_length=20)
    team = serializers.IntegerField(required=False, min_value=1)
    company = serializers.IntegerField(required=False, min_value=1)
    service = serializers.IntegerField(required=False, min_value=1)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    breached = serializers.BooleanField(required=False, allow_null=True, default=None)


@extend_schema_view(get=extend_schema(parameters=[RequestQuery]))
class RequestListCreate(generics.ListAPIView[ServiceRequest]):
    """Requests, newest first. POST opens one (SLA, routing and repeat detection applied)."""

    permission_classes = [HasPerm(Perm.REQUESTS_WORK)]
    serializer_class = RequestSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        query = RequestQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        f = query.validated_data
        qs = ServiceRequest.objects.all()
        if f.get("status"):
            qs = qs.filter(status=f["status"])
        if f.get("open") is not None:
            qs = qs.filter(is_open=f["open"])
        if f.get("assignee"):
            if f["assignee"] == "me":
                qs = qs.filter(assignee=actor(self.request))
            elif f["assignee"].isdigit():
                qs = qs.filter(assignee_id=int(f["assignee"]))
            else:
                raise serializers.ValidationError({"assignee": [_("Use a user id or “me”.")]})
        for name in ("team", "company", "service"):
            if f.get(name):
                qs = qs.filter(**{f"{name}_id": f[name]})
        for name in ("channel", "priority"):
            if f.get(name):
                qs = qs.filter(**{name: f[name]})
        if f.get("breached") is not None:
            breached = Q(first_response_breached=True) | Q(resolution_breached=True)
            qs = qs.filter(breached) if f["breached"] else qs.exclude(breached)
        return qs

    @extend_schema(request=RequestCreateSerializer, responses={201: RequestSerializer})
    def post(self, request: Request) -> Response:
        data = RequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        created = services.request_create(
            data=services.RequestInput(
                company=v["company"],
                contact=v.get("contact"),
                service=v.get("service"),
                channel=v["channel"],
                priority=v["priority"],
                subject=v["subject"],
                body=v.get("body", ""),
                topic=v.get("topic", ""),
                source="api",
                attachments=_uploads(v.get("attachments", [])),
            ),
            by=actor(request),
        )
        return Response(RequestSerializer(created).data, status=status.HTTP_201_CREATED)


class RequestDetail(generics.RetrieveAPIView[ServiceRequest]):
    permission_classes = [HasPerm(Perm.REQUESTS_WORK)]
    serializer_class = RequestDetailSerializer

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        return ServiceRequest.objects.prefetch_related("messages__author")


class StatusInput(AllowListSerializer):
    status = serializers.ChoiceField(choices=Status.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=300)
    first_contact = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("With status “resolved”: resolved at first contact."),
    )


class RequestStatus(APIView):
    permission_classes = [HasPerm(Perm.REQUESTS_WORK)]

    @extend_schema(request=StatusInput, responses=RequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        obj = get_object_or_404(ServiceRequest, pk=pk)
        data = StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["status"] == Status.RESOLVED:
            obj = services.request_resolve(
                request=obj,
                first_contact=v["first_contact"],
                comment=v.get("comment", ""),
                by=actor(request),
            )
        else:
            obj = services.request_change_status(
                request=obj, to=v["status"], comment=v.get("comment", ""), by=actor(request)
            )
        return Response(RequestSerializer(obj).data)


class AssignInput(AllowListSerializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF, is_active=True), allow_null=True
    )


class RequestAssign(APIView):
    permission_classes = [HasPerm(Perm.REQUESTS_WORK)]

    @extend_schema(request=AssignInput, responses=RequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        obj = get_object_or_404(ServiceRequest, pk=pk)
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        obj = services.request_assign(
            request=obj, to=data.validated_data["assignee"], by=actor(request)
        )
        return Response(RequestSerializer(obj).data)


class ClassifyInput(AllowListSerializer):
    avoidable_reason = serializers.SlugRelatedField(
        slug_field="code",
        queryset=AvoidableReason.objects.filter(is_active=True),
        allow_null=True,
        help_text=_("Code of the reason the company caused this contact; null: not caused by us."),
    )
    topic = serializers.CharField(required=False, allow_blank=True, max_length=100)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)


class RequestClassify(APIView):
    permission_classes = [HasPerm(Perm.REQUESTS_WORK)]

    @extend_schema(request=ClassifyInput, responses=RequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        obj = get_object_or_404(ServiceRequest, pk=pk)
        data = ClassifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        obj = services.request_classify(
            request=obj,
            by=actor(request),
            avoidable_reason=v["avoidable_reason"],
            topic=v.get("topic"),
            priority=v.get("priority"),
        )
        return Response(RequestSerializer(obj).data)


class BodyInput(AllowListSerializer):
    body = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10, allow_empty=True
    )


class RequestReply(APIView):
    permission_classes = [HasPerm(Perm.REQUESTS_WORK)]
    note = False

    @extend_schema(request=BodyInput, responses={201: MessageSerializer})
    def post(self, request: Request, pk: int) -> Response:
        obj = get_object_or_404(ServiceRequest.objects.select_related("contact", "company"), pk=pk)
        data = BodyInput(data=request.data)
        data.is_valid(raise_exception=True)
        body, by = data.validated_data.get("body", ""), actor(request)
        if self.note:
            message = services.request_note(request=obj, body=body, by=by)
        else:
            files = _uploads(data.validated_data.get("attachments", []))
            message = services.request_reply(request=obj, body=body, by=by, attachments=files)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class RequestNote(RequestReply):
    note = True


class IncomingCallInput(AllowListSerializer):
    phone = serializers.CharField(max_length=64)
    call_id = serializers.CharField(required=False, allow_blank=True, max_length=100)


class CallCardSerializer(serializers.Serializer[Any]):
    """The caller's card (documentation of the response)."""

    call = serializers.IntegerField()
    phone = serializers.CharField()
    card_url = serializers.CharField(help_text=_("Staff page to open for this call."))
    company = serializers.JSONField(allow_null=True)
    contact = serializers.JSONField(allow_null=True)
    other_contacts = serializers.JSONField()
    open_requests = RequestSerializer(many=True)


class FinishedCallSerializer(serializers.Serializer[Any]):
    call = serializers.IntegerField()
    duration = serializers.IntegerField()
    outcome = serializers.CharField()
    finished_at = serializers.DateTimeField()


class IncomingCall(APIView):
    """The telephony integration reports a ringing call; the answer is the caller's card: the
    company and contact found by the number (any format), open requests, and the page to open."""

    permission_classes = [HasPerm(Perm.REQUESTS_WORK)]

    @extend_schema(request=IncomingCallInput, responses={201: CallCardSerializer})
    def post(self, request: Request) -> Response:
        data = IncomingCallInput(data=request.data)
        data.is_valid(raise_exception=True)
        card = services.call_event_incoming(
            phone=data.validated_data["phone"],
            external_id=data.validated_data.get("call_id", ""),
            by=actor(request),
        )
        company, contact = card.company, card.contact
        body = {
            "call": card.call.pk,
            "phone": card.call.phone,
            "card_url": reverse("service:call_card", args=[card.call.pk]),
            "company": {
                "id": company.pk,
                "name": company.display_name,
                "inn": company.inn,
                "account_manager": str(company.account_manager)
                if company.account_manager
                else None,
            }
            if company
            else None,
            "contact": {"id": contact.pk, "name": contact.full_name, "position": contact.position}
            if contact
            else None,
            "other_contacts": [{"id": c.pk, "name": c.full_name} for c in card.other_matches],
            "open_requests": RequestSerializer(card.open_requests, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class FinishCallInput(AllowListSerializer):
    duration = serializers.IntegerField(min_value=0, max_value=86400)
    outcome = serializers.ChoiceField(choices=[c for c in CallLog.Outcome.choices if c[0]])
    request = serializers.PrimaryKeyRelatedField(
        queryset=ServiceRequest.objects.all(), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class FinishCall(APIView):
    permission_classes = [HasPerm(Perm.REQUESTS_WORK)]

    @extend_schema(request=FinishCallInput, responses=FinishedCallSerializer)
    def post(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(CallLog.objects.select_related("company", "contact"), pk=pk)
        data = FinishCallInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        call = services.call_finish(
            call=call,
            duration_seconds=v["duration"],
            outcome=v["outcome"],
            request=v.get("request"),
            note=v.get("note", ""),
            by=actor(request),
        )
        return Response(
            {
                "call": call.pk,
                "duration": call.duration_seconds,
                "outcome": call.outcome,
                "finished_at": timezone.localtime(call.finished_at).isoformat()
                if call.finished_at
                else None,
            }
        )


urlpatterns = [
    path("requests/", RequestListCreate.as_view(), name="service-request-list"),
    path("requests/<int:pk>/", RequestDetail.as_view(), name="service-request-detail"),
    path("requests/<int:pk>/status/", RequestStatus.as_view(), name="service-request-status"),
    path("requests/<int:pk>/reply/", RequestReply.as_view(), name="service-request-reply"),
    path("requests/<int:pk>/notes/", RequestNote.as_view(), name="service-request-note"),
    path("requests/<int:pk>/assign/", RequestAssign.as_view(), name="service-request-assign"),
    path("requests/<int:pk>/classify/", RequestClassify.as_view(), name="service-request-classify"),
    path("calls/incoming/", IncomingCall.as_view(), name="service-call-incoming"),
    path("calls/<int:pk>/finish/", FinishCall.as_view(), name="service-call-finish"),
]
