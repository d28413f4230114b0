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


@dataclass(frozen=True)
class NavGroup:
    """A domain of the menu. A group with one entry the user may open shows as a plain link."""

    label: str | Promise
    items: tuple[NavItem, ...]


MENU: list[NavGroup] = [
    NavGroup(_("Home"), (NavItem(_("Home"), "core:home", None),)),
    NavGroup(
        _("Service"),
        (
            NavItem(_("My queue"), "service:my_queue", Perm.REQUESTS_WORK),
            NavItem(_("Queues"), "service:supervisor", Perm.REQUESTS_SUPERVISE),
            NavItem(_("Service reports"), "service:reports", Perm.REQUESTS_SUPERVISE),
        ),
    ),
    NavGroup(
        _("Service centers"),
        (
            NavItem(_("My desk"), "centers:desk", Perm.CENTER_OPERATE),
            NavItem(_("Appointments"), "centers:appointments", Perm.REQUESTS_WORK),
            NavItem(_("Measured service"), "centers:report", Perm.CENTERS_MANAGE),
            NavItem(_("Staffing"), "staffing:plan", Perm.CENTERS_MANAGE),
        ),
    ),
    NavGroup(
        _("Clients"),
        (
            NavItem(_("Companies"), "clients:company_list", Perm.CLIENTS_VIEW),
            NavItem(_("Contacts"), "clients:contact_list", Perm.CLIENTS_VIEW),
            NavItem(_("Data quality"), "clients:quality", Perm.CLIENTS_EDIT),
            NavItem(_("Duplicates"), "clients:duplicates", Perm.CLIENTS_MERGE),
            NavItem(_("Import"), "clients:import_list", Perm.CLIENTS_IMPORT),
            NavItem(_("Portal access"), "portal:staff_index", Perm.PORTAL_INVITE),
        ),
    ),
    NavGroup(
        _("Segments"),
        (
            NavItem(_("Segments"), "segments:overview", Perm.SEGMENTS_VIEW),
            NavItem(_("At-risk clients"), "segments:at_risk", Perm.SEGMENTS_VIEW),
        ),
    ),
    NavGroup(
        _("Communications"),
        (
            NavItem(
                _("Campaigns"), "campaigns:list", (Perm.CAMPAIGNS_EDIT, Perm.CAMPAIGNS_APPROVE)
            ),
            NavItem(_("Campaign touches"), "campaigns:touches", Perm.KEY_ACCOUNTS),
        ),
    ),
    NavGroup(_("Research"), (NavItem(_("Surveys"), "surveys:list", Perm.SURVEYS_MANAGE),)),
    NavGroup(
        _("Knowledge base"),
        (NavItem(_("Knowledge base"), "knowledge:manage", Perm.KNOWLEDGE_EDIT),),
    ),
    NavGroup(
        _("Administration"),
        (
            NavItem(_("Audit trail"), "core:audit", Perm.AUDIT_VIEW),
            NavItem(_("API"), "api-docs", None),
        ),
    ),
]


# What a client company's employee sees in the portal; the portal views scope every object to
# the user's company themselves.
PORTAL_MENU: list[NavItem] = [
    NavItem(_("Home"), "portal:home", None),
    NavItem(_("Requests"), "portal:requests", None),
    NavItem(_("New request"), "portal:request_new", None),
    NavItem(_("Appointments"), "portal:appointments", None),
    NavItem(_("Documents"), "portal:documents", None),
    NavItem(_("Knowledge base"), "knowledge:index", None),
    NavItem(_("Surveys"), "surveys:portal_list", None),
    NavItem(_("Company profile"), "portal:company", None),
    NavItem(_("My settings"), "portal:preferences", None),
]


def menu_for(user: Any) -> list[dict[str, Any]]:
    """The entries the user may open, flat, in menu order (the home page tiles, tests)."""
    return [item for group in menu_groups_for(user) for item in group["items"]]


def menu_groups_for(user: Any) -> list[dict[str, Any]]:
    """The menu as groups of resolved entries; empty groups are left out."""
    kind = getattr(user, "kind", None)
    if not getattr(user, "is_authenticated", False) or kind not in {"staff", "portal"}:
        return []
    if kind == "portal":
        return [{"label": "", "items": _resolved(list(PORTAL_MENU))}]
    granted = user_perms(user)
    groups = []
    for group in MENU:
        allowed = [item for item in group.items if _may_open(item, granted)]
        items = _resolved(allowed)
        if items:
            groups.append({"label": group.label, "items": items})
    return groups


def _may_open(item: NavItem, granted: frozenset[Perm]) -> bool:
    needed = (item.perm,) if isinstance(item.perm, Perm) else item.perm
    return needed is None or bool(granted.intersection(needed))


def _resolved(menu: list[NavItem]) -> list[dict[str, Any]]:
    items = []
    for item in menu:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the app providing this entry is not installed
        items.append({"label": item.label, "url": url, "name": item.url_name})
    return items
