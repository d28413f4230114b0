"""Rosters are configured here or on the staffing page; every save is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clientdesk.core import audit

from .models import Shift


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin[Shift]):
    list_display = ["starts_at", "ends_at", "center", "person", "note"]
    list_filter = ["center"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["person"]

    def save_model(self, request: HttpRequest, obj: Shift, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action="staffing.shift_change" if change else "staffing.shift_add",
            target=obj,
            changes={f: [None, str(form.cleaned_data.get(f))] for f in form.changed_data},
        )

    def delete_model(self, request: HttpRequest, obj: Shift) -> None:
        audit.record(actor=request.user, action="staffing.shift_delete", target=obj)
        super().delete_model(request, obj)
