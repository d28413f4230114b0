"""The main menu. Each entry names the capability it needs; the menu shows only what the user
may open, and the views behind the entries check the same capability again on the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .permissions import user_perms
from .roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    perm: Perm | tuple[Perm, ...] | None  # any one of them; None: any signed-in staff member


MENU: list[NavItem] = [
    NavItem(_("Home"), "core:home", None),
    NavItem(_("My queue"), "service:my_queue", Perm.REQUESTS_WORK),
    NavItem(_("Queues"), "service:supervisor", Perm.REQUESTS_SUPERVISE),
    NavItem(_("Service reports"), "service:reports", Perm.REQUESTS_SUPERVISE),
    NavItem(_("Companies"), "clients:company_list", Perm.CLIENTS_VIEW),
    NavItem(_("Contacts"), "clients:contact_list", Perm.CLIENTS_VIEW),
    NavItem(_("Data quality"), "clients:quality", Perm.CLIENTS_EDIT),
    NavItem(_("Duplicates"), "clients:duplicates", Perm.CLIENTS_MERGE),
    NavItem(_("Import"), "clients:import_list", Perm.CLIENTS_IMPORT),
    NavItem(_("Segments"), "segments:overview", Perm.SEGMENTS_VIEW),
    NavItem(_("At-risk clients"), "segments:at_risk", Perm.SEGMENTS_VIEW),
    NavItem(_("Campaigns"), "campaigns:list", (Perm.CAMPAIGNS_EDIT, Perm.CAMPAIGNS_APPROVE)),
    NavItem(_("Campaign touches"), "campaigns:touches", Perm.KEY_ACCOUNTS),
    NavItem(_("Surveys"), "surveys:list", Perm.SURVEYS_MANAGE),
    NavItem(_("Audit trail"), "core:audit", Perm.AUDIT_VIEW),
    NavItem(_("API"), "api-docs", None),
]


def menu_for(user: Any) -> list[dict[str, Any]]:
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", None) != "staff":
        return []
    granted = user_perms(user)
    items = []
    for item in MENU:
        needed = (item.perm,) if isinstance(item.perm, Perm) else item.perm
        if needed is not None and not granted.intersection(needed):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the app providing this entry is not installed
        items.append({"label": item.label, "url": url, "name": item.url_name})
    return items
