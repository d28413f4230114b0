"""Configuration of service centers: hours, ticket letters per service, desks.

Tickets, counters and sessions are written by the services only (gapless numbering, audit), so
the admin shows them read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Appointment, Desk, ServiceCenter, ServiceGroup, Ticket


class ServiceGroupInline(admin.TabularInline[ServiceGroup, ServiceCenter]):
    model = ServiceGroup
    extra = 1


class DeskInline(admin.TabularInline[Desk, ServiceCenter]):
    model = Desk
    extra = 1
    filter_horizontal = ["services"]


@admin.register(ServiceCenter)
class ServiceCenterAdmin(admin.ModelAdmin[ServiceCenter]):
    list_display = ["name", "code", "timezone", "is_active"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [ServiceGroupInline, DeskInline]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    list_display = ["code", "center", "day", "service", "state", "desk", "issued_at"]
    list_filter = ["center", "state", "day"]
    list_select_related = ["center", "service", "desk"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    """Read-only: booking, moving and cancelling go through the services (capacity, audit,
    e-mails to the client); the staff pages and the API are where they are done."""

    list_display = ["starts_at", "center", "service", "company", "state", "source", "reminded_at"]
    list_filter = ["center", "state", "source"]
    list_select_related = ["center", "service", "company"]
    raw_id_fields = ["company", "contact", "booked_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False
