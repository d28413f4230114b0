"""API endpoints of the core app: the audit trail."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers

from .api import BigListPagination
from .models import AuditEvent
from .permissions import HasPerm
from .roles import Perm
from .selectors import audit_events


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)
    target_type = serializers.CharField(source="target_type.model", default=None, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "changes",
        ]
        read_only_fields = fields


class AuditEventQuery(serializers.Serializer[dict[str, object]]):
    """Filters of the audit trail, checked before they reach the selector."""

    action = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("Action prefix, e.g. `clients.` or `auth.login`."),
    )
    actor = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Id of the user who acted.")
    )


@extend_schema_view(get=extend_schema(parameters=[AuditEventQuery]))
class AuditEventList(generics.ListAPIView[AuditEvent]):
    """The audit trail, newest first; filter with `?action=clients.` (prefix) and `?actor=<id>`."""

    permission_classes = [HasPerm(Perm.AUDIT_VIEW)]
    serializer_class = AuditEventSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[AuditEvent]:
        query = AuditEventQuery(data=self.request.query_params)
        # A mistyped filter is a 400 naming the parameter, not a silently unfiltered list.
        query.is_valid(raise_exception=True)
        return audit_events(
            action=query.validated_data.get("action", ""),
            actor_id=query.validated_data.get("actor"),
        )


urlpatterns = [path("audit-events/", AuditEventList.as_view(), name="audit-event-list")]
