"""API of the service centers (mounted under /api/v1/):

- GET  centers/                        active centers with the services each offers
- GET  centers/{id}/services/          the services of one center (ticket letter, standard visit,
                                       documents to bring)
- GET  centers/{id}/slots/?service=&day=   free times of one local day
- GET  appointments/                   filters: center, day (with center), company, state
- POST appointments/                   book {center, service, starts_at, company, contact?, note?}
- GET  appointments/{id}/
- POST appointments/{id}/reschedule/   {starts_at}
- POST appointments/{id}/cancel/       {reason?}
- POST appointments/{id}/check-in/     the client has come: the ticket (staff at the center)
- GET  tickets/?center=&day=&state=    read-only, cursor-paginated, newest first
- GET  tickets/{id}/

Who: staff with `REQUESTS_WORK` book and manage appointments, `CENTER_OPERATE` checks in and
reads tickets. Portal users (session or token) may read centers and slots and manage their
own company's appointments: the list is scoped to their companies, another company's
appointment is a 404, and a booking is always for their own company and contact (`company`
and `contact` are refused from them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clientdesk.accounts.models import User
from clientdesk.clients.models import Company, Contact
from clientdesk.core.api import BigListPagination
from clientdesk.core.permissions import HasPerm, has_perm, is_staff_member
from clientdesk.core.roles import Perm
from clientdesk.portal.selectors import (
    acting_company,
    portal_account_for,
    scope_to_portal_user,
)
from clientdesk.service.models import Service

from . import selectors, services
from .models import Appointment, ServiceCenter, ServiceGroup, Ticket, TicketState


# --- access ----------------------------------------------------------------------------------
class _StaffOrPortalBase(BasePermission):
    """Staff with `perm` (any staff member when None), or an active portal user."""

    perm: Perm | None = None

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if is_staff_member(user):
            return self.perm is None or has_perm(user, self.perm)
        return bool(getattr(user, "is_active", False)) and portal_account_for(user) is not None


def StaffPermOrPortalUser(perm: Perm | None) -> type[BasePermission]:
    return type(f"StaffPermOrPortalUser[{perm or 'staff'}]", (_StaffOrPortalBase,), {"perm": perm})


def _is_portal(request: Request) -> bool:
    return not is_staff_member(request.user)


def _actor(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class AllowListSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare (as the service API does; API modules do not import
    each other)."""

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


# --- centers and slots -----------------------------------------------------------------------
class GroupSerializer(serializers.ModelSerializer[ServiceGroup]):
    service = serializers.IntegerField(source="service_id")
    code = serializers.CharField(source="service.code")
    name = serializers.CharField(source="service.display_name")
    documents = serializers.ListField(child=serializers.CharField(), source="service.documents")

    class Meta:
        model = ServiceGroup
        fields = ["service", "code", "name", "letter", "handling_minutes", "documents"]
        read_only_fields = fields


class CenterSerializer(serializers.ModelSerializer[ServiceCenter]):
    services = GroupSerializer(many=True, source="groups")

    class Meta:
        model = ServiceCenter
        fields = ["id", "code", "name", "address", "timezone", "week", "services"]
        read_only_fields = fields


class CenterList(generics.ListAPIView[ServiceCenter]):
    permission_classes = [StaffPermOrPortalUser(None)]
    serializer_class = CenterSerializer

    def get_queryset(self) -> QuerySet[ServiceCenter]:
        return selectors.active_centers().prefetch_related("groups__service").order_by("name")


class CenterServices(generics.ListAPIView[ServiceGroup]):
    permission_classes = [StaffPermOrPortalUser(None)]
    serializer_class = GroupSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[ServiceGroup]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no pk
            return ServiceGroup.objects.none()
        center = get_object_or_404(selectors.active_centers(), pk=self.kwargs["pk"])
        return selectors.bookable_groups(center)


class SlotQuery(serializers.Serializer[Any]):
    service = serializers.IntegerField(min_value=1)
    day = serializers.DateField()


class SlotSerializer(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    booked = serializers.IntegerField()
    free = serializers.IntegerField()


class CenterSlots(APIView):
    """Free times of one local day of the center for one service (full slots left out)."""

    permission_classes = [StaffPermOrPortalUser(None)]

    @extend_schema(parameters=[SlotQuery], responses=SlotSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        center = get_object_or_404(selectors.active_centers(), pk=pk)
        query = SlotQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        service = Service.objects.filter(pk=query.validated_data["service"]).first()
        if service is None or selectors.group_of(center, service) is None:
            raise serializers.ValidationError(
                {"service": [_("This service is not provided at this center.")]}
            )
        found = selectors.day_slots(center, service, query.validated_data["day"])
        data = [
            {"starts_at": s.starts_at, "capacity": s.capacity, "booked": s.booked, "free": s.free}
            for s in found
        ]
        return Response(SlotSerializer(data, many=True).data)


# --- appointments ----------------------------------------------------------------------------
class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    class Meta:
        model = Appointment
        fields = [
            "id",
            "center",
            "service",
            "starts_at",
            "company",
            "contact",
            "state",
            "source",
            "note",
            "created_at",
            "changed_at",
            "reminded_at",
        ]
        read_only_fields = fields


class AppointmentQuery(serializers.Serializer[Any]):
    center = serializers.IntegerField(required=False, min_value=1)
    day = serializers.DateField(required=False, help_text=_("A local day of the center given."))
    company = serializers.IntegerField(required=False, min_value=1)
    state = serializers.ChoiceField(choices=Appointment.State.choices, required=False)


class BookInput(AllowListSerializer):
    center = serializers.PrimaryKeyRelatedField(
        queryset=ServiceCenter.objects.filter(is_active=True)
    )
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.filter(is_active=True))
    starts_at = serializers.DateTimeField(help_text=_("One of the free times of the slots list."))
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.filter(merged_into__isnull=True),
        required=False,
        help_text=_("Required from staff; portal users book for their own company."),
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.filter(erased_at__isnull=True), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


def _appointments(request: Request) -> QuerySet[Appointment]:
    qs = Appointment.objects.all()
    return scope_to_portal_user(qs, request.user) if _is_portal(request) else qs


@extend_schema_view(get=extend_schema(parameters=[AppointmentQuery]))
class AppointmentListCreate(generics.ListAPIView[Appointment]):
    """Appointments in time order; POST books one (the confirmation is e-mailed)."""

    permission_classes = [StaffPermOrPortalUser(Perm.REQUESTS_WORK)]
    serializer_class = AppointmentSerializer

    def get_queryset(self) -> QuerySet[Appointment]:
        query = AppointmentQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        f = query.validated_data
        qs = _appointments(self.request)
        if f.get("day") and not f.get("center"):
            raise serializers.ValidationError({"day": [_("Give the center with the day.")]})
        if f.get("center"):
            center = get_object_or_404(ServiceCenter, pk=f["center"])
            qs = (
                qs.filter(pk__in=selectors.appointments_of_day(center, f["day"]).values("pk"))
                if f.get("day")
                else qs.filter(center=center)
            )
        if f.get("company"):
            qs = qs.filter(company_id=f["company"])
        if f.get("state"):
            qs = qs.filter(state=f["state"])
        return qs.order_by("starts_at", "pk")

    @extend_schema(request=BookInput, responses={201: AppointmentSerializer})
    def post(self, request: Request) -> Response:
        data = BookInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if _is_portal(request):
            if "company" in v or "contact" in v:
                raise serializers.ValidationError(
                    {"company": [_("Portal users book for their own company: leave it out.")]}
                )
            account = portal_account_for(request.user)
            assert account is not None  # the permission class let only such users in
            company = acting_company(account)
            contact = account.contact if company.pk == account.company_id else None
            source = Appointment.Source.PORTAL
        else:
            if v.get("company") is None:
                raise serializers.ValidationError({"company": [_("Give the client company.")]})
            company, contact = v["company"], v.get("contact")
            source = Appointment.Source.API
        booked = services.appointment_book(
            center=v["center"],
            service=v["service"],
            starts_at=v["starts_at"],
            company=company,
            contact=contact,
            note=v.get("note", ""),
            by=_actor(request),
            source=source,
        )
        return Response(AppointmentSerializer(booked).data, status=status.HTTP_201_CREATED)


class AppointmentDetail(generics.RetrieveAPIView[Appointment]):
    permission_classes = [StaffPermOrPortalUser(Perm.REQUESTS_WORK)]
    serializer_class = AppointmentSerializer

    def get_queryset(self) -> QuerySet[Appointment]:
        return _appointments(self.request)


class RescheduleInput(AllowListSerializer):
    starts_at = serializers.DateTimeField(help_text=_("One of the free times of the slots list."))


class CancelInput(AllowListSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


def _one(request: Request, pk: int) -> Appointment:
    return get_object_or_404(_appointments(request).select_related("center", "service"), pk=pk)


class AppointmentReschedule(APIView):
    permission_classes = [StaffPermOrPortalUser(Perm.REQUESTS_WORK)]

    @extend_schema(request=RescheduleInput, responses=AppointmentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        appointment = _one(request, pk)
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.appointment_reschedule(
            appointment=appointment,
            starts_at=data.validated_data["starts_at"],
            by=_actor(request),
        )
        return Response(AppointmentSerializer(moved).data)


class AppointmentCancel(APIView):
    permission_classes = [StaffPermOrPortalUser(Perm.REQUESTS_WORK)]

    @extend_schema(request=CancelInput, responses=AppointmentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        appointment = _one(request, pk)
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        if _is_portal(request) and appointment.starts_at <= timezone.now():
            raise serializers.ValidationError(
                {
                    "appointment": [
                        _("The time of this appointment has passed: it cannot be cancelled.")
                    ]
                }
            )
        cancelled = services.appointment_cancel(
            appointment=appointment,
            by=_actor(request),
            reason=data.validated_data.get("reason", ""),
        )
        return Response(AppointmentSerializer(cancelled).data)


# --- tickets ---------------------------------------------------------------------------------
class TicketSerializer(serializers.ModelSerializer[Ticket]):
    code = serializers.CharField(read_only=True)
    desk = serializers.CharField(source="desk.number", default=None, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "code",
            "center",
            "day",
            "service",
            "state",
            "priority",
            "issued_at",
            "called_at",
            "started_at",
            "finished_at",
            "desk",
            "company",
            "contact",
            "appointment",
            "request",
            "outcome",
            "first_contact_resolved",
        ]
        read_only_fields = fields


class AppointmentCheckIn(APIView):
    """The client has come: a ticket that stands in line from the booked time."""

    permission_classes = [HasPerm(Perm.CENTER_OPERATE)]

    @extend_schema(request=None, responses={201: TicketSerializer})
    def post(self, request: Request, pk: int) -> Response:
        appointment = get_object_or_404(Appointment.objects.select_related("center"), pk=pk)
        ticket = services.appointment_check_in(appointment=appointment, by=_actor(request))
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


class TicketQuery(serializers.Serializer[Any]):
    center = serializers.IntegerField(required=False, min_value=1)
    day = serializers.DateField(required=False)
    state = serializers.ChoiceField(choices=TicketState.choices, required=False)


@extend_schema_view(get=extend_schema(parameters=[TicketQuery]))
class TicketList(generics.ListAPIView[Ticket]):
    permission_classes = [HasPerm(Perm.CENTER_OPERATE)]
    serializer_class = TicketSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[Ticket]:
        query = TicketQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        f = query.validated_data
        qs = Ticket.objects.select_related("desk")
        if f.get("center"):
            qs = qs.filter(center_id=f["center"])
        if f.get("day"):
            qs = qs.filter(day=f["day"])
        if f.get("state"):
            qs = qs.filter(state=f["state"])
        return qs


class TicketDetail(generics.RetrieveAPIView[Ticket]):
    permission_classes = [HasPerm(Perm.CENTER_OPERATE)]
    serializer_class = TicketSerializer
    queryset = Ticket.objects.select_related("desk")


urlpatterns = [
    path("centers/", CenterList.as_view(), name="centers-center-list"),
    path("centers/<int:pk>/services/", CenterServices.as_view(), name="centers-center-services"),
    path("centers/<int:pk>/slots/", CenterSlots.as_view(), name="centers-center-slots"),
    path("appointments/", AppointmentListCreate.as_view(), name="centers-appointment-list"),
    path("appointments/<int:pk>/", AppointmentDetail.as_view(), name="centers-appointment-detail"),
    path(
        "appointments/<int:pk>/reschedule/",
        AppointmentReschedule.as_view(),
        name="centers-appointment-reschedule",
    ),
    path(
        "appointments/<int:pk>/cancel/",
        AppointmentCancel.as_view(),
        name="centers-appointment-cancel",
    ),
    path(
        "appointments/<int:pk>/check-in/",
        AppointmentCheckIn.as_view(),
        name="centers-appointment-check-in",
    ),
    path("tickets/", TicketList.as_view(), name="centers-ticket-list"),
    path("tickets/<int:pk>/", TicketDetail.as_view(), name="centers-ticket-detail"),
]
