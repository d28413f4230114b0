"""API endpoints of the core app: the audit trail."""

from __future__ import annotations

from django.urls import path
from rest_framework import generics, serializers

from .api import BigListPagination
from .models import AuditEvent
from .permissions import HasPerm
from .roles import Perm
from .selectors import audit_events


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.CharField(source="actor.username", default=None)
    target_type = serializers.CharField(source="target_type.model", default=None)

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "action", "target_type", "target_id", "target_repr", "changes"]


class AuditEventList(generics.ListAPIView[AuditEvent]):
    """The audit trail, newest first; filter with `?action=clients.` (prefix)."""

    permission_classes = [HasPerm(Perm.AUDIT_VIEW)]
    serializer_class = AuditEventSerializer
    pagination_class = BigListPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return audit_events(action=self.request.query_params.get("action", ""))


urlpatterns = [path("audit-events/", AuditEventList.as_view(), name="audit-event-list")]
