"""REST API of the segments domain (mounted under /api/v1/)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clientdesk.core.api import BigListPagination
from clientdesk.core.permissions import HasPerm, has_perm
from clientdesk.core.roles import Perm

from . import selectors, services
from .models import CompanySegment, Lifecycle, RfmSegment, RuleSegment, SegmentRun

# Rows of /rules/{id}/companies/ per page; the client passes the last id back as `after`.
AUDIENCE_PAGE = 1000


# --- Schema-only shapes of JSON columns -------------------------------------------------------
# These describe JSON stored as is; they are never used to (re)serialise it, so keys the
# calculations add later still reach clients instead of being silently dropped.


class RiskReasonSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text=_("revenue_drop, silence, complaints or satisfaction."))
    points = serializers.FloatField(help_text=_("Share of the churn-risk score."))
    value = serializers.FloatField(
        allow_null=True, help_text=_("The figure behind the reason (%, days, count, score).")
    )


@extend_schema_field(RiskReasonSerializer(many=True))
class RiskReasonsField(serializers.JSONField):
    pass


class RuleConditionSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(help_text=_("A field of the rule editor, e.g. abc."))
    op = serializers.CharField(help_text=_("eq, in, gte, contains, ... (depends on the field)."))
    value = serializers.JSONField(help_text=_("A string, a number or a list of them."))


class RuleSetSerializer(serializers.Serializer[Any]):
    match = serializers.ChoiceField(choices=["all", "any"], default="all")
    conditions = RuleConditionSerializer(many=True)


@extend_schema_field(RuleSetSerializer)
class RuleSetField(serializers.JSONField):
    pass


# --- Serializers ------------------------------------------------------------------------------


class CompanySegmentSerializer(serializers.ModelSerializer[CompanySegment]):
    risk_reasons = RiskReasonsField(read_only=True)

    class Meta:
        model = CompanySegment
        fields = [
            "company",
            "revenue",
            "margin",
            "abc",
            "abc_margin",
            "xyz",
            "cv",
            "recency_days",
            "frequency",
            "r",
            "f",
            "m",
            "rfm_segment",
            "lifecycle",
            "trend_pct",
            "cluster",
            "churn_risk",
            "risk_reasons",
            "value_historic",
            "value_expected",
        ]
        read_only_fields = fields


class CurrentSegmentSerializer(serializers.Serializer[Any]):
    """`selectors.CurrentSegment` as JSON."""

    company_id = serializers.IntegerField()
    run_id = serializers.IntegerField()
    period_end = serializers.DateField()
    abc = serializers.CharField(help_text=_("A, B, C or empty (no revenue)."))
    abc_margin = serializers.CharField()
    xyz = serializers.CharField(help_text=_("X, Y, Z or empty (too few months)."))
    rfm_segment = serializers.ChoiceField(choices=RfmSegment.choices, allow_blank=True)
    r = serializers.IntegerField(allow_null=True)
    f = serializers.IntegerField(allow_null=True)
    m = serializers.IntegerField(allow_null=True)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices)
    cluster = serializers.IntegerField(allow_null=True)
    churn_risk = serializers.IntegerField()
    risk_reasons = RiskReasonsField()
    revenue = serializers.FloatField()
    value_historic = serializers.FloatField()
    value_expected = serializers.FloatField()
    at_risk = serializers.BooleanField()
    tier = serializers.IntegerField(
        allow_null=True, help_text=_("Service tier of the ABC-XYZ cell, when a policy is set.")
    )
    response_hours = serializers.IntegerField(allow_null=True)
    policy = serializers.CharField(allow_blank=True)


class RunSerializer(serializers.ModelSerializer[SegmentRun]):
    class Meta:
        model = SegmentRun
        fields = [
            "id",
            "period_end",
            "period_months",
            "status",
            "progress",
            "stage",
            "companies",
            "alerts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "timings",
        ]
        read_only_fields = fields


class RunStartSerializer(serializers.Serializer[Any]):
    period_end = serializers.DateField(
        required=False,
        allow_null=True,
        input_formats=["iso-8601"],
        error_messages={"invalid": _("Use the date format YYYY-MM-DD.")},
        help_text=_("Last day of the analysed period; the end of last month when left out."),
    )


class RuleSegmentSerializer(serializers.ModelSerializer[RuleSegment]):
    rules = RuleSetField(read_only=True)

    class Meta:
        model = RuleSegment
        fields = ["id", "name", "description", "shared", "rules", "owner", "updated_at"]
        read_only_fields = fields


class RuleSegmentWriteSerializer(serializers.Serializer[Any]):
    # Only types are checked here; services.rule_segment_save gives the business errors.
    name = serializers.CharField(allow_blank=True, max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    shared = serializers.BooleanField(required=False, default=False)
    rules = RuleSetField()


class AudienceSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text=_("Number of ids on this page."))
    ids = serializers.ListField(child=serializers.IntegerField())
    next_after = serializers.IntegerField(
        allow_null=True, help_text=_("Pass as `after` for the next page; null on the last one.")
    )


# --- Views ------------------------------------------------------------------------------------


class CompanyCurrentSegment(APIView):
    """The current segment of one company, with the service policy of its ABC-XYZ cell."""

    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW)]

    @extend_schema(responses=CurrentSegmentSerializer)
    def get(self, request: Request, company_id: int) -> Response:
        seg = selectors.segment_of(company_id)
        if seg is None:
            raise Http404
        return Response(CurrentSegmentSerializer(seg).data)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            *(
                OpenApiParameter(name, OpenApiTypes.STR, description=_("Exact value."))
                for name in selectors.DRILL_FILTERS
            ),
            *(
                OpenApiParameter(name, OpenApiTypes.STR, description=_("Company attribute."))
                for name in selectors.FIRMO_FILTERS
            ),
            OpenApiParameter(
                "at_risk", OpenApiTypes.STR, description=_("Any value: only companies at risk.")
            ),
            OpenApiParameter(
                "risk_band",
                OpenApiTypes.INT,
                description=_("Churn risk from this value to ten points above it."),
            ),
            OpenApiParameter(
                "in_group",
                OpenApiTypes.STR,
                enum=["0", "1"],
                description=_("1: only members of groups of companies; 0: only the others."),
            ),
            OpenApiParameter(
                "clients",
                OpenApiTypes.STR,
                description=_("Any value: only companies with revenue."),
            ),
        ]
    )
)
class Members(generics.ListAPIView[CompanySegment]):
    """Rows of the current run filtered by abc, xyz, rfm_segment, lifecycle, cluster, at_risk."""

    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW)]
    serializer_class = CompanySegmentSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[CompanySegment]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no database
            return CompanySegment.objects.none()
        run = selectors.current_run()
        if run is None:
            return CompanySegment.objects.none()
        params = {k: str(v) for k, v in self.request.query_params.items() if k != "cursor"}
        return selectors.members(run, params).select_related(None).order_by("-id")


class _ManageToWrite(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS") or has_perm(
            request.user, Perm.SEGMENTS_MANAGE
        )


class Runs(APIView):
    """GET: recent runs; POST {"period_end": "2025-12-31"}: start a recompute (202)."""

    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW), _ManageToWrite]

    @extend_schema(operation_id="segments_runs_list", responses=RunSerializer(many=True))
    def get(self, request: Request) -> Response:
        runs = SegmentRun.objects.order_by("-created_at")[:50]
        return Response(RunSerializer(runs, many=True).data)

    @extend_schema(request=RunStartSerializer, responses={202: RunSerializer})
    def post(self, request: Request) -> Response:
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.start_recompute(
            period_end=data.validated_data.get("period_end"),
            by=request.user,  # type: ignore[arg-type]
        )
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetail(generics.RetrieveAPIView[SegmentRun]):
    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW)]
    serializer_class = RunSerializer
    queryset = SegmentRun.objects.all()


class Rules(APIView):
    """GET: rule segments the user may see; POST: save a new one (201)."""

    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW), _ManageToWrite]

    @extend_schema(responses=RuleSegmentSerializer(many=True))
    def get(self, request: Request) -> Response:
        items = selectors.rule_segments_visible(request.user)
        return Response(RuleSegmentSerializer(items, many=True).data)

    @extend_schema(request=RuleSegmentWriteSerializer, responses={201: RuleSegmentSerializer})
    def post(self, request: Request) -> Response:
        data = RuleSegmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seg = services.rule_segment_save(
            name=data.validated_data["name"],
            description=data.validated_data["description"],
            shared=data.validated_data["shared"],
            rules=data.validated_data["rules"],
            by=request.user,  # type: ignore[arg-type]
        )
        return Response(RuleSegmentSerializer(seg).data, status=status.HTTP_201_CREATED)


class RuleCompanies(APIView):
    """IDs of the companies a rule segment matches now (an audience for campaigns)."""

    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW)]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after",
                OpenApiTypes.INT,
                description=_("Only ids above this one (next_after of the previous page)."),
            )
        ],
        responses=AudienceSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        try:
            seg = selectors.rule_segment_for(request.user, pk)
        except RuleSegment.DoesNotExist:
            raise Http404 from None
        qs = selectors.companies_in(rule_segment=seg).order_by("id")
        after = request.query_params.get("after", "")
        if after.isdigit():
            qs = qs.filter(pk__gt=int(after))
        ids = list(qs.values_list("pk", flat=True)[:AUDIENCE_PAGE])
        full = len(ids) == AUDIENCE_PAGE
        return Response(
            AudienceSerializer(
                {"count": len(ids), "ids": ids, "next_after": ids[-1] if full else None}
            ).data
        )


urlpatterns = [
    path(
        "segments/companies/<int:company_id>/",
        CompanyCurrentSegment.as_view(),
        name="segment-company",
    ),
    path("segments/members/", Members.as_view(), name="segment-members"),
    path("segments/runs/", Runs.as_view(), name="segment-runs"),
    path("segments/runs/<int:pk>/", RunDetail.as_view(), name="segment-run"),
    path("segments/rules/", Rules.as_view(), name="segment-rules"),
    path(
        "segments/rules/<int:pk>/companies/", RuleCompanies.as_view(), name="segment-rule-companies"
    ),
]
