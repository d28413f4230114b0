"""REST API of the segments domain (mounted under /api/v1/)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.http import Http404
from django.urls import path
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clientdesk.core.api import BigListPagination
from clientdesk.core.permissions import HasPerm, has_perm
from clientdesk.core.roles import Perm

from . import selectors, services
from .models import CompanySegment, RuleSegment, SegmentRun


class CompanySegmentSerializer(serializers.ModelSerializer[CompanySegment]):
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


class RuleSegmentSerializer(serializers.ModelSerializer[RuleSegment]):
    class Meta:
        model = RuleSegment
        fields = ["id", "name", "description", "shared", "rules", "owner", "updated_at"]
        read_only_fields = ["id", "owner", "updated_at"]


class CompanyCurrentSegment(APIView):
    """The current segment of one company, with the service policy of its ABC-XYZ cell."""

    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW)]

    def get(self, request: Request, company_id: int) -> Response:
        seg = selectors.segment_of(company_id)
        if seg is None:
            raise Http404
        return Response(dataclasses.asdict(seg))


class Members(generics.ListAPIView[CompanySegment]):
    """Rows of the current run filtered by abc, xyz, rfm_segment, lifecycle, cluster, at_risk."""

    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW)]
    serializer_class = CompanySegmentSerializer
    pagination_class = BigListPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
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

    def get(self, request: Request) -> Response:
        runs = SegmentRun.objects.order_by("-created_at")[:50]
        return Response(RunSerializer(runs, many=True).data)

    def post(self, request: Request) -> Response:
        data: Any = request.data
        raw = data.get("period_end")
        try:
            period_end = dt.date.fromisoformat(raw) if raw else None
        except (TypeError, ValueError):
            raise serializers.ValidationError(
                {"period_end": ["Use the date format YYYY-MM-DD."]}
            ) from None
        run = services.start_recompute(period_end=period_end, by=request.user)  # type: ignore[arg-type]
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetail(generics.RetrieveAPIView[SegmentRun]):
    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW)]
    serializer_class = RunSerializer
    queryset = SegmentRun.objects.all()


class Rules(APIView):
    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW), _ManageToWrite]

    def get(self, request: Request) -> Response:
        items = selectors.rule_segments_visible(request.user)
        return Response(RuleSegmentSerializer(items, many=True).data)

    def post(self, request: Request) -> Response:
        data: Any = request.data
        seg = services.rule_segment_save(
            name=str(data.get("name", "")),
            description=str(data.get("description", "")),
            shared=bool(data.get("shared", False)),
            rules=data.get("rules"),
            by=request.user,  # type: ignore[arg-type]
        )
        return Response(RuleSegmentSerializer(seg).data, status=status.HTTP_201_CREATED)


class RuleCompanies(APIView):
    """IDs of the companies a rule segment matches now (an audience for campaigns)."""

    permission_classes = [HasPerm(Perm.SEGMENTS_VIEW)]

    def get(self, request: Request, pk: int) -> Response:
        try:
            seg = selectors.rule_segment_for(request.user, pk)
        except RuleSegment.DoesNotExist:
            raise Http404 from None
        qs = selectors.companies_in(rule_segment=seg).order_by("id")
        after = request.query_params.get("after", "")
        if after.isdigit():
            qs = qs.filter(pk__gt=int(after))
        ids = list(qs.values_list("pk", flat=True)[:1000])
        return Response(
            {"count": len(ids), "ids": ids, "next_after": ids[-1] if len(ids) == 1000 else None}
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
