from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import TOTPDevice, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "kind", "role", "is_active")
    list_filter = ("kind", "role", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("clientdesk"),
            {"fields": ("kind", "role", "patronymic", "position", "phone", "language")},
        ),
    )


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin[TOTPDevice]):
    """Deleting a device here switches two-step sign-in off for a user who lost phone and
    recovery codes; the secret itself is never shown."""

    list_display = ("user", "confirmed_at", "created_at")
    search_fields = ("user__username", "user__email")
    fields = ("user", "confirmed_at", "created_at")
    readonly_fields = ("user", "confirmed_at", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
