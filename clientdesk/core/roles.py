"""Staff roles and what each may do.

This table is the single place that says who may do what. Views use
`clientdesk.core.permissions.require_perm`, the API uses `HasPerm`; neither
checks a role by name.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    ACCOUNT_MANAGER = "account_manager", _("Key account manager")
    CENTER_OPERATOR = "center_operator", _("Service-center operator")
    CALL_OPERATOR = "call_operator", _("Call-center operator")
    MARKETER = "marketer", _("Marketer")
    ANALYST = "analyst", _("Analyst")


class Perm(StrEnum):
    """Capabilities. Named by what they allow, so a reader of a view knows what it guards."""

    CLIENTS_VIEW = "clients.view"
    CLIENTS_EDIT = "clients.edit"
    CLIENTS_IMPORT = "clients.import"
    CLIENTS_EXPORT = "clients.export"
    CLIENTS_MERGE = "clients.merge"
    PERSONAL_DATA_MANAGE = "clients.personal_data"
    KEY_ACCOUNTS = "clients.key_accounts"  # works a portfolio of client relationships
    SEGMENTS_VIEW = "segments.view"
    SEGMENTS_MANAGE = "segments.manage"
    REQUESTS_WORK = "service.work"
    REQUESTS_SUPERVISE = "service.supervise"
    SERVICE_CONFIGURE = "service.configure"
    CENTER_OPERATE = "centers.operate"
    CENTERS_MANAGE = "centers.manage"
    KNOWLEDGE_EDIT = "knowledge.edit"
    CAMPAIGNS_EDIT = "campaigns.edit"
    CAMPAIGNS_APPROVE = "campaigns.approve"
    SURVEYS_MANAGE = "surveys.manage"
    ANALYTICS_VIEW = "analytics.view"
    AUDIT_VIEW = "audit.view"
    USERS_MANAGE = "accounts.manage"
    PORTAL_INVITE = "portal.invite"


_OPERATOR = {
    Perm.CLIENTS_VIEW,
    Perm.CLIENTS_EDIT,
    Perm.REQUESTS_WORK,
}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.SUPERVISOR: frozenset(
        _OPERATOR
        | {
            Perm.CLIENTS_EXPORT,
            Perm.CLIENTS_IMPORT,
            Perm.CLIENTS_MERGE,
            Perm.PERSONAL_DATA_MANAGE,
            Perm.SEGMENTS_VIEW,
            Perm.REQUESTS_SUPERVISE,
            Perm.SERVICE_CONFIGURE,
            Perm.CENTER_OPERATE,
            Perm.CENTERS_MANAGE,
            Perm.KNOWLEDGE_EDIT,
            Perm.CAMPAIGNS_APPROVE,
            Perm.SURVEYS_MANAGE,
            Perm.ANALYTICS_VIEW,
            Perm.AUDIT_VIEW,
            Perm.PORTAL_INVITE,
            Perm.KEY_ACCOUNTS,
        }
    ),
    Role.ACCOUNT_MANAGER: frozenset(
        _OPERATOR
        | {
            Perm.CLIENTS_EXPORT,
            Perm.CLIENTS_IMPORT,
            Perm.CLIENTS_MERGE,
            Perm.PERSONAL_DATA_MANAGE,
            Perm.SEGMENTS_VIEW,
            Perm.ANALYTICS_VIEW,
            Perm.PORTAL_INVITE,
            Perm.KEY_ACCOUNTS,
        }
    ),
    Role.CENTER_OPERATOR: frozenset(_OPERATOR | {Perm.CENTER_OPERATE}),
    Role.CALL_OPERATOR: frozenset(_OPERATOR),
    Role.MARKETER: frozenset(
        {
            Perm.CLIENTS_VIEW,
            Perm.CLIENTS_EXPORT,
            Perm.SEGMENTS_VIEW,
            Perm.SEGMENTS_MANAGE,
            Perm.CAMPAIGNS_EDIT,
            Perm.SURVEYS_MANAGE,
            Perm.KNOWLEDGE_EDIT,
            Perm.ANALYTICS_VIEW,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Perm.CLIENTS_VIEW,
            Perm.CLIENTS_EXPORT,
            Perm.SEGMENTS_VIEW,
            Perm.SEGMENTS_MANAGE,
            Perm.SURVEYS_MANAGE,
            Perm.ANALYTICS_VIEW,
        }
    ),
}


def perms_for_role(role: str) -> frozenset[Perm]:
    return ROLE_PERMS.get(role, frozenset())
