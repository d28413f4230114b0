"""The Django admin configures the registry (reference lists, consent texts, settings).
Client records themselves are edited through the application, which validates and audits."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import ConsentText, Industry, Offering, Region, RegistrySettings, Tag


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "section", "name", "name_en"]
    list_filter = ["section"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ["purpose", "version", "language", "effective_from"]
    list_filter = ["purpose", "language"]
    search_fields = ["version", "text"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: ConsentText | None = None
    ) -> list[str]:
        # People agreed to these exact words: a text in use is replaced by a new version.
        if obj is not None and obj.consent_set.exists():
            return ["purpose", "version", "language", "text", "effective_from"]
        return []


@admin.register(RegistrySettings)
class RegistrySettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "stale_after_months"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not RegistrySettings.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: RegistrySettings | None = None
    ) -> bool:
        return False
