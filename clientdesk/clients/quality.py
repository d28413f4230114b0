"""Completeness and staleness of registry records. (First version: to be extended.)"""

from __future__ import annotations

from .models import Company, Contact

DEFAULT_COMPANY_FIELDS = ["inn", "kpp", "ogrn", "industry", "region", "legal_address", "phone", "email", "account_manager"]
DEFAULT_CONTACT_FIELDS = ["position", "decision_role", "phone", "email"]


def company_completeness(company: Company) -> tuple[int, list[str]]:
    """Percentage of required fields filled, and the names of the missing ones."""
    missing = [f for f in DEFAULT_COMPANY_FIELDS if not getattr(company, f if f not in {"industry", "region", "account_manager"} else f + "_id")]
    return round(100 * (len(DEFAULT_COMPANY_FIELDS) - len(missing)) / len(DEFAULT_COMPANY_FIELDS)), missing


def contact_completeness(contact: Contact) -> tuple[int, list[str]]:
    missing = [f for f in DEFAULT_CONTACT_FIELDS if not getattr(contact, f)]
    return round(100 * (len(DEFAULT_CONTACT_FIELDS) - len(missing)) / len(DEFAULT_CONTACT_FIELDS)), missing
