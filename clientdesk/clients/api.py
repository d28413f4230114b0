from __future__ import annotations

from django.urls import path
from rest_framework import generics, serializers

from clientdesk.core.api import BigListPagination
from clientdesk.core.permissions import HasPerm
from clientdesk.core.roles import Perm

from . import selectors
from .models import Company


class CompanySerializer(serializers.ModelSerializer[Company]):
    class Meta:
        model = Company
        fields = [
            "id",
            "legal_name",
            "short_name",
            "legal_form",
            "inn",
            "kpp",
            "ogrn",
            "status",
            "account_manager",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CompanyList(generics.ListAPIView[Company]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW)]
    serializer_class = CompanySerializer
    pagination_class = BigListPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.company_list(
            q=self.request.query_params.get("q", ""),
            status=self.request.query_params.get("status", ""),
        )


class CompanyDetail(generics.RetrieveAPIView[Company]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW)]
    serializer_class = CompanySerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.company_list()


urlpatterns = [
    path("companies/", CompanyList.as_view(), name="company-list"),
    path("companies/<int:pk>/", CompanyDetail.as_view(), name="company-detail"),
]
