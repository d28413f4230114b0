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
    NavItem(_("My desk"), "centers:desk", Perm.CENTER_OPERATE),
    NavItem(_("Center staffing"), "centers:staffing", Perm.CENTERS_MANAGE),
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
    NavItem(_("Knowledge base"), "knowledge:manage", Perm.KNOWLEDGE_EDIT),
    NavItem(_("Audit trail"), "core:audit", Perm.AUDIT_VIEW),
    NavItem(_("API"), "api-docs", None),
]


# What a client company's employee sees in the portal; the portal views scope every object to
# the user's company themselves.
PORTAL_MENU: list[NavItem] = [
    NavItem(_("Home"), "portal:home", None),
    NavItem(_("Requests"), "portal:requests", None),
    NavItem(_("New request"), "portal:request_new", None),
    NavItem(_("Knowledge base"), "knowledge:index", None),
    NavItem(_("Surveys"), "surveys:portal_list", None),
    NavItem(_("Company profile"), "portal:company", None),
]


def menu_for(user: Any) -> list[dict[str, Any]]:
    kind = getattr(user, "kind", None)
    if not getattr(user, "is_authenticated", False) or kind not in {"staff", "portal"}:
        return []
    if kind == "portal":
        return _resolved(PORTAL_MENU)
    granted = user_perms(user)
    allowed = []
    for item in MENU:
        needed = (item.perm,) if isinstance(item.perm, Perm) else item.perm
        if needed is None or granted.intersection(needed):
            allowed.append(item)
    return _resolved(allowed)


def _resolved(menu: list[NavItem]) -> list[dict[str, Any]]:
    items = []
    for item in menu:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the app providing this entry is not installed
        items.append({"label": item.label, "url": url, "name": item.url_name})
    return items
