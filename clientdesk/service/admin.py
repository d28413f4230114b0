"""Configuration of the service domain: catalogue, units and agents, SLA policies, the working
calendar with its production-calendar exceptions, avoidable-contact reasons."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    Agent,
    AvoidableReason,
    CalendarException,
    KeyClientRoute,
    Service,
    Skill,
    SlaPolicy,
    StandardDocument,
    Unit,
    WorkingCalendar,
)


class CalendarExceptionInline(admin.TabularInline[CalendarException, WorkingCalendar]):
    model = CalendarException
    extra = 1
    ordering = ["-date"]


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(admin.ModelAdmin[WorkingCalendar]):
    list_display = ["name", "timezone", "country", "is_default"]
    inlines = [CalendarExceptionInline]


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin[CalendarException]):
    list_display = ["date", "kind", "calendar", "hours", "note"]
    list_filter = ["calendar", "kind"]
    date_hierarchy = "date"


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin[Unit]):
    list_display = ["code", "name", "supervisor", "email", "calendar"]
    raw_id_fields = ["supervisor"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    list_display = ["code", "name", "name_en"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin[Agent]):
    list_display = ["user", "capacity", "is_available"]
    filter_horizontal = ["units", "skills"]
    raw_id_fields = ["user"]


@admin.register(KeyClientRoute)
class KeyClientRouteAdmin(admin.ModelAdmin[KeyClientRoute]):
    list_display = ["company", "assignee", "team"]
    raw_id_fields = ["company", "assignee"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = ["code", "name", "unit", "in_person_required", "standard_minutes", "is_active"]
    list_filter = ["unit", "in_person_required", "is_active"]
    filter_horizontal = ["skills"]
    search_fields = ["code", "name", "name_en"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = [
        "name",
        "abc_xyz",
        "rule_segment_id",
        "service",
        "channel",
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "warn_at_percent",
        "rank",
        "is_default",
        "is_active",
    ]
    list_filter = ["is_active", "channel", "priority"]


@admin.register(AvoidableReason)
class AvoidableReasonAdmin(admin.ModelAdmin[AvoidableReason]):
    list_display = ["code", "name", "name_en", "is_active"]


@admin.register(StandardDocument)
class StandardDocumentAdmin(admin.ModelAdmin[StandardDocument]):
    list_display = ["title", "unit", "kind", "version", "effective_from"]
    list_filter = ["unit", "kind"]
