from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clientdesk.core.permissions import HasPerm, user_perms


class MeSerializer(serializers.Serializer[object]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    perms = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """The signed-in staff member, with the capabilities the server grants them."""

    permission_classes = [HasPerm()]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "display_name": getattr(user, "display_name", ""),
            "email": getattr(user, "email", ""),
            "role": getattr(user, "role", ""),
            "perms": sorted(user_perms(user)),
        }
        return Response(MeSerializer(data).data)


urlpatterns = [path("me/", MeView.as_view(), name="me")]
